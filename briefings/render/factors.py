"""Render the factor scoreboard (/factors, ``marketbrief factors``) as text, HTML or JSON."""

from __future__ import annotations

import json
from typing import Any

from briefings.analytics.factors import FactorBoard, factor_board
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.render.templates import render_template
from briefings.render.views import Format, RenderError
from briefings.snapshot import Snapshot
from briefings.windows import WINDOWS


def snapshot_factors(snapshot: Snapshot) -> FactorBoard:
    """Return the factor scoreboard at the snapshot's session, from its closes."""
    universe = snapshot.universe
    return factor_board(
        snapshot.closes, universe.factors, universe.factor_benchmark, snapshot.briefing.as_of
    )


def factors_to_json(board: FactorBoard) -> dict[str, Any]:
    """Return the scoreboard as JSON-ready data (keys in docs/json.md, "factors")."""
    return {
        "as_of": None if board.as_of is None else board.as_of.isoformat(),
        "benchmark": board.benchmark,
        "benchmark_returns_pct": dict(board.benchmark_returns),
        "factors": [
            {
                "factor": line.factor,
                "ticker": line.ticker,
                "returns_pct": dict(line.returns),
                "spread_pp": dict(line.spread),
                "rank": dict(line.rank),
            }
            for line in board.lines
        ],
        "missing": list(board.missing),
    }


def render_factors(
    snapshot: Snapshot, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the factor scoreboard for ``window``: best factor first, each against SPY."""
    if window not in WINDOWS:
        raise RenderError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    board = snapshot_factors(snapshot)
    if fmt == "json":
        return json.dumps(factors_to_json(board), indent=2, ensure_ascii=False) + "\n"
    if fmt not in ("text", "html"):
        raise RenderError(f"unknown format {fmt!r}; use text, html or json")
    extension = "txt" if fmt == "text" else "html"
    return render_template(
        f"factors.{extension}.j2", lang, b=snapshot.briefing, board=board, window=window
    )
