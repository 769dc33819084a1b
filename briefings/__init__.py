"""marketbrief's domain: market data, its analytics and the story, as words and charts.

This is the package's public face: the transport (``bot``) imports these names from
``briefings`` and nothing below it (an import-linter contract holds it). Names load on first
use, so a process that needs the settings does not pay for pandas, Jinja or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefings.alerts import Alert as Alert
    from briefings.alerts import pushed_alerts as pushed_alerts
    from briefings.analytics.factors import FactorBoard as FactorBoard
    from briefings.build import BriefingInputError as BriefingInputError
    from briefings.calendar import CalendarRangeError as CalendarRangeError
    from briefings.calendar import is_session as is_session
    from briefings.calendar import last_completed_session as last_completed_session
    from briefings.calendar import session_close as session_close
    from briefings.calendar import sessions_in_range as sessions_in_range
    from briefings.calendar import settled_session as settled_session
    from briefings.charts import ChartCache as ChartCache
    from briefings.charts import ChartKey as ChartKey
    from briefings.charts import ChartKind as ChartKind
    from briefings.charts import cached_chart as cached_chart
    from briefings.charts import chart_key as chart_key
    from briefings.charts import chart_summary as chart_summary
    from briefings.cli import EXIT_FAILURE as EXIT_FAILURE
    from briefings.cli import EXIT_OK as EXIT_OK
    from briefings.cli import EXIT_USAGE as EXIT_USAGE
    from briefings.cli import AddCommand as AddCommand
    from briefings.cli import UsageError as UsageError
    from briefings.cli import add_source_option as add_source_option
    from briefings.cli import build_parser as build_parser
    from briefings.cli import open_service as open_service
    from briefings.cli import run_command as run_command
    from briefings.cli import warn_unknown_tickers as warn_unknown_tickers
    from briefings.clock import Clock as Clock
    from briefings.clock import utc_now as utc_now
    from briefings.config import Settings as Settings
    from briefings.history.book import HistoryBook as HistoryBook
    from briefings.history.book import snapshot_history as snapshot_history
    from briefings.i18n import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
    from briefings.i18n import LANGUAGES as LANGUAGES
    from briefings.i18n import language_of as language_of
    from briefings.lab import LAB_VIEWS as LAB_VIEWS
    from briefings.lab import LabView as LabView
    from briefings.lab import LabViews as LabViews
    from briefings.lab import UnknownLabView as UnknownLabView
    from briefings.lru import Lru as Lru
    from briefings.model import Briefing as Briefing
    from briefings.private_files import make_private_dirs as make_private_dirs
    from briefings.recap.build import RecapPeriodError as RecapPeriodError
    from briefings.recap.build import market_recap as market_recap
    from briefings.recap.build import recaps_ending as recaps_ending
    from briefings.recap.model import PeriodKind as PeriodKind
    from briefings.recap.model import Recap as Recap
    from briefings.recap.render import render_recap as render_recap
    from briefings.refresh import RefreshReport as RefreshReport
    from briefings.render.alerts import render_alerts as render_alerts
    from briefings.render.factors import render_factors as render_factors
    from briefings.render.factors import snapshot_factors as snapshot_factors
    from briefings.render.members import render_breadth as render_breadth
    from briefings.render.members import render_breadth_view as render_breadth_view
    from briefings.render.members import render_movers as render_movers
    from briefings.render.tables import Section as Section
    from briefings.render.tables import Table as Table
    from briefings.render.tables import TableView as TableView
    from briefings.render.tables import breadth_tables as breadth_tables
    from briefings.render.tables import briefing_tables as briefing_tables
    from briefings.render.tables import factors_tables as factors_tables
    from briefings.render.tables import movers_tables as movers_tables
    from briefings.render.tables import rotation_tables as rotation_tables
    from briefings.render.tables import sectors_tables as sectors_tables
    from briefings.render.templates import render_template as render_template
    from briefings.render.views import Format as Format
    from briefings.render.views import RenderError as RenderError
    from briefings.render.views import render_basket_breadth as render_basket_breadth
    from briefings.render.views import render_briefing as render_briefing
    from briefings.render.views import render_pair as render_pair
    from briefings.render.views import render_rotation as render_rotation
    from briefings.render.views import render_sectors as render_sectors
    from briefings.render.views import render_since as render_since
    from briefings.render.views import render_since_low as render_since_low
    from briefings.render.views import render_summary as render_summary
    from briefings.service import Freshness as Freshness
    from briefings.service import MarketService as MarketService
    from briefings.service import NoDataError as NoDataError
    from briefings.snapshot import Snapshot as Snapshot
    from briefings.storage import DataDirLock as DataDirLock
    from briefings.storage import StorageFault as StorageFault
    from briefings.storage import describe as describe
    from briefings.storage import fault_kind as fault_kind
    from briefings.storage import prepare_database_file as prepare_database_file
    from briefings.storage import probe_database as probe_database
    from briefings.store import StoreError as StoreError
    from briefings.windows import WINDOWS as WINDOWS
    from briefings.windows import window_named as window_named

#: Each public name and the module that defines it.
_PUBLIC: dict[str, str] = {
    "LAB_VIEWS": "briefings.lab",
    "LabView": "briefings.lab",
    "LabViews": "briefings.lab",
    "UnknownLabView": "briefings.lab",
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
    "FactorBoard": "briefings.analytics.factors",
    "fault_kind": "briefings.storage",
    "Format": "briefings.render.views",
    "Freshness": "briefings.service",
    "HistoryBook": "briefings.history.book",
    "is_session": "briefings.calendar",
    "language_of": "briefings.i18n",
    "LANGUAGES": "briefings.i18n",
    "last_completed_session": "briefings.calendar",
    "Lru": "briefings.lru",
    "make_private_dirs": "briefings.private_files",
    "MarketService": "briefings.service",
    "NoDataError": "briefings.service",
    "open_service": "briefings.cli",
    "prepare_database_file": "briefings.storage",
    "probe_database": "briefings.storage",
    "pushed_alerts": "briefings.alerts",
    "RefreshReport": "briefings.refresh",
    "PeriodKind": "briefings.recap.model",
    "Recap": "briefings.recap.model",
    "RecapPeriodError": "briefings.recap.build",
    "market_recap": "briefings.recap.build",
    "recaps_ending": "briefings.recap.build",
    "render_recap": "briefings.recap.render",
    "render_alerts": "briefings.render.alerts",
    "render_basket_breadth": "briefings.render.views",
    "render_breadth": "briefings.render.members",
    "render_breadth_view": "briefings.render.members",
    "render_briefing": "briefings.render.views",
    "render_factors": "briefings.render.factors",
    "render_movers": "briefings.render.members",
    "render_pair": "briefings.render.views",
    "render_rotation": "briefings.render.views",
    "render_sectors": "briefings.render.views",
    "Section": "briefings.render.tables",
    "Table": "briefings.render.tables",
    "TableView": "briefings.render.tables",
    "briefing_tables": "briefings.render.tables",
    "factors_tables": "briefings.render.tables",
    "breadth_tables": "briefings.render.tables",
    "movers_tables": "briefings.render.tables",
    "rotation_tables": "briefings.render.tables",
    "sectors_tables": "briefings.render.tables",
    "render_since": "briefings.render.views",
    "render_since_low": "briefings.render.views",
    "render_summary": "briefings.render.views",
    "render_template": "briefings.render.templates",
    "RenderError": "briefings.render.views",
    "run_command": "briefings.cli",
    "session_close": "briefings.calendar",
    "sessions_in_range": "briefings.calendar",
    "Settings": "briefings.config",
    "settled_session": "briefings.calendar",
    "Snapshot": "briefings.snapshot",
    "snapshot_factors": "briefings.render.factors",
    "snapshot_history": "briefings.history.book",
    "StorageFault": "briefings.storage",
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
