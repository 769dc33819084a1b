"""What a chart shows, in numbers a caption can say in words: from the same data it draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefings.charts.data import RatioChart, RRGChart

#: The RRG quadrants in the order a leg rotates through them (clockwise).
QUADRANT_ORDER = ("Leading", "Weakening", "Lagging", "Improving")


@dataclass(frozen=True)
class QuadrantMembers:
    """The legs whose latest point is in one RRG quadrant, highest RS-Ratio first."""

    quadrant: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class RatioMove:
    """A rotation pair's ratio change since the chart's start, in percent."""

    name: str
    change_pct: float
    """100 * (R_end / R_start - 1) for R = lead / lag: the last rebased value minus 100."""


@dataclass(frozen=True)
class RRGSummary:
    """Which legs sit in which quadrant of a relative rotation graph."""

    quadrants: tuple[QuadrantMembers, ...]
    """Every quadrant in rotation order, empty ones included."""
    missing: tuple[str, ...]


@dataclass(frozen=True)
class RatioSummary:
    """The rotation pairs' ratio moves since the start, biggest rise first."""

    start: date
    moves: tuple[RatioMove, ...]
    missing: tuple[str, ...]


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


def summarize_ratios(data: RatioChart) -> RatioSummary:
    """Return each pair's ratio change since the start, biggest rise first."""
    moves = sorted(
        (RatioMove(line.name, line.values[-1] - 100.0) for line in data.lines),
        key=lambda move: move.change_pct,
        reverse=True,
    )
    return RatioSummary(start=data.start, moves=tuple(moves), missing=data.missing)
