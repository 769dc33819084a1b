"""Build the typed Briefing (and the bot's follow-up answers) from closes and a universe.

The session: ``as_of`` None means the latest session of the data (``latest_session``): the
benchmark's last close, or without a benchmark series the latest date through which most of
the universe's tickers have closes. Tickers whose data runs further are read up to it; tickers
without a close on it are stale. A date that is not a row of the frame (a weekend, a holiday)
means the last session before it. A date after the latest session is accepted only when no
NYSE session falls in between (a weekend or a holiday), or when most of the universe's tickers
have a close on it (the benchmark's own close is missing, e.g. held back by the sanity check:
``briefings.sanity``). Other dates outside the data, an
unknown period or a ``since`` date after the session raise BriefingInputError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.analytics.breadth import breadth
from briefings.analytics.leaders import SectorRow, highs_52w, leaderboard, record_highs, streaks
from briefings.analytics.returns import (
    last_close_rows,
    recent_low,
    returns_since,
    session_on_or_before,
    trailing_returns,
    window_base_date,
)
from briefings.analytics.rotation import (
    RotationLine,
    leg_series,
    legs_frame,
    rotation_lines,
    sector_pairs,
)
from briefings.analytics.typical import typical_spreads, window_lengths
from briefings.calendar import CalendarRangeError, sessions_in_range
from briefings.model import Briefing, GroupBlock, SinceDate, SinceLow, Streak, TickerLine
from briefings.universe import BASKET_PREFIX, PairSpec, Universe
from briefings.windows import WINDOWS

#: The universe group ranked in the leaderboards and measured against the benchmark.
SECTORS_GROUP = "sectors"
#: The universe group whose members "since" views show beside the key groups.
CYCLICALS_GROUP = "cyclicals"


class BriefingInputError(ValueError):
    """Raise when the dates, period or tickers asked for cannot be served from the data."""


def build_briefing(
    closes: pd.DataFrame,
    universe: Universe,
    *,
    as_of: date | None,
    source: str,
    simulated: bool,
    data_version: str,
    period: str = "MTD",
    since: date | None = None,
    streak_min: int = 3,
) -> Briefing:
    """Return the briefing for the session ``as_of`` (see the module doc) from ``closes``.

    ``period`` (case-insensitive) picks the sector window shown first; ``since`` adds returns
    from that date's close; streaks shorter than ``streak_min`` sessions are left out.
    """
    period = _check_period(period)
    session = resolve_session(closes, as_of, universe)
    history = closes.loc[:session]
    since_session = None if since is None else _start_session(history, since, session)
    names = display_names(universe)
    # Analytics run on every column (selecting the universe's would copy the frame); the
    # results are then read for the universe's tickers, in universe order.
    tickers = universe.tickers
    table = trailing_returns(history, session, WINDOWS)
    returns_by_column = {
        str(column): dict(zip(WINDOWS, row, strict=True))
        for column, row in zip(history.columns, _optional(table.to_numpy()), strict=True)
    }
    values = history.to_numpy(dtype=float)
    close_by_column = dict(zip(map(str, history.columns), _optional(values[-1]), strict=True))
    has_history = dict(zip(map(str, history.columns), (~np.isnan(values)).any(axis=0), strict=True))
    returns = {t: returns_by_column[t] for t in tickers if close_by_column.get(t) is not None}

    groups = tuple(
        GroupBlock(
            key=group.key,
            title=group.title,
            lines=tuple(
                TickerLine(
                    ticker=ticker,
                    name=names.get(ticker, ticker),
                    returns=returns_by_column[ticker],
                    close=close_by_column[ticker],
                )
                for ticker in group.members
                if has_history.get(ticker, False)
            ),
        )
        for group in universe.groups
    )
    sector_members = _members(universe, SECTORS_GROUP)
    pairs = (*universe.pairs, *sector_pairs(universe, SECTORS_GROUP))
    overview = overview_legs(universe)
    legs = legs_frame(
        history,
        universe,
        [
            *(leg for pair in pairs for leg in (pair.lead, pair.lag)),
            *overview,
            *tickers,
            universe.low_benchmark,
            universe.benchmark,
        ],
    )
    lines = rotation_lines(legs, pairs, session, names)
    since_low = _since_low(legs, universe, session, names)
    stale = tuple(t for t in tickers if close_by_column.get(t) is None)
    last_dates = last_close_dates(history[[t for t in stale if t in history.columns]])
    streak_by_column = dict(zip(map(str, history.columns), streaks(history, session), strict=True))
    long_streaks = [
        Streak(ticker=ticker, name=names.get(ticker, ticker), days=int(streak_by_column[ticker]))
        for ticker in tickers
        if abs(streak_by_column.get(ticker, 0)) >= max(streak_min, 1)
    ]
    return Briefing(
        as_of=session.date(),
        source=source,
        simulated=simulated,
        data_version=data_version,
        period=period,
        groups=groups,
        returns=returns,
        leaderboards={w: leaderboard(table, sector_members, w, names) for w in WINDOWS},
        rotation=lines[: len(universe.pairs)],
        sector_rotation=lines[len(universe.pairs) :],
        since_low=since_low,
        since=None
        if since_session is None
        else _since_date(legs, universe, since_session, session, names),
        record_highs=_in_order(tickers, record_highs(history, session)),
        highs_52w=_in_order(tickers, highs_52w(history, session)),
        streaks=tuple(sorted(long_streaks, key=lambda streak: -abs(streak.days))),
        breadth=tuple(
            breadth(
                history,
                universe.group(key).members,
                session,
                key=key,
                title=universe.group(key).title,
            )
            for key in universe.breadth_baskets
        ),
        stale=stale,
        names=names,
        stale_last_close={t: last_dates[t] for t in stale if t in last_dates},
        typical_spreads=_typical_spreads(legs, pairs, session, since_low),
    )


#: The key under which ``Briefing.typical_spreads`` holds the "since the low" window.
SINCE_LOW_WINDOW = "since_low"


def _typical_spreads(
    legs: pd.DataFrame,
    pairs: Sequence[PairSpec],
    session: pd.Timestamp,
    since_low: SinceLow | None,
) -> dict[str, dict[str, float | None]]:
    """Return every pair's typical spread for each window and for the stretch since the low."""
    index = pd.DatetimeIndex(legs.index)
    bases: dict[str, pd.Timestamp | None] = {
        w: window_base_date(index, session, w) for w in WINDOWS
    }
    if since_low is not None:
        bases[SINCE_LOW_WINDOW] = pd.Timestamp(since_low.low_date)
    return typical_spreads(legs, pairs, session, window_lengths(index, session, bases))


def returns_since_date(
    closes: pd.DataFrame, universe: Universe, as_of: date, start: date
) -> SinceDate:
    """Return every leg's return from the close of ``start`` to the session ``as_of``.

    ``start`` falls back to the last session on or before it, which SinceDate.start reports.
    """
    session = resolve_session(closes, as_of, universe)
    history = closes.loc[:session]
    start_session = _start_session(history, start, session)
    legs = legs_frame(history, universe, since_legs(universe))
    return _since_date(legs, universe, start_session, session, display_names(universe))


def resolve_pair(
    closes: pd.DataFrame,
    universe: Universe,
    lead: str,
    lag: str,
    as_of: date,
    name: str | None = None,
) -> PairSpec:
    """Return the pair ``lead`` against ``lag`` (tickers or ``basket:<group>``) at ``as_of``.

    Tickers match case-insensitively, and a basket group's key alone names its basket. The
    name defaults to the universe pair with these legs, else "LEAD vs LAG" (a basket by its
    display name). Two names of one leg, or a leg without a close at the session, raise
    BriefingInputError.
    """
    session = resolve_session(closes, as_of, universe)
    lead, lag = _universe_leg(universe, lead), _universe_leg(universe, lag)
    names = display_names(universe)
    if lead == lag:
        raise BriefingInputError(f"both legs are {_label(lead, names)}; give two different tickers")
    for leg in (lead, lag):
        if not np.isfinite(leg_series(closes.loc[:session], universe, leg).iloc[-1]):
            raise BriefingInputError(
                f"{_label(leg, names)} has no close on {session.date().isoformat()}"
            )
    known = {(p.lead, p.lag): p.name for p in universe.pairs}
    default = known.get((lead, lag), f"{_label(lead, names)} vs {_label(lag, names)}")
    return PairSpec(name=name or default, lead=lead, lag=lag)


def compare_pair(
    closes: pd.DataFrame, universe: Universe, pair: PairSpec, as_of: date
) -> RotationLine:
    """Return the rotation line of a resolved ``pair`` (see ``resolve_pair``) at ``as_of``."""
    session = resolve_session(closes, as_of, universe)
    legs = legs_frame(closes.loc[:session], universe, (pair.lead, pair.lag))
    return rotation_lines(legs, (pair,), session, display_names(universe))[0]


def _label(leg: str, names: Mapping[str, str]) -> str:
    """Return a leg as readers see it: the ticker, or a basket's display name."""
    return names.get(leg, leg) if leg.startswith(BASKET_PREFIX) else leg


def latest_session_of(last_dates: Mapping[str, date], universe: Universe) -> date | None:
    """Return the date the data's latest briefing covers, given each ticker's last close.

    The benchmark's last close; without one, the latest date through which a majority of the
    universe's tickers with data have closes (the ``n // 2``-th latest of their last dates,
    counting from 0). None when there is no data at all.
    """
    if universe.benchmark in last_dates:
        return last_dates[universe.benchmark]
    members = [last_dates[t] for t in universe.tickers if t in last_dates]
    ends = sorted(members or last_dates.values(), reverse=True)
    return ends[len(ends) // 2] if ends else None


def last_close_dates(closes: pd.DataFrame) -> dict[str, date]:
    """Return each column's last date with a close (columns without any are left out)."""
    values = closes.to_numpy(dtype=float)
    if not len(values):
        return {}
    rows = last_close_rows(values)[-1]
    index = pd.DatetimeIndex(closes.index)
    return {
        str(column): index[row].date()
        for column, row in zip(closes.columns, rows, strict=True)
        if row >= 0
    }


def _latest_session(closes: pd.DataFrame, universe: Universe) -> date | None:
    """Return ``latest_session_of`` the frame, reading just the benchmark when it has data."""
    if universe.benchmark in closes.columns:
        rows = np.flatnonzero(np.isfinite(closes[universe.benchmark].to_numpy(dtype=float)))
        if len(rows):
            return pd.Timestamp(closes.index[rows[-1]]).date()
    return latest_session_of(last_close_dates(closes), universe)


def resolve_session(
    closes: pd.DataFrame, as_of: date | None, universe: Universe | None = None
) -> pd.Timestamp:
    """Return the session a briefing for ``as_of`` covers, or raise BriefingInputError.

    With ``universe`` the data ends on its latest session (``latest_session_of``); without,
    on the frame's last row.
    """
    index = pd.DatetimeIndex(closes.index)
    if closes.empty or index.empty:
        raise BriefingInputError("no closes to brief on: the price data is empty")
    latest = pd.Timestamp(index[-1])
    if universe is not None:
        end = _latest_session(closes, universe)
        if end is None:
            raise BriefingInputError("no closes to brief on: the price data is empty")
        latest = pd.Timestamp(end)
    if as_of is None:
        return latest
    last = latest.date()
    if as_of > last and universe is not None and _most_have_closes(closes, universe, as_of):
        return pd.Timestamp(as_of)
    if as_of > last and _sessions_after(last, as_of):
        raise BriefingInputError(f"no data for {as_of.isoformat()}; the data ends {last}")
    if as_of >= last:
        return latest
    return _session_or_error(index, as_of)


def _most_have_closes(closes: pd.DataFrame, universe: Universe, day: date) -> bool:
    """Return True when most of the universe's tickers in ``closes`` have a close on ``day``."""
    stamp = pd.Timestamp(day)
    if stamp not in closes.index:
        return False
    columns = [t for t in universe.tickers if t in closes.columns]
    row = closes.loc[stamp, columns].to_numpy(dtype=float)
    return bool(columns) and int(np.isfinite(row).sum()) * 2 > len(columns)


def _sessions_after(last: date, as_of: date) -> bool:
    """Return True when an NYSE session falls after ``last`` and on or before ``as_of``."""
    if as_of - last > timedelta(days=7):
        return True  # no market closes for a week
    try:
        return bool(sessions_in_range(last + timedelta(days=1), as_of))
    except CalendarRangeError:
        # Beyond the calendar: weekdays stand in for sessions.
        return bool(np.busday_count(last + timedelta(days=1), as_of + timedelta(days=1)))


def display_names(universe: Universe) -> dict[str, str]:
    """Return the display name of every universe ticker and ``basket:<group>`` leg."""
    baskets = {f"{BASKET_PREFIX}{g.key}": g.title for g in universe.groups if g.basket}
    return {**universe.names, **baskets}


def overview_legs(universe: Universe) -> tuple[str, ...]:
    """Return the legs "since" figures cover, in universe order.

    Every member of the groups other than the sectors and the basket groups; each basket
    group as its equal-weight basket.
    """
    legs: dict[str, None] = {}
    for group in universe.groups:
        if group.basket:
            legs.setdefault(f"{BASKET_PREFIX}{group.key}", None)
        elif group.key != SECTORS_GROUP:
            for ticker in group.members:
                legs.setdefault(ticker, None)
    return tuple(legs)


def _optional(values: npt.NDArray[np.float64]) -> list[Any]:
    """Return ``values`` as (nested) lists of Python floats, None where not finite."""
    optional = values.astype(object)
    optional[~np.isfinite(values)] = None
    as_lists: list[Any] = optional.tolist()
    return as_lists


def _in_order(order: Sequence[str], chosen: Iterable[str]) -> tuple[str, ...]:
    """Return the items of ``order`` that are in ``chosen``."""
    wanted = set(chosen)
    return tuple(item for item in order if item in wanted)


def _check_period(period: str) -> str:
    window = period.upper()
    if window not in WINDOWS:
        raise BriefingInputError(f"unknown period {period!r}; use one of {', '.join(WINDOWS)}")
    return window


def _session_or_error(index: pd.DatetimeIndex, day: date) -> pd.Timestamp:
    session = session_on_or_before(index, day)
    if session is None:
        first = pd.Timestamp(index[0]).date()
        raise BriefingInputError(f"no data on or before {day.isoformat()}; the data starts {first}")
    return session


def _start_session(history: pd.DataFrame, start: date, session: pd.Timestamp) -> pd.Timestamp:
    if start > session.date():
        raise BriefingInputError(
            f"since date {start.isoformat()} is after the session {session.date().isoformat()}"
        )
    return _session_or_error(pd.DatetimeIndex(history.index), start)


def _members(universe: Universe, key: str) -> tuple[str, ...]:
    try:
        return universe.group(key).members
    except KeyError:
        return ()


def _universe_leg(universe: Universe, leg: str) -> str:
    """Return the ticker or basket ``leg`` names: case-insensitive, an index's ``^`` optional."""
    if leg.lower().startswith(BASKET_PREFIX):
        key = leg[len(BASKET_PREFIX) :].lower()
        if key in {g.key for g in universe.groups}:
            return BASKET_PREFIX + key
        raise BriefingInputError(f"{leg!r} names no group of the universe")
    by_upper = {ticker.upper(): ticker for ticker in universe.tickers}
    ticker = by_upper.get(leg.upper()) or by_upper.get("^" + leg.upper())
    if ticker is not None:
        return ticker
    baskets = {g.key.lower(): g.key for g in universe.groups if g.basket}
    if leg.lower() in baskets:
        return BASKET_PREFIX + baskets[leg.lower()]
    raise BriefingInputError(f"{leg!r} is not a ticker of the universe")


def since_legs(universe: Universe) -> tuple[str, ...]:
    """Return the legs "since" figures cover: the overview legs, then every other ticker."""
    return tuple(dict.fromkeys((*overview_legs(universe), *universe.tickers)))


def highlighted_legs(universe: Universe) -> frozenset[str]:
    """Return the legs text and HTML show "since": the overview legs and the cyclical industries."""
    return frozenset((*overview_legs(universe), *_members(universe, CYCLICALS_GROUP)))


def _returns_since_rows(
    legs: pd.DataFrame,
    universe: Universe,
    start: pd.Timestamp,
    session: pd.Timestamp,
    names: Mapping[str, str],
) -> tuple[tuple[SectorRow, ...], tuple[SectorRow, ...]]:
    """Return every leg's return from ``start`` to ``session`` and the highlighted ones, best first.

    Legs without a return are left out.
    """
    changes = dict(zip(legs.columns, returns_since(legs, start, session).to_numpy(), strict=True))
    rows = tuple(
        SectorRow(ticker=leg, name=names.get(leg, leg), return_pct=float(changes[leg]))
        for leg in since_legs(universe)
        if leg in changes and np.isfinite(changes[leg])
    )
    shown = highlighted_legs(universe)
    highlights = sorted((row for row in rows if row.ticker in shown), key=lambda r: -r.return_pct)
    return rows, tuple(highlights)


def _since_date(
    legs: pd.DataFrame,
    universe: Universe,
    start: pd.Timestamp,
    session: pd.Timestamp,
    names: Mapping[str, str],
) -> SinceDate:
    rows, highlights = _returns_since_rows(legs, universe, start, session, names)
    return SinceDate(start=start.date(), returns=rows, highlights=highlights)


def _since_low(
    legs: pd.DataFrame,
    universe: Universe,
    session: pd.Timestamp,
    names: Mapping[str, str],
) -> SinceLow | None:
    """Return returns since the low benchmark's recent low (else the benchmark's)."""
    for benchmark in dict.fromkeys((universe.low_benchmark, universe.benchmark)):
        if not np.isfinite(legs[benchmark].iloc[-1]):
            continue
        low_date, low_close = recent_low(legs[benchmark], session, universe.low_lookback_sessions)
        rows, highlights = _returns_since_rows(legs, universe, low_date, session, names)
        index = pd.DatetimeIndex(legs.index)
        return SinceLow(
            sessions_since=int(index.searchsorted(session) - index.searchsorted(low_date)),
            benchmark=benchmark,
            benchmark_name=names.get(benchmark, benchmark),
            low_date=low_date.date(),
            low_close=low_close,
            lookback_sessions=universe.low_lookback_sessions,
            returns=rows,
            highlights=highlights,
        )
    return None
