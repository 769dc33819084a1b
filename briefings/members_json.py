"""The JSON ``members`` block of a briefing: one object per index (keys in the README)."""

from __future__ import annotations

import math
from typing import Any

from briefings.members.model import BreadthCounts, Contribution, IndexMembers
from briefings.windows import WINDOWS
from briefings.model import Briefing


def _clean(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 4)


def _breadth_json(counts: BreadthCounts) -> dict[str, Any]:
    return {
        "members": counts.members,
        "above_50d": counts.above_50d,
        "above_200d": counts.above_200d,
        "counted_50d": counts.counted_50d,
        "counted_200d": counts.counted_200d,
        "pct_above_50d": _clean(counts.pct_above_50d),
        "pct_above_200d": _clean(counts.pct_above_200d),
        "advancers": counts.advancers,
        "decliners": counts.decliners,
        "new_highs_52w": counts.new_highs_52w,
        "new_lows_52w": counts.new_lows_52w,
    }


def _contribution_json(item: Contribution) -> dict[str, Any]:
    return {
        "ticker": item.ticker,
        "name": item.name,
        "pp": _clean(item.pp),
        "return": _clean(item.return_pct),
    }


def index_members_json(members: IndexMembers, period: str) -> dict[str, Any]:
    """Return one index's ``members`` object (the documented JSON shape) for ``period``."""
    movers = members.movers[period]
    return {
        "index": members.index,
        "name": members.name,
        "origin": members.origin,
        "simulated": members.simulated,
        "weights_as_of": members.weights_as_of.isoformat() if members.weights_as_of else None,
        "cap_weighted": members.cap_weighted,
        "count": members.count,
        "with_data": members.with_data,
        "missing": list(members.missing),
        "note": members.note,
        "period": period,
        "index_return": {w: _clean(members.index_return[w]) for w in WINDOWS},
        "top_vs_rest": {
            "n": members.top_n,
            "windows": {
                w: {
                    "top_cap": _clean(split.top_cap),
                    "rest_cap": _clean(split.rest_cap),
                    "top_equal": _clean(split.top_equal),
                    "rest_equal": _clean(split.rest_equal),
                }
                for w, split in members.top_vs_rest.items()
            },
        },
        "sectors": [
            {
                "sector": sector.sector,
                "members": sector.members,
                "return": _clean(sector.returns[period]),
                "equal_return": _clean(sector.equal_returns[period]),
                "above_50d": sector.breadth.above_50d,
                "above_200d": sector.breadth.above_200d,
                "counted_50d": sector.breadth.counted_50d,
                "counted_200d": sector.breadth.counted_200d,
                "pct_above_50d": _clean(sector.breadth.pct_above_50d),
                "pct_above_200d": _clean(sector.breadth.pct_above_200d),
            }
            for sector in members.sectors_by(period)
        ],
        "breadth": _breadth_json(members.breadth),
        "contributors": {
            "top": [_contribution_json(item) for item in movers.top],
            "bottom": [_contribution_json(item) for item in movers.bottom],
        },
    }


def members_json(briefing: Briefing) -> list[dict[str, Any]]:
    """Return the briefing's ``members`` list: one object per enabled index."""
    return [index_members_json(members, briefing.period) for members in briefing.members]
