"""The relative rotation graphs (rrg-sectors, rrg-pairs): weekly RS-Ratio/RS-Momentum tails.

Sectors are read against the benchmark, rotation pairs lead against lag; the summary names the
legs in each quadrant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from briefings.analytics.rotation import leg_series, sector_pairs
from briefings.analytics.rrg import rrg_tail
from briefings.build import SECTORS_GROUP, display_names, resolve_session
from briefings.charts.data import (
    MAX_TAIL_WEEKS,
    Provenance,
    QuadrantMembers,
    RRGChart,
    RRGKind,
    RRGSummary,
    RRGTrail,
    default_tail_weeks,
)
from briefings.charts.spec import ChartKind, ChartOptions, ChartSpec, KeyArguments
from briefings.universe import PairSpec, Universe

if TYPE_CHECKING:
    from briefings.snapshot import Snapshot


#: The RRG quadrants in the order a leg rotates through them (clockwise).
QUADRANT_ORDER = ("Leading", "Weakening", "Lagging", "Improving")


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


def summarize_rrg(data: RRGChart) -> RRGSummary:
    """Return the legs of each quadrant, named as the caption names them.

    Sectors are "Name (TICKER)", pairs by their name; within a quadrant, highest RS-Ratio first.
    """
    members: dict[str, list[tuple[float, str]]] = {name: [] for name in QUADRANT_ORDER}
    for trail in data.trails:
        name = f"{trail.name} ({trail.label})" if data.kind == "sectors" else trail.label
        members[trail.head.quadrant].append((trail.head.rs_ratio, name))
    return RRGSummary(
        quadrants=tuple(
            QuadrantMembers(quadrant, tuple(name for _, name in sorted(rows, reverse=True)))
            for quadrant, rows in members.items()
        ),
        missing=data.missing,
    )


def _plot(data: RRGChart, language: str) -> bytes:
    from briefings.charts.plot import plot_rrg

    return plot_rrg(data, language)


def _key_arguments(options: ChartOptions) -> KeyArguments:
    return (("tail_weeks", options.tail_weeks),)


def _spec(kind: ChartKind, legs: RRGKind) -> ChartSpec[RRGChart]:
    """Return the spec of the RRG of ``legs``: the sectors or the rotation pairs."""

    def data(snapshot: Snapshot, options: ChartOptions) -> RRGChart:
        provenance = Provenance.of(snapshot.briefing)
        return rrg_chart_data(
            snapshot.closes, snapshot.universe, legs, provenance, options.tail_weeks
        )

    return ChartSpec(
        kind=kind,
        data=data,
        plot=_plot,
        summary=summarize_rrg,
        key_arguments=_key_arguments,
    )


RRG_SECTORS = _spec("rrg-sectors", "sectors")
RRG_PAIRS = _spec("rrg-pairs", "pairs")
