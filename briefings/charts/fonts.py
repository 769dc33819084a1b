"""The typeface each chart language is drawn in, registered with matplotlib on first use.

English charts use DejaVu Sans (shipped with matplotlib). Chinese charts use Noto Sans CJK SC
from the ``noto-cjk-sans-otc`` package, registered only when the first Chinese chart is drawn;
without it, a system Noto Sans CJK SC, Source Han Sans SC or WenQuanYi Zen Hei serves; without
any of those the chart is drawn in English, with one warning in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace

from briefings.i18n import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)

LATIN = "DejaVu Sans"
#: Chinese typefaces, the bundled one first; any installed on the system also serves.
CJK_FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")

_lock = threading.Lock()
_chosen: dict[str, str | None] = {}


def _register_bundled_cjk() -> None:
    """Add the Noto Sans CJK collection of the ``noto-cjk-sans-otc`` package, when installed."""
    from matplotlib import font_manager

    try:
        import noto_cjk_sans_otc  # type: ignore[import-untyped]
    except ImportError:
        return
    manager = font_manager.fontManager
    before = len(manager.ttflist)
    manager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    # The package ships the regular weight only: list it as the bold face too, so bold titles
    # use it as they would anyway, without matplotlib warning once per text size.
    manager.ttflist.extend(replace(entry, weight=700) for entry in manager.ttflist[before:])


def pick_cjk_family(known: Iterable[str]) -> str | None:
    """Return the first of CJK_FAMILIES among the ``known`` families, None when none is."""
    names = set(known)
    return next((family for family in CJK_FAMILIES if family in names), None)


def _find_cjk() -> str | None:
    """Return the first Chinese family matplotlib knows after registering the bundled one."""
    from matplotlib import font_manager

    _register_bundled_cjk()
    return pick_cjk_family(font.name for font in font_manager.fontManager.ttflist)


def _cjk_family() -> str | None:
    """Return the Chinese family, looked up once per process (None: no Chinese font found)."""
    with _lock:
        if "zh" not in _chosen:
            _chosen["zh"] = _find_cjk()
            if _chosen["zh"] is None:
                log.warning(
                    "no Chinese font found (%s); drawing charts in English", CJK_FAMILIES[0]
                )
        return _chosen["zh"]


def chart_language(language: str) -> str:
    """Return the language a chart can be drawn in: ``language``, or English without its font."""
    if language == DEFAULT_LANGUAGE:
        return language
    return language if _cjk_family() is not None else DEFAULT_LANGUAGE


def families(language: str) -> str | list[str]:
    """Return the font family of a chart in ``language``, or families preferred first."""
    if language == DEFAULT_LANGUAGE:
        return LATIN
    cjk = _cjk_family()
    return [LATIN] if cjk is None else [cjk, LATIN]
