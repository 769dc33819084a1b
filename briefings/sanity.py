"""Data sanity: which of a ticker's new closes may be stored, and which are held in quarantine.

A refresh runs every ticker's fetched closes through ``screen_ticker`` between the source and the
store (``briefings.refresh``). A close is **quarantined** (not stored, named in the briefing,
counted by /healthz) when

- its date is given more than once with different closes (``conflicting``);
- it is zero or below (``not_positive``) or infinite (``not_finite``); a missing close (NaN) is
  a gap, as everywhere else, not a fault;
- its move from the ticker's last accepted close is implausible (``implausible``)::

      |ln(close / last accepted close)| > bound
      bound = max(K * sigma, FLOOR)                        for a stock
      bound = min(max(K * sigma, FUND_FLOOR), CAP)          for a fund or an index
      sigma = sample standard deviation of the last WINDOW daily log returns of accepted closes

  With fewer than MIN_RETURNS such returns (a new listing) the bound is YOUNG_BOUND (at most CAP
  for a fund or an index).

The constants (``Plausibility``): K = 10, FLOOR = 0.25 (about +28% / -22% in a session),
FUND_FLOOR = 0.15 (about +16% / -14%), CAP = 0.25, WINDOW = 60, MIN_RETURNS = 20,
YOUNG_BOUND = 0.5, CONFIRM_SESSIONS = 2. The floors keep a calm ticker's ordinary big day
(10 sigma of 0.4% is 4%) from being held; a stock's is higher because earnings days of -20% are
common and a bad print is rarely that subtle (x100, /100, zero, a close from another ticker).
Measured on the real closes of 555 series (818,864 daily returns): 5 of 332,149 returns of the 57
funds and indices (whole histories, back to 1927 for ^GSPC) and 46 of 486,715 of the 498 stocks
(7 mega caps over their whole histories, 491 S&P 500 members since 2023: about 11 a year across
the index) exceed the bound, every one a real move (the 1987 crash, earnings days) that the next
two sessions confirm, so screening those histories whole holds nothing.

**Release.** A real outlier (a crash day, an earnings jump) is released when the next
CONFIRM_SESSIONS closes confirm the new level: each stays within the bound of the quarantined
close, or nearer to it than to the old level, in log terms. Until then those closes are held
too (``unconfirmed``): storing them would put the whole jump on the wrong day. When a later close
goes back to the old level instead, the quarantined close was a bad print and stays out; the
ones after it are judged against the old level. A refresh fetches again from before a ticker's
last stored close, so held closes are judged anew each time, with the sessions since.
An operator can release a held close by command (``marketbrief release TICKER DATE``); such a
close is then always accepted (``approved``), also when a source restates the history.

**Splits.** A split is not an error when the source says so: the yfinance source asks for
split- and dividend-adjusted closes (a split restates the history, which the refresh fetches
again whole), and the CSV source adjusts a raw ``Close`` column by its ``Stock Splits`` column.
A split the source does not report looks like any other jump to this stage: held, and released
once the next sessions confirm the new level.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

CONFLICTING = "conflicting"
NOT_POSITIVE = "not_positive"
NOT_FINITE = "not_finite"
IMPLAUSIBLE = "implausible"
UNCONFIRMED = "unconfirmed"
#: Held before the sanity walk: a fallback source's daily returns disagree with the stored
#: history's (``briefings.sources.chain``); ``move`` is the largest gap, ``bound`` the tolerance.
SOURCES_DISAGREE = "sources_disagree"
#: Why a close can be held, in the order a close is checked.
REASONS: tuple[str, ...] = (
    SOURCES_DISAGREE,
    CONFLICTING,
    NOT_FINITE,
    NOT_POSITIVE,
    IMPLAUSIBLE,
    UNCONFIRMED,
)

#: Relative difference under which two closes of one date are the same close.
SAME_CLOSE = 1e-6


@dataclass(frozen=True)
class Plausibility:
    """How far a ticker's close may move in a session before it is held (see the module doc)."""

    k: float = 10.0
    floor: float = 0.25
    fund_floor: float = 0.15
    cap: float = 0.25
    window: int = 60
    min_returns: int = 20
    young_bound: float = 0.5
    confirm_sessions: int = 2

    def bound(self, log_returns: FloatArray, capped: bool) -> float:
        """Return max(k * sigma, floor) over the last ``window`` returns; for a fund or an index
        (``capped``) max(k * sigma, fund_floor), at most cap."""
        recent = log_returns[-self.window :]
        if len(recent) < self.min_returns:
            limit = self.young_bound
        else:
            floor = self.fund_floor if capped else self.floor
            limit = max(self.k * float(np.std(recent, ddof=1)), floor)
        return min(limit, self.cap) if capped else limit


PLAUSIBILITY = Plausibility()


@dataclass(frozen=True)
class QuarantinedClose:
    """A close held out of the store: whose, which day, the close, and why."""

    ticker: str
    day: date
    close: float | None
    """The close the source gave (the last one for a date given twice; None: not a number)."""
    reason: str
    """One of REASONS."""
    move: float | None = None
    """For implausible and unconfirmed closes: ln(close / reference close)."""
    bound: float | None = None
    """For implausible and unconfirmed closes: the bound the move was held to."""
    values: tuple[float, ...] = ()
    """For conflicting closes: every close the source gave for the date."""

    @property
    def move_pct(self) -> float | None:
        """Return the move as a simple return in percent: 100 * (exp(move) - 1)."""
        return None if self.move is None else 100.0 * math.expm1(self.move)

    def to_json(self) -> dict[str, Any]:
        """Return the held close as plain JSON-able data (``brief --format json``'s shape)."""

        def number(value: float | None) -> float | None:
            return None if value is None or not math.isfinite(value) else round(value, 6)

        return {
            "ticker": self.ticker,
            "date": self.day.isoformat(),
            "close": number(self.close),
            "reason": self.reason,
            "move_pct": number(self.move_pct),
            "closes": [number(value) for value in self.values],
        }


@dataclass(frozen=True)
class Screening:
    """One ticker's fetched closes sorted into accepted and held, and which held ones now pass."""

    ticker: str
    accepted: pd.Series = field(compare=False)
    """The closes to store, by date (the fetched ones that passed)."""
    quarantined: tuple[QuarantinedClose, ...]
    released: tuple[date, ...] = ()
    """Dates of previously held closes that are accepted now (confirmed, or corrected)."""


_KNOWN, _NEW = 0, 1


def screen_ticker(
    ticker: str,
    fetched: pd.Series,
    stored: pd.Series,
    *,
    repeated: Mapping[date, Sequence[float]] | None = None,
    approved: Mapping[date, float] | None = None,
    held: Collection[date] = (),
    capped: bool = False,
    rule: Plausibility = PLAUSIBILITY,
) -> Screening:
    """Return which of ``fetched`` may be stored after ``stored`` (see the module doc).

    ``fetched`` and ``stored`` are closes by session date (NaN: no close); a fetched close equal
    to the stored (or operator-``approved``) close of its date is known and needs no check.
    ``repeated`` has every close the source gave for a date it listed more than once; ``held``
    the dates held before this screening; ``capped``: the ticker is a fund or an index.
    """
    old_days, tail = _dated(stored)
    timeline = _Timeline.build(_dated(fetched), (old_days, tail), repeated or {}, approved or {})
    if timeline.first_new is not None:
        tail = tail[old_days < timeline.first_new]
    walk = _Walk(ticker, timeline, tail[-(rule.window + 1) :], capped, rule)
    walk.run()
    rows = walk.accepted & timeline.fetched
    accepted = pd.Series(
        timeline.values[rows],
        index=pd.DatetimeIndex(timeline.days[rows].astype("datetime64[ns]"), name="date"),
        name=ticker,
        dtype=np.float64,
    )
    held_days = sorted(held)
    now_accepted = _contains(timeline.days[rows], np.array(held_days, dtype="datetime64[D]"))
    return Screening(
        ticker,
        accepted,
        tuple(walk.held[row] for row in sorted(walk.held)),
        tuple(day for day, taken in zip(held_days, now_accepted, strict=True) if taken),
    )


Days = npt.NDArray[np.datetime64]


def _dated(series: pd.Series) -> tuple[Days, FloatArray]:
    """Return the series' non-missing closes and their dates, ascending, one per date (last)."""
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    index = pd.DatetimeIndex(series.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    days = index.to_numpy().astype("datetime64[D]")
    present = ~np.isnan(values)
    days, values = days[present], values[present]
    if len(days) > 1 and not bool((days[1:] > days[:-1]).all()):
        order = np.argsort(days, kind="stable")
        days, values = days[order], values[order]
        last = np.append(days[1:] != days[:-1], True)
        days, values = days[last], values[last]
    return days, values


def _contains(sorted_days: Days, days: Days) -> npt.NDArray[np.bool_]:
    """Return where ``days`` occur in ``sorted_days`` (ascending)."""
    if not len(sorted_days):
        return np.zeros(len(days), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_days, days), len(sorted_days) - 1)
    return np.asarray(sorted_days[at] == days)


def _same(a: FloatArray | float, b: FloatArray | float) -> npt.NDArray[np.bool_]:
    """Return where two closes are the same close (within SAME_CLOSE, relative)."""
    return np.asarray(np.abs(a - b) <= SAME_CLOSE * np.maximum(np.abs(a), np.abs(b)))


def _conflicting(repeats: Sequence[float]) -> bool:
    given = np.array([v for v in repeats if not math.isnan(v)], dtype=np.float64)
    return len(given) > 1 and not bool(_same(given, given[0]).all())


@dataclass(frozen=True)
class _Timeline:
    """The fetched closes, plus the stored ones from the first new close on, by date.

    A row is known (stored or approved with the same close: accepted unjudged) or new; a new
    row may have a fault that no neighbour excuses (``faults``: row -> reason).
    """

    days: Days
    values: FloatArray
    kinds: npt.NDArray[np.int8]
    fetched: npt.NDArray[np.bool_]
    faults: Mapping[int, str]
    fault_rows: npt.NDArray[np.intp]
    repeats: Mapping[int, tuple[float, ...]]
    first_new: np.datetime64 | None

    @classmethod
    def build(
        cls,
        new: tuple[Days, FloatArray],
        old: tuple[Days, FloatArray],
        repeated: Mapping[date, Sequence[float]],
        approved: Mapping[date, float],
    ) -> _Timeline:
        (new_days, new_values), (old_days, old_values) = new, old
        known = np.zeros(len(new_days), dtype=bool)
        if len(old_days):
            at = np.minimum(np.searchsorted(old_days, new_days), len(old_days) - 1)
            known = (old_days[at] == new_days) & _same(new_values, old_values[at])
        for day, close in approved.items():
            row = np.flatnonzero(new_days == np.datetime64(day, "D"))
            if len(row) and bool(_same(new_values[row[0]], close)):
                known[row[0]] = True
        first_new = new_days[~known].min() if (~known).any() else None
        # From the first new close on, stored closes the fetch left out are known rows too.
        extra = np.zeros(len(old_days), dtype=bool)
        if first_new is not None:
            extra = (old_days >= first_new) & ~_contains(new_days, old_days)
        days = np.concatenate((new_days, old_days[extra]))
        order = np.argsort(days, kind="stable")
        values = np.concatenate((new_values, old_values[extra]))[order]
        kinds = np.where(np.concatenate((known, np.ones(extra.sum(), bool))), _KNOWN, _NEW)
        kinds = kinds.astype(np.int8)[order]
        days = days[order]
        fetched = np.concatenate((np.ones(len(new_days), bool), np.zeros(extra.sum(), bool)))
        repeats: dict[int, tuple[float, ...]] = {}
        for day, closes in repeated.items():
            found = np.flatnonzero(days == np.datetime64(day, "D"))
            if len(found) and kinds[found[0]] == _NEW:
                repeats[int(found[0])] = tuple(float(v) for v in closes)
        faults = {row: CONFLICTING for row, closes in repeats.items() if _conflicting(closes)}
        is_new = kinds == _NEW
        for reason, where in (
            (NOT_FINITE, ~np.isfinite(values)),
            (NOT_POSITIVE, np.isfinite(values) & (values <= 0)),
        ):
            for bad in np.flatnonzero(where & is_new).tolist():
                faults.setdefault(int(bad), reason)
        return cls(
            days=days,
            values=values,
            kinds=kinds,
            fetched=fetched[order],
            faults=faults,
            fault_rows=np.array(sorted(faults), dtype=np.intp),
            repeats=repeats,
            first_new=first_new,
        )

    def day(self, row: int) -> date:
        """Return row ``row``'s date."""
        return pd.Timestamp(self.days[row]).date()


def _sigma_before(moves: FloatArray, window: int, least: int) -> FloatArray:
    """Return, for each move, the sample deviation of the up to ``window`` moves before it.

    NaN where fewer than ``least`` moves precede it.
    """
    sums = np.concatenate(([0.0], np.cumsum(moves)))
    squares = np.concatenate(([0.0], np.cumsum(moves * moves)))
    ends = np.arange(len(moves))
    starts = np.maximum(ends - window, 0)
    count = (ends - starts).astype(np.float64)
    total = sums[ends] - sums[starts]
    total_sq = squares[ends] - squares[starts]
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (total_sq - total * total / count) / (count - 1)
    sigma = np.sqrt(np.maximum(variance, 0.0))
    return np.where(count >= max(least, 2), sigma, np.nan)


class _Walk:
    """Judge a timeline's new closes in date order: vectorised up to each suspect close, then
    one by one until no close awaits confirmation."""

    def __init__(
        self,
        ticker: str,
        timeline: _Timeline,
        tail: FloatArray,
        capped: bool,
        rule: Plausibility,
    ) -> None:
        self.ticker = ticker
        self.t = timeline
        self.capped = capped
        self.rule = rule
        self.tail = np.asarray(tail, dtype=np.float64)
        self.accepted = np.zeros(len(timeline.values), dtype=bool)
        self.held: dict[int, QuarantinedClose] = {}

    def run(self) -> None:
        """Sort every row into accepted and held."""
        position, rows = 0, len(self.t.values)
        while position < rows:
            if len(self.tail) and position not in self.t.faults:
                suspect = self._first_suspect(position)
                self._accept(position, suspect)
                position = suspect
            if position < rows:
                position = self._judge_from(position)

    def _accept(self, start: int, stop: int | None = None) -> None:
        """Accept rows ``start`` to ``stop`` (exclusive; default: the one row)."""
        stop = start + 1 if stop is None else stop
        if stop <= start:
            return
        self.accepted[start:stop] = True
        self.tail = np.concatenate((self.tail, self.t.values[start:stop]))[
            -(self.rule.window + 1) :
        ]

    def _hold(
        self, row: int, reason: str, move: float | None = None, bound: float | None = None
    ) -> None:
        value = float(self.t.values[row])
        self.held[row] = QuarantinedClose(
            self.ticker,
            self.t.day(row),
            None if math.isnan(value) else value,
            reason,
            move,
            bound,
            self.t.repeats.get(row, ()) if reason == CONFLICTING else (),
        )

    def _first_suspect(self, start: int) -> int:
        """Return the first row from ``start`` to judge one by one (the row count if none).

        Every row before it is accepted as it comes, so their moves can be judged at once.
        """
        later = self.t.fault_rows[self.t.fault_rows >= start]
        stop = int(later[0]) if len(later) else len(self.t.values)
        values, kinds = self.t.values[start:stop], self.t.kinds[start:stop]
        moves = np.diff(np.log(np.concatenate((self.tail, values))))
        history = len(self.tail) - 1
        sigma = _sigma_before(moves, self.rule.window, self.rule.min_returns)[history:]
        floor = self.rule.fund_floor if self.capped else self.rule.floor
        bounds = np.where(
            np.isnan(sigma), self.rule.young_bound, np.maximum(self.rule.k * sigma, floor)
        )
        if self.capped:
            bounds = np.minimum(bounds, self.rule.cap)
        hits = np.flatnonzero((np.abs(moves[history:]) > bounds) & (kinds == _NEW))
        return start + int(hits[0]) if len(hits) else stop

    def _judge_from(self, start: int) -> int:
        """Judge rows one by one from ``start``; return the row after the last one judged."""
        pending: list[int] = []
        pending_bound = 0.0
        row, rows = start, len(self.t.values)
        while row < rows:
            value = float(self.t.values[row])
            fault = self.t.faults.get(row)
            if self.t.kinds[row] == _KNOWN:
                # A stored close: whatever awaited confirmation did not hold (stays held).
                self._accept(row)
                return row + 1
            if fault is not None:
                self._hold(row, fault)
                row += 1
                if pending:
                    continue
                return row
            if not len(self.tail):
                self._accept(row)  # nothing to compare the series' first close with
                return row + 1
            reference = float(self.tail[-1])
            if pending:
                jump = float(self.t.values[pending[0]])
                if self._confirms(value, jump, reference, pending_bound):
                    pending.append(row)
                    self._hold(row, UNCONFIRMED, math.log(value / jump), pending_bound)
                    row += 1
                    if len(pending) > self.rule.confirm_sessions:
                        for confirmed in pending:
                            del self.held[confirmed]
                            self._accept(confirmed)
                        return row
                    continue
                pending = []  # back at the old level: the jump was a bad print
            bound = self.rule.bound(np.diff(np.log(self.tail)), self.capped)
            move = math.log(value / reference)
            if abs(move) <= bound:
                self._accept(row)
                return row + 1
            self._hold(row, IMPLAUSIBLE, move, bound)
            pending, pending_bound = [row], bound
            row += 1
        return rows

    @staticmethod
    def _confirms(value: float, jump: float, reference: float, bound: float) -> bool:
        """Return True when ``value`` holds the jump's level: within bound of it, or nearer it."""
        from_jump = abs(math.log(value / jump))
        return from_jump <= bound or from_jump < abs(math.log(value / reference))


def describe_held(close: QuarantinedClose) -> str:
    """Describe a held close for the operator (English, one line): ticker, date, close, why."""
    shown = "no number" if close.close is None else f"{close.close:,.4f}".rstrip("0").rstrip(".")
    why = {
        CONFLICTING: "two different closes for the day: "
        + ", ".join(f"{value:,.4f}".rstrip("0").rstrip(".") for value in close.values),
        NOT_FINITE: "not a number",
        NOT_POSITIVE: "zero or below",
        IMPLAUSIBLE: f"a move of {close.move_pct or 0.0:+,.1f}% in one session",
        UNCONFIRMED: "waits for the next session to confirm the jump before it",
    }.get(close.reason, close.reason)
    return f"{close.ticker} {close.day.isoformat()} close {shown} ({why})"
