"""Languages: the message catalog (gettext .po files read at load) and Babel's locale formats."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any, BinaryIO

from babel.core import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import NumberPattern, format_decimal, parse_pattern

#: The languages every message is written in; the first is the default.
LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"
#: Babel's locale for each language (Simplified Chinese as written in mainland China).
LOCALES: Mapping[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}
#: The gettext domain of the catalog: locale/<language>/LC_MESSAGES/messages.po.
DOMAIN = "messages"
LANGUAGE_ENV = "MARKETBRIEF_LANG"


class LanguageError(ValueError):
    """Raise when asked for a language the catalog does not have."""


def check_language(language: str) -> str:
    """Return ``language`` when it is supported, else raise LanguageError."""
    if language not in LANGUAGES:
        raise LanguageError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    return language


def language_of(code: str | None) -> str | None:
    """Return the supported language of an IETF tag such as ``zh-hans`` or ``en-GB``, else None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Return MARKETBRIEF_LANG when set (checked), else the default language."""
    value = (os.environ if environ is None else environ).get(LANGUAGE_ENV, "").strip()
    return check_language(value) if value else DEFAULT_LANGUAGE


def locale_dir() -> Path:
    """Return the catalog folder: inside the installed package, else the source checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "locale", here.parent / "locale"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("locale/ not found next to the briefings package")


def po_path(language: str) -> Path:
    """Return the .po file of ``language``."""
    return locale_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """Return the gettext translations of ``language``, compiled from its .po file at load."""
    check_language(language)
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()  # the message ids are the English text
    # Imported here: an English-only process never reads a catalog.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=LOCALES[language], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


#: Names a universe file gives in other languages ([names.<language>]): language -> name -> name.
_UNIVERSE_NAMES: dict[str, dict[str, str]] = {}


def register_names(language: str, names: Mapping[str, str]) -> None:
    """Use ``names`` (display name -> name in ``language``) before the catalog's for those names."""
    _UNIVERSE_NAMES.setdefault(check_language(language), {}).update(names)


def universe_name(language: str, name: str) -> str | None:
    """Return the name a universe file gave ``name`` in ``language``, None when it gave none."""
    return _UNIVERSE_NAMES.get(language, {}).get(name)


def gettext(language: str, message: str) -> str:
    """Return ``message`` in ``language`` (the English message when not translated)."""
    return translations(language).gettext(message)


def signed(value: float | None, language: str, decimals: int = 1, suffix: str = "%") -> str:
    """Format a number with an explicit sign for the locale, e.g. +1.2%; a dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = round(value, decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    pattern = _number_pattern(decimals, signed=True)
    return format_decimal(rounded, format=pattern, locale=_locale(language)) + suffix


def number(value: float, language: str, decimals: int = 2) -> str:
    """Format a number with grouping and ``decimals`` places for the locale: 1,234.50."""
    pattern = _number_pattern(decimals, signed=False)
    return format_decimal(round(value, decimals), format=pattern, locale=_locale(language))


@cache
def _number_pattern(decimals: int, signed: bool) -> NumberPattern:
    """Return the Babel pattern of a grouped number with ``decimals`` places, parsed once."""
    digits = "0" * decimals
    unsigned = f"#,##0.{digits}" if decimals else "#,##0"
    return parse_pattern(f"+{unsigned};-{unsigned}" if signed else unsigned)


@cache
def _locale(language: str) -> Locale:
    """Return the Babel locale of ``language``, parsed once."""
    return Locale.parse(LOCALES[language])


#: Babel date patterns per language: the full day and the short month-and-day.
_DAY_PATTERNS: Mapping[str, str] = {"en": "EEE dd MMM y", "zh": "y年M月d日 EEE"}


def day(value: date, language: str) -> str:
    """Format a session's date in full: Thu 11 Dec 2025, 2025年12月11日 周四."""
    return format_date(value, _DAY_PATTERNS[language], locale=LOCALES[language])


def short_day(value: date, language: str) -> str:
    """Format a month and day: Dec 11, 12月11日."""
    return format_skeleton("MMMd", value, locale=LOCALES[language])


def month_year(value: date, language: str) -> str:
    """Format a month and year: Apr 2025, 2025年4月."""
    return format_skeleton("yMMM", value, locale=LOCALES[language])


def long_month_year(value: date, language: str) -> str:
    """Format a month, spelt out, and year: November 2025, 2025年11月."""
    return format_skeleton("yMMMM", value, locale=LOCALES[language])


_LONG_DAY_PATTERNS: Mapping[str, str] = {"en": "dd MMM y", "zh": "y年M月d日"}
_MOMENT_PATTERNS: Mapping[str, str] = {"en": "EEE dd MMM y, HH:mm", "zh": "y年M月d日 EEE HH:mm"}


def long_day(value: date, language: str) -> str:
    """Format a date without its weekday: 01 Dec 2026, 2026年12月1日."""
    return format_date(value, _LONG_DAY_PATTERNS[language], locale=LOCALES[language])


def moment(value: datetime, language: str) -> str:
    """Format a local time with its day and zone: Tue 01 Dec 2026, 08:00 CET."""
    shown = format_datetime(value, _MOMENT_PATTERNS[language], locale=LOCALES[language])
    # The zone's abbreviation (CET, EST) is English; the Chinese reply names the zone elsewhere.
    return f"{shown} {value:%Z}".rstrip() if language == DEFAULT_LANGUAGE else shown


def headline_day(value: date, language: str) -> str:
    """Format the day a summary's title names: Nov 20; 11月20日 周四 (Chinese adds the weekday)."""
    if language == DEFAULT_LANGUAGE:
        return short_day(value, language)
    return f"{short_day(value, language)} {weekday(value, language)}"


def weekday(value: date, language: str) -> str:
    """Format a weekday's short name: Thu, 周四."""
    return format_date(value, "EEE", locale=LOCALES[language])


def extract_universe(
    fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield the display names of a universe TOML file for ``pybabel extract`` (babel.cfg)."""
    import tomllib

    raw = tomllib.loads(fileobj.read().decode("utf-8"))
    for group in raw.get("groups", {}).values():
        yield 0, "gettext", group["title"], []
        for name in group.get("members", {}).values():
            yield 0, "gettext", name, []
    for pair in raw.get("pairs", []):
        yield 0, "gettext", pair["name"], []
    for index in raw.get("indexes", {}).values():
        yield 0, "gettext", index["name"], []
