"""Render a Briefing (and the bot's views of it) through the Jinja templates in ``templates/``."""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from briefings import i18n
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.render.briefing_json import members_json
from briefings.windows import WINDOWS
from briefings.model import Briefing, Change, SinceDate
from briefings.analytics.rotation import RotationLine
from briefings.analytics.leaders import SectorRow
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


def _leg(leg: str, name: str) -> str:
    """Label a leg in text: its ticker, or for a ``basket:<group>`` leg its display name."""
    return name if leg.startswith(BASKET_PREFIX) else leg


def display_width(text: str) -> int:
    """Return the columns ``text`` takes on a phone or terminal: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` columns (CJK characters count two)."""
    return " " * max(0, width - display_width(text)) + text


def _fill(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` columns, cut to fit (CJK characters count two)."""
    kept = ""
    for char in text:
        if display_width(kept + char) > width:
            break
        kept += char
    return kept + " " * (width - display_width(kept))


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
#: A CJK unit glued to the number before it, a CJK character, or a run of other letters/digits.
_CJK_TOKEN = re.compile(
    r"个百分点|个|[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+|\s+"
)
#: Punctuation that never starts a line (it stays at the end of the line before).
_NO_LINE_START = set("，。：；、）！？%,.:;)")
#: Most CJK characters of a label a number keeps on its line (one more for a number written
#: onto its name, as in 纳斯达克100).
CJK_LABEL_CHARS = 3


def _cjk_units(text: str) -> list[str]:
    """Return the unbreakable pieces of a CJK line, a leading space kept on a piece."""
    units: list[str] = []
    space = ""
    for token in _CJK_TOKEN.findall(text):
        if token.isspace():
            space = " "
            continue
        if units and (
            token[0] in _NO_LINE_START
            or (token.startswith("个") and _GLUED.match(units[-1].strip()[-1:] or " "))
        ):
            units[-1] += space + token
        elif units and _GLUED.match(token):
            # The number joins its label: up to CJK_LABEL_CHARS characters back.
            label: list[str] = []
            while (
                units
                and len(label) < CJK_LABEL_CHARS + (0 if space else 1)
                and len(units[-1].strip()) == 1
                and _CJK.match(units[-1].strip())
                and units[-1].strip() not in _NO_LINE_START
            ):
                label.insert(0, units.pop())
            if not label and units and units[-1][-1] not in _NO_LINE_START:
                label.append(units.pop())  # a label ending in digits (标普500) keeps its number
            units.append("".join(label) + space + token)
        else:
            units.append(space + token)
        space = ""
    return units


def _cjk_lines(text: str, width: int, indent: int) -> list[str]:
    """Wrap CJK ``text`` into lines of at most ``width`` columns (a CJK character takes two).

    A line ends at a space or after punctuation when one falls in its last CJK_SOFT_SHARE of
    room, so that a name is not cut in two; else it ends where the next piece does not fit.
    """
    lines: list[str] = []
    current: list[str] = []
    for unit in _cjk_units(text):
        room = width - (indent if lines else 0)
        if current and display_width("".join(current) + unit) > room:
            cut = _soft_break(current, room)
            lines.append("".join(current[:cut]).rstrip())
            current = [current[cut].lstrip(), *current[cut + 1 :]] if cut < len(current) else []
        current.append(unit.lstrip() if not current else unit)
    if current and lines and display_width("".join(current)) <= CJK_ORPHAN and len(lines[-1]) > 4:
        # No word of two characters alone on the last line: the line before gives it one more.
        head, moved = lines[-1][:-1], lines[-1][-1]
        lines[-1] = head
        current.insert(0, moved)
    if current:
        lines.append("".join(current))
    return lines


#: The widest last line (in columns) a wrapped CJK text may leave alone.
CJK_ORPHAN = 4


#: The share of a line's room a soft break (a space, after punctuation) may give up.
CJK_SOFT_SHARE = 0.35


def _soft_break(units: list[str], room: int) -> int:
    """Return where to end a full line of ``units``: the last soft break late enough, else all."""
    for index in range(len(units) - 1, 0, -1):
        soft = units[index].startswith(" ") or units[index - 1][-1] in _NO_LINE_START
        if soft and display_width("".join(units[:index])) >= room * (1 - CJK_SOFT_SHARE):
            return index
    return len(units)


#: Most words of a label a number keeps on its line.
LABEL_WORDS = 3
_GLUED = re.compile(r"^[+\-−#(]?\d")


def phone_lines(text: str, width: int = PHONE_WIDTH, indent: int = 0) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` characters, numbers beside their labels.

    A word that is a number (``+1.2%``, ``4.6``, ``#3``) or the unit ``pp`` stays on the line of
    its label: the words before it, up to LABEL_WORDS and not past a comma or colon. Lines
    after the first leave room for ``indent`` leading characters.
    """
    if _CJK.search(text):
        return _cjk_lines(text, width, indent)
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


def display_name(language: str, name: str) -> str:
    """Return a universe display name (ticker, group, pair, index) in ``language``.

    A name the catalog lacks but that ends in its ticker, "Health Care (XLV)", is the
    catalog's name of the rest followed by the ticker.
    """
    own = i18n.universe_name(language, name)
    if own is not None:
        return own
    translated = i18n.gettext(language, name)
    if translated != name:
        return translated
    if match := _NAME_AND_TICKER.match(name):
        return f"{display_name(language, match.group(1))} ({match.group(2)})"
    if match := _PAIR_NAME.match(name):
        # A pair the universe left unnamed: "XLK vs ^GSPC" (briefings.build).
        pair = i18n.gettext(language, "%(lead)s vs %(lag)s")
        return pair % {
            "lead": display_name(language, match.group(1)),
            "lag": display_name(language, match.group(2)),
        }
    return name


@cache
def environment(language: str = DEFAULT_LANGUAGE) -> jinja2.Environment:
    """Return the Jinja environment of ``language``: its catalog, its number and date formats."""
    i18n.check_language(language)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
        # Templates do not change while the process runs: no stat of the file on every render.
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]

    def signed(value: float | None, decimals: int = 1, suffix: str = "%") -> str:
        return i18n.signed(value, language, decimals, suffix)

    def pp(value: float | None, decimals: int = 1) -> str:
        return signed(value, decimals, " " + i18n.gettext(language, "pp"))

    def share(value: float | None) -> str:
        return "–" if value is None else i18n.number(value, language, 0) + "%"

    def price(value: float | None) -> str:
        return "–" if value is None else i18n.number(value, language, 2)

    def source_label(source: str) -> str:
        """Name a source for readers: a CSV directory's path stays on the operator's machine."""
        names: Mapping[str, str] = env.globals["SOURCE_NAMES"]  # type: ignore[assignment]
        return names.get("csv" if source.startswith("csv:") else source, source)

    def said(item: Any) -> str:
        """Return a story sentence (verdict, takeaway or change) in this language."""
        if language == DEFAULT_LANGUAGE:
            return str(item.text)  # ``text`` is the English sentence
        texts: Mapping[str, str] = item.texts
        return texts.get(language, item.text)

    def lines(text: str, width: int = PHONE_WIDTH, indent: int = 0) -> list[str]:
        return phone_lines(text, width, indent)

    env.filters.update(
        pct=signed,
        pp=pp,
        share=share,
        day=lambda value: i18n.day(value, language),
        short_day=lambda value: i18n.short_day(value, language),
        weekday=lambda value: i18n.weekday(value, language),
        headline_day=lambda value: i18n.headline_day(value, language),
        long_day=lambda value: i18n.long_day(value, language),
        moment=lambda value: i18n.moment(value, language),
        price=price,
        source_label=source_label,
        leg=_leg,
        phone_lines=lines,
        pad=_pad,
        fill=_fill,
        said=said,
        named=functools.partial(display_name, language),
    )
    env.globals.update(WINDOWS=WINDOWS, lang=language)
    module: Any = env.get_template("_windows.j2").make_module()
    env.globals["WINDOW_TITLES"] = module.WINDOW_TITLES
    env.globals["SOURCE_NAMES"] = module.SOURCE_NAMES
    return env


def window_titles(language: str = DEFAULT_LANGUAGE) -> Mapping[str, str]:
    """Return each window's name in ``language``: 1M -> the past month."""
    titles = environment(language).globals["WINDOW_TITLES"]
    assert isinstance(titles, Mapping)
    return titles


def render_template(name: str, lang: str = DEFAULT_LANGUAGE, **context: Any) -> str:
    """Render ``templates/<name>`` in ``lang`` with ``context``, trailing blank lines removed."""
    text = environment(lang).get_template(name).render(**context).strip() + "\n"
    return text if lang == DEFAULT_LANGUAGE else _FULL_WIDTH_SPACE.sub("", text)


_PAIR_NAME = re.compile(r"^(.+) vs (.+)$")
_NAME_AND_TICKER = re.compile(r"^(.+) \((\^?[A-Z0-9.\-]+)\)$")
#: A space beside full-width punctuation, which carries its own spacing (Chinese text).
_FULL_WIDTH_SPACE = re.compile(r"(?<=[：，。；、）]) +(?=\S)|(?<=\S) +(?=[（])")


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


def render_briefing(briefing: Briefing, fmt: Format, lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the whole daily briefing as terminal text, Telegram HTML or JSON."""
    if fmt == "json":
        return json.dumps(briefing_to_json(briefing), indent=2, ensure_ascii=False) + "\n"
    return render_template(f"briefing.{_extension(fmt)}.j2", lang, b=briefing)


def render_summary(briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the phone-first daily summary: verdict, the day, takeaways, what changed.

    At most SUMMARY_MAX_LINES lines: the most takeaways (at least SUMMARY_MIN_TAKEAWAYS) with
    at least SUMMARY_MIN_CHANGES changes, then as many changes (up to SUMMARY_MAX_CHANGES) as
    still fit; when even that is too long, the changes are only counted.
    """
    story = briefing.story
    name = f"summary.{_extension(fmt)}.j2"
    if story is None:
        return render_template(name, lang, b=briefing, s=None, takeaways=(), changes=(), more=0)
    changes = _summary_changes(briefing)
    takeaways = story.takeaways

    def render(told: int, shown: int) -> str:
        return render_template(
            name,
            lang,
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


def render_basket_breadth(
    briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the baskets' breadth: members above their 50- and 200-day averages."""
    return render_template(f"basket_breadth.{_extension(fmt)}.j2", lang, b=briefing)


def render_since_low(briefing: Briefing, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE) -> str:
    """Render the returns since the recent low of the low benchmark."""
    return render_template(f"since_low.{_extension(fmt)}.j2", lang, b=briefing)


def render_rotation(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the rotation pairs with their spreads for ``window``, trend and quadrant."""
    return render_template(
        f"rotation.{_extension(fmt)}.j2", lang, b=briefing, window=_check_window(window)
    )


def render_sectors(
    briefing: Briefing, window: str, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render the sector leaderboard for ``window``, best to worst."""
    return render_template(
        f"sectors.{_extension(fmt)}.j2", lang, b=briefing, window=_check_window(window)
    )


def render_since(
    briefing: Briefing, since: SinceDate, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render returns of the key groups since a date's close."""
    return render_template(f"since.{_extension(fmt)}.j2", lang, b=briefing, since=since)


def render_pair(
    briefing: Briefing, line: RotationLine, fmt: Format = "html", lang: str = DEFAULT_LANGUAGE
) -> str:
    """Render a two-ticker comparison over every window."""
    return render_template(f"pair.{_extension(fmt)}.j2", lang, b=briefing, line=line)


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


def telegram_length(text: str) -> int:
    """Return the length of ``text`` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """Return the most characters of ``text`` that fit in ``limit`` UTF-16 code units."""
    if telegram_length(text) <= limit:
        return len(text)
    low, high = 0, min(len(text), limit)
    while low < high:
        mid = (low + high + 1) // 2
        if telegram_length(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return max(low, 1)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split text into chunks of at most ``limit`` UTF-16 code units at line boundaries.

    Telegram counts a message's length in UTF-16 code units: an emoji outside the BMP is two.

    Tags left open at a cut (a ``<pre>`` block, say) are closed at the end of the chunk and
    reopened at the start of the next, so every chunk is valid Telegram HTML on its own.
    A single line longer than the limit is cut hard, which only happens with pathological input.
    """
    text = text.strip("\n")
    if telegram_length(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    reopen = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else reopen + line
        tail = _close_tags(_open_tags(candidate))
        if telegram_length(candidate) + telegram_length(tail) <= limit:
            current = candidate
            continue
        if current:
            still_open = _open_tags(current)
            chunks.append(current + _close_tags(still_open))
            reopen = "".join(still_open)
            current = reopen + line
        else:
            current = candidate
        while telegram_length(current) > limit:
            cut = _cut(current, limit)
            chunks.append(current[:cut])
            current = current[cut:]
    if current.strip():
        chunks.append(current + _close_tags(_open_tags(current)))
    return chunks
