"""Daily closes from Yahoo Finance through yfinance: one batched download, retried with backoff.

yfinance rarely raises: a rate limit, a network failure and an unknown symbol all come back as an
empty frame or an empty column, and its log says "possibly delisted" for both of the last two.
So the policy is by outcome: when nothing at all comes back, retry the whole request with
exponential backoff and finally raise SourceError; when some tickers come back, Yahoo is
reachable, so retry the missing ones (after the same backoff) only while that still helps or
yfinance reports a rate limit, then report them in ``failed`` with yfinance's reason.
"""

from __future__ import annotations

import ast
import logging
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import requests
import yfinance as yf
import yfinance.cache
import yfinance.data
import yfinance.exceptions

from briefings.config import Settings
from briefings.private_files import make_private_dirs
from briefings.sources.base import FetchResult, SourceError

Sleep = Callable[[float], None]

#: yfinance logs each failed ticker group as "['SPY', 'QQQ']: <reason>".
_FAILURE_LINE = re.compile(r"^\s*(\[[^\]]*\]):\s*(.+)$", re.DOTALL)
_URL_QUERY = re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]*")
_RATE_LIMITED = re.compile(r"rate limit|too many requests", re.IGNORECASE)
NO_DATA = "no data from Yahoo Finance"
YAHOO_HOST = "query1.finance.yahoo.com"

log = logging.getLogger(__name__)

_cache_lock = threading.Lock()
_cache_location: Path | None = None


def configure_cache(directory: Path) -> Path:
    """Point yfinance's on-disk caches (timezones, cookies) at ``directory``, once per process.

    yfinance opens its cache databases on first use and keeps them open, so a later location
    would be silently ignored; the first one set is returned and kept.
    """
    global _cache_location
    with _cache_lock:
        if _cache_location is None:
            try:
                make_private_dirs(directory)
                yf.set_tz_cache_location(str(directory))
                # Create the cache databases now, in one thread: left to yf.download's worker
                # threads, the first download races to create them ("database is locked").
                yfinance.cache.get_tz_cache().lookup("SPY")
                yfinance.cache.get_cookie_cache().lookup("basic")
            except Exception as exc:  # OSError, or peewee's errors (a full disk, a locked file)
                _without_disk_cache()
                # Whatever broke it (a full disk) is reported by the stores, where it matters.
                log.debug("yfinance runs without its on-disk cache in %s: %s", directory, exc)
            _cache_location = directory
        return _cache_location


def _without_disk_cache() -> None:
    """Make yfinance keep nothing on disk (its caches only save a few requests).

    Left alone, a cache that failed to open is opened again on every use and raises each time
    (peewee's "database or disk is full"), from inside yf.download.
    """
    cache = yfinance.cache
    cache._TzCacheManager._tz_cache = cache._TzCacheDummy()
    cache._CookieCacheManager._Cookie_cache = cache._CookieCacheDummy()
    cache._ISINCacheManager._isin_cache = cache._ISINCacheDummy()


class _FailureLog(logging.Handler):
    """Collect yfinance's per-ticker failure reasons while a download runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reasons: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        """Record the reason for every ticker named in a failure line."""
        match = _FAILURE_LINE.match(record.getMessage())
        if match is None:
            return
        try:
            tickers = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            return
        # Query strings carry the session's crumb and add nothing a reader needs.
        reason = _URL_QUERY.sub(r"\1", match.group(2).strip())
        for ticker in tickers:
            self.reasons[str(ticker).upper()] = reason


@contextmanager
def _failure_log() -> Iterator[_FailureLog]:
    """Route yfinance's log to a collector: its reasons end up in ``failed`` instead of stderr."""
    logger = logging.getLogger("yfinance")
    handler = _FailureLog()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def close_columns(frame: pd.DataFrame | None, tickers: Sequence[str]) -> dict[str, pd.Series]:
    """Return the non-empty Close series per requested ticker from a ``yf.download`` frame."""
    if frame is None or frame.empty:
        return {}
    closes: pd.DataFrame
    if isinstance(frame.columns, pd.MultiIndex):
        if "Close" not in frame.columns.get_level_values(0):
            return {}
        closes = pd.DataFrame(frame["Close"])
    elif "Close" in frame.columns and len(tickers) == 1:
        closes = frame[["Close"]].set_axis([tickers[0].upper()], axis=1)
    else:
        return {}
    index = pd.DatetimeIndex(closes.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    index = pd.DatetimeIndex(index.normalize().to_numpy().astype("datetime64[ns]"), name="date")
    found: dict[str, pd.Series] = {}
    for ticker in tickers:
        column = ticker.upper()
        if column not in closes.columns:
            continue
        values = pd.to_numeric(closes[column], errors="coerce").to_numpy(np.float64)
        series = pd.Series(values, index=index, name=ticker).dropna()
        series = series[~series.index.duplicated(keep="last")]
        if not series.empty:
            found[ticker] = series
    return found


class YFinanceSource:
    """Yahoo Finance daily closes (dividend- and split-adjusted) via yfinance."""

    def __init__(
        self,
        session: requests.Session | None = None,
        retries: int = 3,
        backoff_seconds: float = 2.0,
        sleep: Sleep = time.sleep,
        *,
        timeout_seconds: float = 10.0,
        cache_dir: Path | None = None,
        probe_seconds: float = 3.0,
    ) -> None:
        self._session = session
        self.probe_seconds = probe_seconds
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self.timeout_seconds = timeout_seconds
        self.cache_dir = configure_cache(
            cache_dir or Settings.from_env().data_dir / "cache" / "yfinance"
        )

    @property
    def name(self) -> str:
        """Return "yfinance"."""
        return "yfinance"

    @property
    def simulated(self) -> bool:
        """Return False: these are market closes."""
        return False

    def _download(
        self, tickers: Sequence[str], start: date | None, end: date
    ) -> tuple[pd.DataFrame | None, Mapping[str, str]]:
        """Run one batched ``yf.download`` and return its frame and logged failure reasons."""
        # yfinance memoises responses for past date ranges process-wide, failures included;
        # without this a retry would replay the failure instead of asking Yahoo again.
        yfinance.data.YfData.cache_get.cache_clear()
        # Without a start, ask for everything: yfinance would otherwise default to one month.
        span = {"start": start.isoformat()} if start is not None else {"period": "max"}
        try:
            with _failure_log() as log, warnings.catch_warnings():
                # yfinance trips pandas deprecations internally; they are not ours to show.
                warnings.filterwarnings("ignore", category=DeprecationWarning, module="yfinance")
                warnings.filterwarnings("ignore", category=FutureWarning, module="yfinance")
                frame = yf.download(
                    list(tickers),
                    **span,
                    end=(end + timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                    interval="1d",
                    auto_adjust=True,
                    actions=False,
                    progress=False,
                    threads=True,
                    session=self._session,
                    timeout=self.timeout_seconds,
                    multi_level_index=True,
                )
        except (requests.RequestException, OSError, yfinance.exceptions.YFException) as exc:
            raise SourceError(f"Yahoo Finance request failed: {exc}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            # yfinance surfaces malformed Yahoo answers as assorted built-in errors.
            raise SourceError(f"Yahoo Finance sent an unusable answer: {exc!r}") from exc
        return frame, log.reasons

    def _unreachable_reason(self) -> str | None:
        """Return why Yahoo's host cannot be reached, or None when a connection opens.

        One TCP connect before a download, and only on the real network (a caller's own
        session, e.g. a recorded one in tests, is trusted): an offline user hears so at once
        instead of after yfinance's timeouts and every backoff.
        """
        if self._session is not None:
            return None
        try:
            with socket.create_connection((YAHOO_HOST, 443), timeout=self.probe_seconds):
                return None
        except OSError as exc:
            return f"cannot connect to {YAHOO_HOST} ({exc.strerror or exc})"

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return closes for ``tickers`` from ``start`` (None: all history) to ``end``."""
        wanted = list(dict.fromkeys(tickers))
        if wanted and (offline := self._unreachable_reason()):
            raise SourceError(f"Yahoo Finance could not be reached: {offline}")
        received: dict[str, pd.Series] = {}
        reasons: dict[str, str] = {}
        pending = wanted
        attempts = 0
        while pending and attempts <= self.retries:
            if attempts:
                self._sleep(self.backoff_seconds * 2 ** (attempts - 1))
            attempts += 1
            frame, logged = self._download(pending, start, end)
            got = close_columns(frame, pending)
            received.update(got)
            reasons.update({t: logged[t.upper()] for t in pending if t.upper() in logged})
            pending = [t for t in pending if t not in got]
            rate_limited = any(_RATE_LIMITED.search(reasons.get(t, "")) for t in pending)
            if received and not got and not rate_limited:
                break  # Yahoo answers, just not for these symbols: asking again will not help
        if wanted and not received:
            detail = reasons.get(wanted[0], "every answer was empty")
            raise SourceError(
                f"Yahoo Finance could not be reached after {attempts} attempts "
                f"(offline or rate limited?): {detail}"
            )
        failed = {
            t: f"{NO_DATA} ({reasons[t]})" if t in reasons else NO_DATA
            for t in wanted
            if t not in received
        }
        if received:
            closes = pd.DataFrame(received, dtype=np.float64).sort_index()
            closes = closes.loc[:, [t for t in wanted if t in received]]
        else:
            closes = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
        closes.index.name = "date"
        return FetchResult(closes=closes, failed=failed)
