"""The NYSE (XNYS) trading calendar: sessions, early closes and the last completed session."""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

EXCHANGE = "XNYS"
#: First day the calendar covers; earlier dates raise CalendarRangeError.
CALENDAR_START = date(2000, 1, 1)
#: How many whole years past the current one the calendar covers.
YEARS_AHEAD = 2


class CalendarRangeError(ValueError):
    """Raise when a date or time falls outside the range the trading calendar covers."""


class NotASessionError(ValueError):
    """Raise when a date that is not a trading session is used as one."""


@dataclass(frozen=True)
class _SessionTable:
    """Sessions (datetime64[D]) and their closes (UTC epoch nanoseconds), ascending."""

    sessions: npt.NDArray[np.datetime64]
    closes_ns: npt.NDArray[np.int64]

    @property
    def first(self) -> date:
        """Return the first session covered."""
        return _to_date(self.sessions[0])

    @property
    def last(self) -> date:
        """Return the last session covered."""
        return _to_date(self.sessions[-1])


_lock = threading.Lock()
_tables: dict[int, _SessionTable] = {}


def _to_date(day: np.datetime64) -> date:
    value: date = day.astype("datetime64[D]").item()
    return value


def _build_table(end: date) -> _SessionTable:
    # Imported here: exchange_calendars costs ~0.4 s to import, which the CLI pays only on use.
    import exchange_calendars

    with warnings.catch_warnings():
        # exchange_calendars trips pandas deprecation warnings internally; they are not ours.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        calendar = exchange_calendars.get_calendar(
            EXCHANGE, start=CALENDAR_START.isoformat(), end=end.isoformat()
        )
        sessions = calendar.sessions.to_numpy().astype("datetime64[D]")
        closes = calendar.closes.dt.tz_convert(None).to_numpy().astype("datetime64[ns]")
    return _SessionTable(sessions=sessions, closes_ns=closes.astype(np.int64))


def cache_dir() -> Path:
    """Return where session tables are cached: $MARKETBRIEF_CACHE_DIR or the user cache folder."""
    configured = os.environ.get("MARKETBRIEF_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("marketbrief"))


def _cache_path(end: date) -> Path:
    """Name the cached table by everything that shapes it, so an upgrade never reads a stale one.

    exchange_calendars' version fixes its holiday rules and the tz database it ships with.
    """
    name = f"sessions-{EXCHANGE}-{_calendars_version()}-{CALENDAR_START:%Y%m%d}-{end:%Y%m%d}.npz"
    return cache_dir() / name


def _calendars_version() -> str:
    """Return exchange_calendars' installed version, read from its dist-info folder's name."""
    # The folder's name, found beside the package, costs a directory listing; importlib.metadata
    # (about 10 ms of imports and a scan of every distribution) is the fallback.
    spec = importlib.util.find_spec("exchange_calendars")
    if spec is not None and spec.origin is not None:
        site = Path(spec.origin).parent.parent
        found = sorted(site.glob("exchange_calendars-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("exchange_calendars-").removesuffix(".dist-info")
    from importlib import metadata

    try:
        return metadata.version("exchange-calendars")
    except metadata.PackageNotFoundError:
        return "unknown"


def _load_cached(path: Path) -> _SessionTable | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            sessions, closes = stored["sessions"], stored["closes_ns"]
    except (OSError, KeyError, ValueError):
        return None
    if sessions.dtype != np.dtype("datetime64[D]") or closes.dtype != np.int64:
        return None
    if len(sessions) == 0 or len(sessions) != len(closes):
        return None
    return _SessionTable(sessions=sessions, closes_ns=closes)


def _store_cached(path: Path, table: _SessionTable) -> None:
    # Written beside its name, then renamed: a reader sees a whole file or none.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
        with os.fdopen(handle, "wb") as file:
            np.savez(file, sessions=table.sessions, closes_ns=table.closes_ns)
        os.replace(partial, path)
    except OSError:
        pass  # a read-only cache folder costs the next run a rebuild, nothing else


def _table() -> _SessionTable:
    """Return the session table for the current year's range, built once and cached on disk.

    Building it with exchange_calendars takes ~0.4 s (import included); a later process loads
    the cached arrays in about a millisecond.
    """
    year = datetime.now(UTC).year
    with _lock:
        table = _tables.get(year)
        if table is None:
            end = date(year + YEARS_AHEAD, 12, 31)
            path = _cache_path(end)
            table = _load_cached(path)
            if table is None:
                table = _build_table(end)
                _store_cached(path, table)
            _tables.clear()
            _tables[year] = table
        return table


def _check_day(table: _SessionTable, day: date) -> np.datetime64:
    if not table.first <= day <= table.last:
        raise CalendarRangeError(
            f"{day.isoformat()} is outside the {EXCHANGE} calendar "
            f"({table.first.isoformat()} to {table.last.isoformat()})"
        )
    return np.datetime64(day, "D")


def calendar_bounds() -> tuple[date, date]:
    """Return the first and last session the calendar covers."""
    table = _table()
    return table.first, table.last


def is_session(day: date) -> bool:
    """Return True when ``day`` is an NYSE trading session."""
    table = _table()
    target = _check_day(table, day)
    index = int(np.searchsorted(table.sessions, target))
    return index < len(table.sessions) and table.sessions[index] == target


def previous_session(day: date) -> date:
    """Return the last session strictly before ``day`` (a session or not)."""
    table = _table()
    target = _check_day(table, day)
    index = int(np.searchsorted(table.sessions, target, side="left")) - 1
    if index < 0:
        raise CalendarRangeError(f"no {EXCHANGE} session before {day.isoformat()} in the calendar")
    return _to_date(table.sessions[index])


def sessions_in_range(start: date, end: date) -> list[date]:
    """Return the sessions from ``start`` to ``end``, both inclusive (empty when start > end)."""
    if start > end:
        return []
    table = _table()
    low = int(np.searchsorted(table.sessions, _check_day(table, start), side="left"))
    high = int(np.searchsorted(table.sessions, _check_day(table, end), side="right"))
    days: list[date] = table.sessions[low:high].tolist()
    return days


def session_close(day: date) -> datetime:
    """Return the close of session ``day`` in UTC (early closes included)."""
    table = _table()
    target = _check_day(table, day)
    index = int(np.searchsorted(table.sessions, target))
    if index >= len(table.sessions) or table.sessions[index] != target:
        raise NotASessionError(f"{day.isoformat()} is not an {EXCHANGE} trading session")
    seconds, nanos = divmod(int(table.closes_ns[index]), 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)


def last_completed_session(now: datetime) -> date:
    """Return the latest session whose close is at or before ``now`` (naive ``now`` is UTC)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    table = _table()
    instant = np.int64(round(aware.timestamp() * 1_000_000)) * 1000
    index = int(np.searchsorted(table.closes_ns, instant, side="right")) - 1
    if index < 0 or (index == len(table.closes_ns) - 1 and _beyond_last_close(table, aware)):
        raise CalendarRangeError(
            f"{aware.isoformat()} is outside the {EXCHANGE} calendar "
            f"({table.first.isoformat()} to {table.last.isoformat()})"
        )
    return _to_date(table.sessions[index])


#: A session counts as completed this long after its close: daily bars fetched right at the bell
#: may not hold the closing auction's price yet.
SETTLE_DELAY = timedelta(minutes=15)


def settled_session(now: datetime) -> date:
    """Return the last session completed and settled at ``now`` (its close + SETTLE_DELAY)."""
    return last_completed_session(now - SETTLE_DELAY)


def _beyond_last_close(table: _SessionTable, now: datetime) -> bool:
    # After the calendar's last close the next session is unknown, so "the latest" is unknowable.
    return now.astimezone(UTC).date() > table.last
