"""Render a Briefing (and the bot's views of it) through the Jinja templates in ``templates/``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from briefings.members_json import members_json
from briefings.model import WINDOWS, Briefing, RotationLine, SinceDate
from briefings.universe import BASKET_PREFIX

Format = Literal["text", "html", "json"]
TELEGRAM_LIMIT = 4096

WINDOW_TITLES: Mapping[str, str] = {
    "1D": "today",
    "1W": "the past week",
    "MTD": "month to date",
    "1M": "the past month",
    "3M": "the past 3 months",
    "YTD": "year to date",
    "1Y": "the past year",
}


class RenderError(ValueError):
    """Raise when asked for an unknown format or window."""


def templates_dir() -> Path:
    """Return the templates folder: inside the installed package, else the source checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("templates/ not found next to the briefings package")


def _autoescape(name: str | None) -> bool:
    # Terminal text must not be HTML-escaped; everything else (Telegram HTML) is.
    return not (name or "").endswith(".txt.j2")


def _signed(value: float | None, decimals: int = 1, suffix: str = "%") -> str:
    """Format a number with an explicit sign, e.g. +1.2%; an en dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    return f"{rounded:+.{decimals}f}{suffix}"


def _pct(value: float | None, decimals: int = 1) -> str:
    return _signed(value, decimals, "%")


def _pp(value: float | None, decimals: int = 1) -> str:
    return _signed(value, decimals, " pp")


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _day(value: date) -> str:
    return f"{value:%a %d %b %Y}"


def _short_day(value: date) -> str:
    return f"{value:%b} {value.day}"


def _source_label(source: str) -> str:
    """Name a source for chat readers: a CSV directory's path stays on the operator's machine."""
    return "CSV files" if source.startswith("csv:") else source


def _leg(leg: str, name: str) -> str:
    """Label a leg in text: its ticker, or for a ``basket:<group>`` leg its display name."""
    return name if leg.startswith(BASKET_PREFIX) else leg


def _price(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


@cache
def environment() -> jinja2.Environment:
    """Return the shared Jinja environment (autoescape for HTML, StrictUndefined)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(
        pct=_pct,
        pp=_pp,
        share=_share,
        day=_day,
        short_day=_short_day,
        price=_price,
        source_label=_source_label,
        leg=_leg,
    )
    env.globals.update(WINDOWS=WINDOWS, WINDOW_TITLES=WINDOW_TITLES)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``templates/<name>`` with ``context``, trailing blank lines removed."""
    return environment().get_template(name).render(**context).strip() + "\n"


def _extension(fmt: str) -> str:
    if fmt == "text":
        return "txt"
    if fmt == "html":
        return "html"
    raise RenderError(f"unknown format {fmt!r}; use text, html or json")


def _check_window(window: str) -> str:
    if window not in WINDOWS:
        raise RenderError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}")
    return window


def render_briefing(briefing: Briefing, fmt: Format) -> str:
    """Render the whole daily briefing as terminal text, Telegram HTML or JSON."""
    if fmt == "json":
        return json.dumps(briefing_to_json(briefing), indent=2, ensure_ascii=False) + "\n"
    return render_template(f"briefing.{_extension(fmt)}.j2", b=briefing)


def render_rotation(briefing: Briefing, window: str, fmt: Format = "html") -> str:
    """Render the rotation pairs with their spreads for ``window``, trend and quadrant."""
    return render_template(
        f"rotation.{_extension(fmt)}.j2", b=briefing, window=_check_window(window)
    )


def render_sectors(briefing: Briefing, window: str, fmt: Format = "html") -> str:
    """Render the sector leaderboard for ``window``, best to worst."""
    return render_template(
        f"sectors.{_extension(fmt)}.j2", b=briefing, window=_check_window(window)
    )


def render_since(briefing: Briefing, since: SinceDate, fmt: Format = "html") -> str:
    """Render returns of the key groups since a date's close."""
    return render_template(f"since.{_extension(fmt)}.j2", b=briefing, since=since)


def render_pair(briefing: Briefing, line: RotationLine, fmt: Format = "html") -> str:
    """Render a two-ticker comparison over every window."""
    return render_template(f"pair.{_extension(fmt)}.j2", b=briefing, line=line)


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
        }
        for line in (*briefing.rotation, *briefing.sector_rotation)
    ]
    payload: dict[str, Any] = {
        "as_of": briefing.as_of.isoformat(),
        "source": briefing.source,
        "simulated": briefing.simulated,
        "period": briefing.period,
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


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


def _open_tags(text: str) -> list[str]:
    """Return the full opening tags still open at the end of ``text``, outermost first."""
    stack: list[tuple[str, str]] = []
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, match.group(0)))
    return [tag for _, tag in stack]


def _close_tags(open_tags: list[str]) -> str:
    names = [_TAG.match(tag).group(2) for tag in open_tags]  # type: ignore[union-attr]
    return "".join(f"</{name}>" for name in reversed(names))


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split text into chunks of at most ``limit`` characters at line boundaries.

    Tags left open at a cut (a ``<pre>`` block, say) are closed at the end of the chunk and
    reopened at the start of the next, so every chunk is valid Telegram HTML on its own.
    A single line longer than the limit is cut hard, which only happens with pathological input.
    """
    text = text.strip("\n")
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    reopen = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else reopen + line
        tail = _close_tags(_open_tags(candidate))
        if len(candidate) + len(tail) <= limit:
            current = candidate
            continue
        if current:
            still_open = _open_tags(current)
            chunks.append(current + _close_tags(still_open))
            reopen = "".join(still_open)
            current = reopen + line
        else:
            current = candidate
        while len(current) > limit:
            chunks.append(current[:limit])
            current = current[limit:]
    if current.strip():
        chunks.append(current + _close_tags(_open_tags(current)))
    return chunks
