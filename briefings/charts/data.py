"""Chart data: the numbers each chart draws, derived from closes and briefings by the analytics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from briefings.analytics.returns import session_on_or_before, window_base_date
from briefings.analytics.rotation import leg_series, sector_pairs
from briefings.analytics.rrg import RRGPoint, rrg_tail
from briefings.build import SECTORS_GROUP, BriefingInputError, display_names, resolve_session
from briefings.windows import WINDOWS
from briefings.model import Briefing
from briefings.analytics.leaders import SectorRow
from briefings.universe import PairSpec, Universe

RRGKind = Literal["sectors", "pairs"]

#: The window whose base date the ratio chart starts from when no start is given.
DEFAULT_RATIO_WINDOW = "3M"
#: RRG tail lengths: the weeks of tail points shared out among the legs, within these bounds.
TAIL_POINTS_BUDGET = 56
MIN_DEFAULT_TAIL_WEEKS = 4
MAX_DEFAULT_TAIL_WEEKS = 10
#: The longest tail a chart draws.
MAX_TAIL_WEEKS = 26


def default_tail_weeks(legs: int) -> int:
    """Return the tail length for ``legs`` tails: budget / legs, kept within 4..10 weeks.

    Eleven sectors get 5 weeks, seven pairs 8: the more tails, the shorter each, so a crowded
    graph stays readable.
    """
    weeks = TAIL_POINTS_BUDGET // max(legs, 1)
    return max(MIN_DEFAULT_TAIL_WEEKS, min(MAX_DEFAULT_TAIL_WEEKS, weeks))


@dataclass(frozen=True)
class Provenance:
    """The session a chart shows, where its prices come from and whether they are simulated."""

    as_of: date
    source: str
    simulated: bool

    @classmethod
    def of(cls, briefing: Briefing) -> Provenance:
        """Return the provenance of ``briefing``."""
        return cls(as_of=briefing.as_of, source=briefing.source, simulated=briefing.simulated)


@dataclass(frozen=True)
class RRGTrail:
    """One leg's weekly RRG points, oldest first; the last is the session's position."""

    key: str
    label: str
    name: str
    points: tuple[RRGPoint, ...]

    @property
    def head(self) -> RRGPoint:
        """Return the latest point."""
        return self.points[-1]


@dataclass(frozen=True)
class RRGChart:
    """A relative rotation graph: sectors against the benchmark, or rotation pairs lead vs lag."""

    kind: RRGKind
    benchmark: str | None
    """The benchmark every sector is measured against; None for pairs (each has its own lag)."""
    tail_weeks: int
    trails: tuple[RRGTrail, ...]
    provenance: Provenance
    missing: tuple[str, ...] = ()
    """Legs left out: no RRG point in the last ``tail_weeks`` weeks."""


@dataclass(frozen=True)
class RatioLine:
    """A rotation pair's lead/lag price ratio, rebased: values[i] = 100 * R(dates[i]) / R(start).

    R = lead / lag; dates where either leg has no close are left out; dates[0] is the start.
    """

    name: str
    lead: str
    lag: str
    dates: tuple[date, ...]
    values: tuple[float, ...]

    @property
    def key(self) -> str:
        """Return "LEAD/LAG"."""
        return f"{self.lead}/{self.lag}"


@dataclass(frozen=True)
class RatioChart:
    """The rotation pairs' rebased price ratios from ``start`` to the session."""

    start: date
    lines: tuple[RatioLine, ...]
    provenance: Provenance
    missing: tuple[str, ...] = ()
    """Pairs left out: a leg has no close on the start session."""


@dataclass(frozen=True)
class BarChart:
    """The sector leaderboard for one window, best to worst."""

    window: str
    rows: tuple[SectorRow, ...]
    provenance: Provenance
    benchmark: str | None = None
    """The market the sectors are read against (its return is the reference line)."""
    benchmark_return_pct: float | None = None
    """The benchmark's return for the window; None when it has none."""

    @property
    def beating(self) -> tuple[SectorRow, ...]:
        """Return the rows whose return is above the benchmark's (all rows when it has none)."""
        if self.benchmark_return_pct is None:
            return self.rows
        return tuple(row for row in self.rows if row.return_pct > self.benchmark_return_pct)


def _pairs(universe: Universe, kind: RRGKind) -> tuple[PairSpec, ...]:
    if kind == "sectors":
        return sector_pairs(universe, SECTORS_GROUP)
    if kind == "pairs":
        return universe.pairs
    raise ValueError(f"unknown RRG kind {kind!r}; use sectors or pairs")


def rrg_chart_data(
    closes: pd.DataFrame,
    universe: Universe,
    kind: RRGKind,
    provenance: Provenance,
    tail_weeks: int | None = None,
) -> RRGChart:
    """Return each sector's (vs the benchmark) or rotation pair's (lead vs lag) weekly RRG tail.

    Points come from ``briefings.analytics.rrg.rrg_tail`` on the legs' daily closes up to the
    session ``provenance.as_of``; baskets are equal-weight (``analytics.rotation.leg_series``).
    ``tail_weeks`` None means ``default_tail_weeks`` of the number of legs.
    """
    pairs = _pairs(universe, kind)
    if tail_weeks is None:
        tail_weeks = default_tail_weeks(len(pairs))
    if not 1 <= tail_weeks <= MAX_TAIL_WEEKS:
        raise ValueError(f"tail_weeks must be 1 to {MAX_TAIL_WEEKS}, not {tail_weeks}")
    session = resolve_session(closes, provenance.as_of)
    history = closes.loc[:session]
    names = display_names(universe)
    trails: list[RRGTrail] = []
    missing: list[str] = []
    for pair in pairs:
        lead = leg_series(history, universe, pair.lead)
        lag = leg_series(history, universe, pair.lag)
        points = tuple(rrg_tail(lead, lag, session, tail_weeks))
        label = pair.lead if kind == "sectors" else pair.name
        if not points:
            missing.append(label)
            continue
        trails.append(
            RRGTrail(
                key=f"{pair.lead}/{pair.lag}",
                label=label,
                name=names.get(pair.lead, pair.lead)
                if kind == "sectors"
                else f"{names.get(pair.lead, pair.lead)} vs {names.get(pair.lag, pair.lag)}",
                points=points,
            )
        )
    return RRGChart(
        kind=kind,
        benchmark=universe.benchmark if kind == "sectors" else None,
        tail_weeks=tail_weeks,
        trails=tuple(trails),
        provenance=provenance,
        missing=tuple(missing),
    )


def ratio_start(closes: pd.DataFrame, as_of: date, start: date | None) -> pd.Timestamp:
    """Return the session a ratio chart is rebased on.

    ``start`` falls back to the last session on or before it; None means the base date of the
    3M window at ``as_of``. Raise BriefingInputError when that is outside the data or after as_of.
    """
    session = resolve_session(closes, as_of)
    index = pd.DatetimeIndex(closes.index)
    if start is None:
        base = window_base_date(index, session, DEFAULT_RATIO_WINDOW)
        if base is None:
            raise BriefingInputError(
                f"not enough history for a {DEFAULT_RATIO_WINDOW} chart at {session.date()}"
            )
        return base
    if start >= session.date():
        raise BriefingInputError(
            f"start {start.isoformat()} must be before the session {session.date().isoformat()}"
        )
    base = session_on_or_before(index, start)
    if base is None:
        first = pd.Timestamp(index[0]).date()
        raise BriefingInputError(
            f"no data on or before {start.isoformat()}; the data starts {first}"
        )
    return base


def rebased_ratio(lead: pd.Series, lag: pd.Series, start: pd.Timestamp) -> pd.Series:
    """Return 100 * R_t / R_start for R = lead / lag from ``start`` on; empty if R_start is missing.

    Sessions where either leg has no close are left out.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: pd.Series = (lead / lag).loc[start:]
    ratio = ratio[np.isfinite(ratio.to_numpy(dtype=float))]
    if ratio.empty or pd.Timestamp(ratio.index[0]) != start:
        empty: pd.Series = ratio.iloc[0:0]
        return empty
    rebased: pd.Series = ratio / float(ratio.iloc[0]) * 100.0
    return rebased


def pairs_chart_data(
    closes: pd.DataFrame,
    universe: Universe,
    provenance: Provenance,
    start: date | None = None,
    pairs: Sequence[PairSpec] | None = None,
) -> RatioChart:
    """Return the rotation pairs' lead/lag price ratios rebased to 100 on the start session.

    ``start``: see ``ratio_start``. ``pairs`` defaults to the universe's rotation pairs.
    """
    session = resolve_session(closes, provenance.as_of)
    history = closes.loc[:session]
    base = ratio_start(history, session.date(), start)
    lines: list[RatioLine] = []
    missing: list[str] = []
    for pair in universe.pairs if pairs is None else pairs:
        lead = leg_series(history, universe, pair.lead)
        lag = leg_series(history, universe, pair.lag)
        rebased = rebased_ratio(lead, lag, base)
        if rebased.empty:
            missing.append(pair.name)
            continue
        lines.append(
            RatioLine(
                name=pair.name,
                lead=pair.lead,
                lag=pair.lag,
                dates=tuple(pd.Timestamp(day).date() for day in rebased.index),
                values=tuple(float(value) for value in rebased.to_numpy(dtype=float)),
            )
        )
    return RatioChart(
        start=base.date(), lines=tuple(lines), provenance=provenance, missing=tuple(missing)
    )


def sectors_chart_data(briefing: Briefing, window: str, benchmark: str | None = None) -> BarChart:
    """Return the briefing's sector leaderboard for ``window`` (the analytics' own rows).

    ``benchmark`` (a ticker) adds its return for the window from the briefing's returns.
    """
    window = window.upper()
    if window not in WINDOWS:
        raise BriefingInputError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    benchmark_return = None
    if benchmark is not None:
        benchmark_return = briefing.returns.get(benchmark, {}).get(window)
    return BarChart(
        window=window,
        rows=tuple(briefing.leaderboards.get(window, ())),
        provenance=Provenance.of(briefing),
        benchmark=benchmark,
        benchmark_return_pct=benchmark_return,
    )
