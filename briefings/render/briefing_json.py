"""The briefing as JSON-ready data (the schema of ``--format json``)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from briefings.analytics.leaders import SectorRow
from briefings.members.json_doc import index_members_json
from briefings.model import Briefing
from briefings.render.selection import select_summary
from briefings.render.templates import fact_words


def _clean(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, 4)


def briefing_to_json(briefing: Briefing) -> dict[str, Any]:
    """Return the briefing as plain JSON-able data (the documented ``--format json`` shape)."""
    rotation = [
        {
            "name": line.name,
            "lead": line.lead,
            "lag": line.lag,
            "spread": {w: _clean(v) for w, v in line.spread.items()},
            "ratio_vs_50d": _clean(line.ratio_vs_50d),
            "trend": line.trend,
            "quadrant": line.quadrant,
            "rs_ratio": _clean(line.rrg.rs_ratio) if line.rrg else None,
            "rs_momentum": _clean(line.rrg.rs_momentum) if line.rrg else None,
            "quadrant_sessions": line.rrg.held_sessions if line.rrg else None,
            "settled_quadrant": line.rrg.settled_quadrant if line.rrg else None,
            "typical_spread": {
                w: _clean(v)
                for w, v in briefing.typical_spreads.get(f"{line.lead}/{line.lag}", {}).items()
            },
        }
        for line in (*briefing.rotation, *briefing.sector_rotation)
    ]
    payload: dict[str, Any] = {
        "as_of": briefing.as_of.isoformat(),
        "source": briefing.source,
        "simulated": briefing.simulated,
        "period": briefing.period,
        **_story_json(briefing),
        "returns": {
            ticker: {w: _clean(v) for w, v in windows.items()}
            for ticker, windows in briefing.returns.items()
        },
        "sectors": [
            {"ticker": row.ticker, "name": row.name, "return": _clean(row.return_pct)}
            for row in briefing.sectors
        ],
        "rotation": rotation,
        "highs": list(briefing.record_highs),
        "highs_52w": list(briefing.highs_52w),
        "streaks": [asdict(s) for s in briefing.streaks],
        "breadth": [
            {
                "basket": b.key,
                "members": b.members,
                "above_50d": b.above_50,
                "above_200d": b.above_200,
                "pct_above_50d": _clean(b.pct_above_50),
                "pct_above_200d": _clean(b.pct_above_200),
            }
            for b in briefing.breadth
        ],
        "stale": list(briefing.stale),
        "stale_last_close": {
            ticker: day.isoformat() for ticker, day in briefing.stale_last_close.items()
        },
        "members": members_json(briefing),
        "quarantined": [close.to_json() for close in briefing.quarantined],
    }
    if briefing.since_low is not None:
        low = briefing.since_low
        payload["since_low"] = {
            "benchmark": low.benchmark,
            "date": low.low_date.isoformat(),
            "close": _clean(low.low_close),
            "returns": {row.ticker: _clean(row.return_pct) for row in low.returns},
        }
    if briefing.since is not None:
        payload["since"] = {
            "date": briefing.since.start.isoformat(),
            "returns": {row.ticker: _clean(row.return_pct) for row in briefing.since.returns},
        }
    return payload


def _story_json(briefing: Briefing) -> dict[str, Any]:
    """Return the verdict, the day, takeaways and changes as JSON (empty without a story)."""
    story = briefing.story
    if story is None:
        return {}

    pick = select_summary(briefing)

    def rows(items: tuple[SectorRow, ...]) -> list[dict[str, Any]]:
        return [{"ticker": r.ticker, "return": _clean(r.return_pct)} for r in items]

    return {
        "verdict": {
            "id": story.verdict.id,
            "text": fact_words(story.verdict),
            "figures": dict(story.verdict.figures),
        },
        "takeaways": [
            {
                "id": t.id,
                "kind": t.kind,
                "text": fact_words(t),
                "subjects": list(t.subjects),
                "figures": dict(t.figures),
                "significance": t.significance,
                "supersedes": list(t.supersedes),
            }
            for t in story.takeaways
        ],
        "day": {
            "benchmarks": rows(story.day.benchmarks),
            "up": rows(story.day.up),
            "down": rows(story.day.down),
        },
        "changes": [
            {"id": c.id, "kind": c.kind, "text": fact_words(c), "subjects": list(c.subjects)}
            for c in story.changes
        ],
        "history": [
            {
                "id": f.id,
                "kind": f.kind,
                "text": fact_words(f),
                "subjects": list(f.subjects),
                "figures": dict(f.figures),
                "episodes": [episode.as_json() for episode in f.episodes],
            }
            for f in story.history
        ],
        "previous_session": (
            story.previous_session.isoformat() if story.previous_session else None
        ),
        "summary": {
            "shown": list(pick.ids),
            "counted": list(pick.counted_ids),
        },
    }


def members_json(briefing: Briefing) -> list[dict[str, Any]]:
    """Return the briefing's ``members`` list: one object per enabled index."""
    return [index_members_json(members, briefing.period) for members in briefing.members]
