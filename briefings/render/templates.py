"""The Jinja environment of each language: its catalog, filters and display names."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from briefings import i18n
from briefings.calendar import cache_dir
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.render.layout import PHONE_WIDTH, fill, pad, phone_lines
from briefings.universe import BASKET_PREFIX
from briefings.windows import WINDOWS


def templates_dir() -> Path:
    """Return the templates folder: inside the installed package, else the source checkout's."""
    here = Path(__file__).resolve().parents[1]  # the briefings package
    for candidate in (here / "templates", here.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("templates/ not found next to the briefings package")


#: Which templates are HTML-escaped is compiled into them: a new rule needs a new cache folder.
ESCAPING_RULE = "plain: *.txt.j2, tables/"


def _autoescape(name: str | None) -> bool:
    # Terminal text and the neutral tables (plain text cells in JSON) must not be HTML-escaped;
    # everything else (Telegram HTML) is.
    name = name or ""
    return not (name.endswith(".txt.j2") or name.startswith("tables/"))


def _leg(leg: str, name: str) -> str:
    """Label a leg in text: its ticker, or for a ``basket:<group>`` leg its display name."""
    return name if leg.startswith(BASKET_PREFIX) else leg


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


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache on disk, where a cache folder that cannot be written costs nothing.

    A template whose compiled code is missing, stale or unreadable is compiled from source.
    """

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Write the compiled template, or skip it quietly on a read-only or full disk."""
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Read the compiled template if it is there and readable."""
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)


def _flavour(env: jinja2.Environment) -> str:
    """Return a digest of the options that shape compiled code, with Jinja's version."""
    options = (
        jinja2.__version__,
        env.trim_blocks,
        env.lstrip_blocks,
        env.keep_trailing_newline,
        env.newstyle_gettext,  # type: ignore[attr-defined]
        sorted(env.extensions),
        ESCAPING_RULE,
    )
    return hashlib.blake2b(repr(options).encode(), digest_size=8).hexdigest()


@cache
def bytecode_cache(flavour: str) -> jinja2.BytecodeCache | None:
    """Return the compiled templates' cache in the user cache folder (None: cannot be made).

    Templates are compiled once per install: Jinja checks each cached template against its
    source's checksum, and the folder is named by the options' ``flavour`` (``_flavour``), so an
    upgrade or a changed option never reads another's code.
    """
    folder = cache_dir() / "templates" / flavour
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _QuietBytecodeCache(str(folder))


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
    env.bytecode_cache = bytecode_cache(_flavour(env))

    def signed(value: float | None, decimals: int = 1, suffix: str = "%") -> str:
        return i18n.signed(value, language, decimals, suffix)

    def pp(value: float | None, decimals: int = 1) -> str:
        return signed(value, decimals, " " + i18n.gettext(language, "pp"))

    def cell(value: float | None, width: int, suffix: str = "%") -> str:
        """Right-align a signed figure in a table column, always with a space before it.

        A figure too wide for the column at one decimal is shown whole (+122.9% -> +123%),
        so that neighbouring columns never run together.
        """
        text = signed(value, 1, suffix)
        if len(text) >= width:
            text = signed(value, 0, suffix)
        return text.rjust(width)

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
        return fact_words(item, language)

    def lines(text: str, width: int = PHONE_WIDTH, indent: int = 0) -> list[str]:
        return phone_lines(text, width, indent)

    env.filters.update(
        pct=signed,
        pp=pp,
        share=share,
        cell=cell,
        day=lambda value: i18n.day(value, language),
        short_day=lambda value: i18n.short_day(value, language),
        month_year=lambda value: i18n.month_year(value, language),
        weekday=lambda value: i18n.weekday(value, language),
        headline_day=lambda value: i18n.headline_day(value, language),
        long_day=lambda value: i18n.long_day(value, language),
        long_month_year=lambda value: i18n.long_month_year(value, language),
        moment=lambda value: i18n.moment(value, language),
        price=price,
        source_label=source_label,
        leg=_leg,
        phone_lines=lines,
        pad=pad,
        fill=fill,
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


def fact_words(fact: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """Tell a story fact (or the verdict) in ``language`` on one line, from its sentence's template.

    The domain's facts hold no words: this is where each becomes a sentence, once per language.
    """
    sentence = fact.sentence
    template = environment(language).get_template(f"story/{sentence.template}.txt.j2")
    text = " ".join(template.render(**sentence.context).split())
    return _CJK_SPACE.sub("", text)


#: A space with a CJK character (or full-width punctuation) on either side.
_CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])"
    r"|(?<=[\u3000-\u303f\uff00-\uffef]) | (?=[\u3000-\u303f\uff00-\uffef])"
)


def short_sector_names(language: str = DEFAULT_LANGUAGE) -> Mapping[str, tuple[str, ...]]:
    """Return each GICS sector's short forms a reader may type in ``language`` (科技, tech)."""
    module: Any = environment(language).get_template("_sector_names.j2").make_module()
    shorts: Mapping[str, Any] = module.SHORT_NAMES
    return {sector: tuple(names) for sector, names in shorts.items()}
