"""marketbrief's domain: market data, its analytics and the story, as words and charts.

This is the package's public face: the transport (``bot``) imports these names from
``briefings`` and nothing below it (an import-linter contract holds it). Names load on first
use, so a process that needs the settings does not pay for pandas, Jinja or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefings.alerts import Alert, pushed_alerts
    from briefings.build import BriefingInputError
    from briefings.calendar import (
        CalendarRangeError,
        is_session,
        last_completed_session,
        session_close,
        sessions_in_range,
        settled_session,
    )
    from briefings.charts import (
        ChartCache,
        ChartKey,
        ChartKind,
        cached_chart,
        chart_key,
        chart_summary,
    )
    from briefings.cli import (
        EXIT_FAILURE,
        EXIT_OK,
        EXIT_USAGE,
        AddCommand,
        UsageError,
        add_source_option,
        build_parser,
        open_service,
        run,
        run_command,
        warn_unknown_tickers,
    )
    from briefings.clock import Clock, utc_now
    from briefings.config import Settings
    from briefings.i18n import DEFAULT_LANGUAGE, LANGUAGES, language_of
    from briefings.lru import Lru
    from briefings.model import Briefing
    from briefings.refresh import RefreshReport
    from briefings.render.alerts import render_alerts
    from briefings.render.members import render_breadth, render_movers
    from briefings.render.templates import render_template
    from briefings.render.views import (
        Format,
        RenderError,
        render_basket_breadth,
        render_briefing,
        render_pair,
        render_rotation,
        render_sectors,
        render_since,
        render_since_low,
        render_summary,
    )
    from briefings.service import Freshness, MarketService, NoDataError, expected_session
    from briefings.snapshot import Snapshot
    from briefings.storage import (
        DataDirLock,
        describe,
        fault_kind,
        prepare_database_file,
        probe_database,
    )
    from briefings.store import StoreError
    from briefings.windows import WINDOWS, window_named

#: Each public name and the module that defines it.
_PUBLIC: dict[str, str] = {
    "add_source_option": "briefings.cli",
    "AddCommand": "briefings.cli",
    "Alert": "briefings.alerts",
    "Briefing": "briefings.model",
    "BriefingInputError": "briefings.build",
    "build_parser": "briefings.cli",
    "cached_chart": "briefings.charts",
    "CalendarRangeError": "briefings.calendar",
    "chart_key": "briefings.charts",
    "chart_summary": "briefings.charts",
    "ChartCache": "briefings.charts",
    "ChartKey": "briefings.charts",
    "ChartKind": "briefings.charts",
    "Clock": "briefings.clock",
    "DataDirLock": "briefings.storage",
    "DEFAULT_LANGUAGE": "briefings.i18n",
    "describe": "briefings.storage",
    "EXIT_FAILURE": "briefings.cli",
    "EXIT_OK": "briefings.cli",
    "EXIT_USAGE": "briefings.cli",
    "expected_session": "briefings.service",
    "fault_kind": "briefings.storage",
    "Format": "briefings.render.views",
    "Freshness": "briefings.service",
    "is_session": "briefings.calendar",
    "language_of": "briefings.i18n",
    "LANGUAGES": "briefings.i18n",
    "last_completed_session": "briefings.calendar",
    "Lru": "briefings.lru",
    "MarketService": "briefings.service",
    "NoDataError": "briefings.service",
    "open_service": "briefings.cli",
    "prepare_database_file": "briefings.storage",
    "probe_database": "briefings.storage",
    "pushed_alerts": "briefings.alerts",
    "RefreshReport": "briefings.refresh",
    "render_alerts": "briefings.render.alerts",
    "render_basket_breadth": "briefings.render.views",
    "render_breadth": "briefings.render.members",
    "render_briefing": "briefings.render.views",
    "render_movers": "briefings.render.members",
    "render_pair": "briefings.render.views",
    "render_rotation": "briefings.render.views",
    "render_sectors": "briefings.render.views",
    "render_since": "briefings.render.views",
    "render_since_low": "briefings.render.views",
    "render_summary": "briefings.render.views",
    "render_template": "briefings.render.templates",
    "RenderError": "briefings.render.views",
    "run": "briefings.cli",
    "run_command": "briefings.cli",
    "session_close": "briefings.calendar",
    "sessions_in_range": "briefings.calendar",
    "Settings": "briefings.config",
    "settled_session": "briefings.calendar",
    "Snapshot": "briefings.snapshot",
    "StoreError": "briefings.store",
    "UsageError": "briefings.cli",
    "utc_now": "briefings.clock",
    "warn_unknown_tickers": "briefings.cli",
    "window_named": "briefings.windows",
    "WINDOWS": "briefings.windows",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    try:
        module = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
