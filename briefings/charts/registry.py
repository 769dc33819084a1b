"""The chart registry: every chart kind's spec, in the order of ``CHART_KINDS``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from briefings.charts.kinds.breadth import BREADTH
from briefings.charts.kinds.pairs import PAIRS
from briefings.charts.kinds.rrg import RRG_PAIRS, RRG_SECTORS
from briefings.charts.kinds.sectors import SECTORS
from briefings.charts.spec import CHART_KINDS, ChartKind, ChartSpec

#: Kind -> spec. The specs differ in the data they draw (hence Any); callers only go through
#: ``render``, ``summarize`` and ``key_arguments``, whose types do not depend on it.
CHARTS: Mapping[ChartKind, ChartSpec[Any]] = {
    spec.kind: spec for spec in (RRG_SECTORS, RRG_PAIRS, PAIRS, SECTORS, BREADTH)
}


def chart_spec(kind: ChartKind) -> ChartSpec[Any]:
    """Return the spec of ``kind``; raise ValueError for a kind that is not registered."""
    spec = CHARTS.get(kind)
    if spec is None:
        raise ValueError(f"unknown chart {kind!r}; use one of {', '.join(CHART_KINDS)}")
    return spec
