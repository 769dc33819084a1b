"""One data version's history: each figure's whole history computed once, read per session.

A ``HistoryBook`` holds the legs' closes of one data version (tickers and ``basket:<group>``
levels); each figure's history (a pair's window spread, a leg's return, the regimes) is computed
on first use, vectorised, and kept. Queries for a session then only scan arrays.
``history_book`` keeps the books of the latest data versions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date

import pandas as pd

from briefings.analytics.factors import FactorBoard, factor_board
from briefings.analytics.returns import recent_low, window_base_date
from briefings.analytics.rotation import legs_frame
from briefings.analytics.typical import pair_label, typical_spreads, window_lengths
from briefings.history.analogs import (
    ANALOGS_SINCE,
    AnalogCalendar,
    Analogs,
    analog_calendar,
    analogs,
)
from briefings.history.figures import return_history, spread_history
from briefings.history.participation import Participation, UpStreak, sessions_beaten, up_streaks
from briefings.history.rank import HistoryRank, rank_in_history
from briefings.history.regime import (
    VERDICT_PAIRS,
    Classifier,
    RegimeAge,
    RegimeRun,
    key_pair_history,
    regime_age,
    regime_runs,
    verdict_regimes,
)
from briefings.lru import Lru
from briefings.snapshot import Snapshot
from briefings.universe import PairSpec, Universe

#: Data versions whose books are kept (the latest and the one before, during a refresh).
BOOKS_KEPT = 2


class HistoryBook:
    """Every figure's history for one data version, computed once per figure (module doc)."""

    def __init__(self, closes: pd.DataFrame, universe: Universe, version: str) -> None:
        self.version = version
        self.universe = universe
        self._closes = closes
        self._legs: dict[str, pd.Series] = {}
        self._figures: dict[tuple[str, str, str], pd.Series] = {}
        self._regimes: dict[Classifier, tuple[pd.Series, tuple[RegimeRun, ...]]] = {}
        self._frames: dict[tuple[str, ...], pd.DataFrame] = {}
        self._calendar: AnalogCalendar | None = None
        self._lock = threading.Lock()

    def legs(self, names: Iterable[str]) -> pd.DataFrame:
        """Return the closes (baskets: levels) of ``names`` as one column each."""
        wanted = tuple(dict.fromkeys(names))
        frame = self._frames.get(wanted)
        if frame is not None:
            return frame
        with self._lock:
            missing = [name for name in wanted if name not in self._legs]
            if missing:
                frame = legs_frame(self._closes, self.universe, missing)
                for name in missing:
                    self._legs[name] = frame[name]
            frame = pd.DataFrame({name: self._legs[name] for name in wanted})
            self._frames[wanted] = frame
            return frame

    def spread(self, lead: str, lag: str, window: str) -> pd.Series:
        """Return the pair's ``window`` spread at every session (pp)."""
        key = (lead, lag, window)
        figure = self._figures.get(key)
        if figure is None:
            figure = spread_history(self.legs((lead, lag)), lead, lag, window)
            self._figures[key] = figure
        return figure

    def leg_return(self, leg: str, window: str) -> pd.Series:
        """Return the leg's own ``window`` return at every session (percent)."""
        key = (leg, "", window)
        figure = self._figures.get(key)
        if figure is None:
            figure = return_history(self.legs((leg,)), leg, window)
            self._figures[key] = figure
        return figure

    def rank(
        self, lead: str, lag: str, window: str, session: date, since: date | None = None
    ) -> HistoryRank | None:
        """Return where the pair's ``window`` spread at ``session`` stands in its history."""
        key = (lead, lag, f"{window} ranked")
        figure = self._figures.get(key)
        if figure is None:
            # The sample starts at the figure's first value: no scan of the years before it.
            full = self.spread(lead, lag, window)
            first = full.first_valid_index()
            figure = full.iloc[:0] if first is None else full.loc[first:]
            self._figures[key] = figure
        return rank_in_history(figure, session, since=since)

    def typical(self, lead: str, lag: str, window: str, session: date) -> float | None:
        """Return the pair's typical ``window`` spread at ``session`` (``analytics.typical``)."""
        legs = self.legs((lead, lag))
        index = pd.DatetimeIndex(legs.index)
        at = pd.Timestamp(session)
        lengths = window_lengths(index, at, {window: window_base_date(index, at, window)})
        pair = PairSpec(name=pair_label(lead, lag), lead=lead, lag=lag)
        return typical_spreads(legs, (pair,), at, lengths)[pair_label(lead, lag)][window]

    def regime_runs(self, classify: Classifier = verdict_regimes) -> tuple[RegimeRun, ...]:
        """Return every run of sessions under one regime, oldest first."""
        return self._regime_runs(classify)[1]

    def regimes(self, classify: Classifier = verdict_regimes) -> pd.Series:
        """Return the regime of every session under ``classify`` (default: the verdict rule)."""
        return self._regime_runs(classify)[0]

    def _regime_runs(self, classify: Classifier) -> tuple[pd.Series, tuple[RegimeRun, ...]]:
        found = self._regimes.get(classify)
        if found is None:
            legs = self.legs(leg for pair in VERDICT_PAIRS for leg in pair if self._has(leg))
            labels = classify(key_pair_history(legs, VERDICT_PAIRS))
            found = (labels, regime_runs(labels))
            self._regimes[classify] = found
        return found

    def regime_age(self, session: date, classify: Classifier = verdict_regimes) -> RegimeAge | None:
        """Return the regime at ``session``, since when it has held, and the earlier runs."""
        labels, runs = self._regime_runs(classify)
        return regime_age(labels, session, runs=runs)

    def analogs(
        self,
        lead: str,
        lag: str,
        session: date,
        threshold: float,
        window: str = "1M",
        since: date = ANALOGS_SINCE,
    ) -> Analogs | None:
        """Return the earlier episodes of the pair's ``window`` spread reaching ``threshold``."""
        legs = self.legs((lead, lag))
        if self._calendar is None:
            self._calendar = analog_calendar(pd.DatetimeIndex(self._closes.index))
        return analogs(
            self.spread(lead, lag, window),
            legs[lead],
            legs[lag],
            session,
            threshold,
            since=since,
            calendar=self._calendar,
        )

    def beaten_since_low(self, lead: str, lag: str, session: date) -> Participation:
        """Return on how many sessions since the recent low (as the briefing's) lead beat lag."""
        low_leg = self.universe.low_benchmark
        if not self._has(low_leg):
            low_leg = self.universe.benchmark
        lookback = self.universe.low_lookback_sessions
        low_series = self.legs((low_leg,))[low_leg]
        # Only the recent closes: the low lies within the last ``lookback`` of them.
        end = int(low_series.index.searchsorted(pd.Timestamp(session), side="right"))
        low_day, _ = recent_low(
            low_series.iloc[max(end - 4 * lookback, 0) : end], session, lookback
        )
        return sessions_beaten(self.legs((lead, lag)), lead, lag, low_day, session)

    def up_streaks(
        self, legs: Iterable[str], session: date, min_sessions: int = 2
    ) -> tuple[UpStreak, ...]:
        """Return the named legs closing higher ``min_sessions`` or more sessions in a row."""
        return up_streaks(self.legs(legs), session, min_sessions)

    def factors(self, session: date, windows: tuple[str, ...]) -> FactorBoard:
        """Return the factor scoreboard of the universe's [factors] at ``session``."""
        universe = self.universe
        return factor_board(
            self._closes, universe.factors, universe.factor_benchmark, session, windows
        )

    def _has(self, leg: str) -> bool:
        if leg.startswith("basket:"):
            return leg.removeprefix("basket:") in {group.key for group in self.universe.groups}
        return leg in self._closes.columns and bool(self.legs((leg,))[leg].notna().any())


_BOOKS: Lru[str, HistoryBook] = Lru(BOOKS_KEPT)
_BOOKS_LOCK = threading.Lock()


def history_book(closes: pd.DataFrame, universe: Universe, version: str) -> HistoryBook:
    """Return the book of data ``version`` (made once, kept for the latest versions)."""
    with _BOOKS_LOCK:
        book = _BOOKS.get(version)
        if book is None or book.universe is not universe:
            book = HistoryBook(closes, universe, version)
            _BOOKS.put(version, book)
        return book


def snapshot_history(snapshot: Snapshot) -> HistoryBook:
    """Return the history book of the snapshot's data version (its closes and universe)."""
    return history_book(snapshot.closes, snapshot.universe, snapshot.briefing.data_version)
