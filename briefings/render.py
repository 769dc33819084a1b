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
from briefings.model import WINDOWS, Briefing, Change, RotationLine, SectorRow, SinceDate
from briefings.universe import BASKET_PREFIX

Format = Literal["text", "html", "json"]
TELEGRAM_LIMIT = 4096
#: A phone shows about this many characters on a line of a chat message.
PHONE_WIDTH = 40
#: The daily summary's most lines, and the fewest takeaways and changes it keeps to meet that.
SUMMARY_MAX_LINES = 26
SUMMARY_MIN_TAKEAWAYS = 3
SUMMARY_MIN_CHANGES = 1
SUMMARY_MAX_CHANGES = 4

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


#: Most words of a label a number keeps on its line.
LABEL_WORDS = 3
_GLUED = re.compile(r"^[+\-−#(]?\d")


def phone_lines(text: str, width: int = PHONE_WIDTH, indent: int = 0) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` characters, numbers beside their labels.

    A word that is a number (``+1.2%``, ``4.6``, ``#3``) or the unit ``pp`` stays on the line of
    its label: the words before it, up to LABEL_WORDS and not past a comma or colon. Lines
    after the first leave room for ``indent`` leading characters.
    """
    units: list[str] = []
    for word in text.split():
        if units and word.startswith("pp"):
            units[-1] += " " + word
        elif units and _GLUED.match(word):
            # The number joins its label: up to LABEL_WORDS plain words back, not past a comma.
            label = [units.pop()]
            while (
                units
                and len(label) < LABEL_WORDS
                and " " not in units[-1]
                and " " not in label[0]
                and not units[-1].endswith((",", ":", ";"))
            ):
                label.insert(0, units.pop())
            units.append(" ".join([*label, word]))
        else:
            units.append(word)
    lines: list[str] = []
    current = ""
    for unit in units:
        room = width - (indent if lines else 0)
        if current and len(current) + 1 + len(unit) > room:
            lines.append(current)
            current = unit
        else:
            current = f"{current} {unit}" if current else unit
        while len(current) > room and " " in current:
            # A unit too long for a line gives up its first word.
            head, _, current = current.partition(" ")
            lines.append(head)
            room = width - indent
    if current:
        lines.append(current)
    return lines


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
        phone_lines=phone_lines,
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


def render_summary(briefing: Briefing, fmt: Format = "html") -> str:
    """Render the phone-first daily summary: verdict, the day, takeaways, what changed.

    At most SUMMARY_MAX_LINES lines: the most takeaways (at least SUMMARY_MIN_TAKEAWAYS) with
    at least SUMMARY_MIN_CHANGES changes, then as many changes (up to SUMMARY_MAX_CHANGES) as
    still fit; when even that is too long, the changes are only counted.
    """
    story = briefing.story
    name = f"summary.{_extension(fmt)}.j2"
    if story is None:
        return render_template(name, b=briefing, s=None, takeaways=(), changes=(), more=0)
    changes = _summary_changes(briefing)
    takeaways = story.takeaways

    def render(told: int, shown: int) -> str:
        return render_template(
            name,
            b=briefing,
            s=story,
            takeaways=takeaways[:told],
            changes=changes[:shown],
            more=len(changes) - shown,
        )

    fewest_takeaways = min(SUMMARY_MIN_TAKEAWAYS, len(takeaways))
    most_changes = min(SUMMARY_MAX_CHANGES, len(changes))
    fewest_changes = min(SUMMARY_MIN_CHANGES, most_changes)
    text = ""
    for least in (fewest_changes, 0):
        for told in range(len(takeaways), fewest_takeaways - 1, -1):
            for shown in range(most_changes, least - 1, -1):
                text = render(told, shown)
                if text.count("\n") <= SUMMARY_MAX_LINES:
                    return text
    return text


def _summary_changes(briefing: Briefing) -> list[Change]:
    """Return the changes the summary shows: records are left to the records takeaway."""
    story = briefing.story
    if story is None:
        return []
    told_records = any(t.id == "records" for t in story.takeaways)
    return [c for c in story.changes if not (told_records and c.kind == "record")]


def render_basket_breadth(briefing: Briefing, fmt: Format = "html") -> str:
    """Render the baskets' breadth: members above their 50- and 200-day averages."""
    return render_template(f"basket_breadth.{_extension(fmt)}.j2", b=briefing)


def render_since_low(briefing: Briefing, fmt: Format = "html") -> str:
    """Render the returns since the recent low of the low benchmark."""
    return render_template(f"since_low.{_extension(fmt)}.j2", b=briefing)


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

    def rows(items: tuple[SectorRow, ...]) -> list[dict[str, Any]]:
        return [{"ticker": r.ticker, "return": _clean(r.return_pct)} for r in items]

    return {
        "verdict": {
            "id": story.verdict.id,
            "text": story.verdict.text,
            "figures": dict(story.verdict.figures),
        },
        "takeaways": [
            {
                "id": t.id,
                "text": t.text,
                "figures": dict(t.figures),
                "significance": t.significance,
            }
            for t in story.takeaways
        ],
        "day": {
            "benchmarks": rows(story.day.benchmarks),
            "up": rows(story.day.up),
            "down": rows(story.day.down),
        },
        "changes": [{"id": c.id, "kind": c.kind, "text": c.text} for c in story.changes],
        "previous_session": (
            story.previous_session.isoformat() if story.previous_session else None
        ),
    }


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
