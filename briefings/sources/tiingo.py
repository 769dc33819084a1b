"""Daily closes from Tiingo's end-of-day API, paced within the free tier: per ticker or in bulk.

Endpoints (https://www.tiingo.com/documentation/end-of-day):
``GET https://api.tiingo.com/tiingo/daily/{ticker}/prices?startDate=&endDate=&token=`` returns a
JSON list of ``{"date": "2025-10-01T00:00:00.000Z", "close", "adjClose", "splitFactor",
"divCash", ...}``; the adjusted close (``adjClose``, split- and dividend-adjusted) is used. A bad
token answers 401 or 403 with ``{"detail": "Invalid token."}``; an unknown ticker 404 with
``{"detail": "Error: Ticker 'X' not found"}``.

``GET https://api.tiingo.com/tiingo/daily/prices?tickers=a,b&token=`` returns each ticker's latest
bar in the same format plus ``"ticker"`` (lower case); Tiingo's knowledge base ("The Fastest
Method to Ingest Tiingo End-of-Day Stock API Data") recommends it to keep a history current, and
a whole-history download when a bar has ``splitFactor != 1`` or ``divCash > 0``. ``latest`` asks
it for up to ``BULK_TICKERS`` tickers a request.

The free tier allows about 50 requests an hour and 1,000 a day: every request is written to a
pacing record in the data directory (shared by separate processes, under a file lock), and the
tickers beyond the budget are deferred (listed in ``failed`` with the time they may be asked
again), never sent.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests

from briefings.private_files import make_private_dirs
from briefings.sources.base import FetchResult, LatestResult, SourceError

API_ROOT = "https://api.tiingo.com/tiingo/daily"
#: Most tickers named in one bulk latest-prices request, to keep its URL short.
BULK_TICKERS = 100
KEY_VARIABLE = "TIINGO_API_KEY"
#: The free tier's documented limits; an operator with a larger plan raises them.
HOURLY_VARIABLE = "TIINGO_REQUESTS_PER_HOUR"
DAILY_VARIABLE = "TIINGO_REQUESTS_PER_DAY"
FREE_PER_HOUR = 50
FREE_PER_DAY = 1000
NOT_FOUND = "Tiingo does not know this ticker"

Now = Callable[[], datetime]


@dataclass(frozen=True)
class Budget:
    """Requests allowed per rolling hour and per rolling day."""

    per_hour: int = FREE_PER_HOUR
    per_day: int = FREE_PER_DAY

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Budget:
        """Return the budget from TIINGO_REQUESTS_PER_HOUR/DAY (the free tier without them)."""
        return cls(
            _positive(env.get(HOURLY_VARIABLE), FREE_PER_HOUR),
            _positive(env.get(DAILY_VARIABLE), FREE_PER_DAY),
        )


def _positive(text: str | None, default: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return value if value > 0 else default


class Pacer:
    """The rolling record of requests sent, kept in one file so separate processes share it."""

    def __init__(self, path: Path, budget: Budget, now: Now) -> None:
        self.path = path
        self.budget = budget
        self._now = now

    @contextmanager
    def _locked(self) -> Iterator[list[datetime]]:
        make_private_dirs(self.path.parent)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                sent = self._read()
                yield sent
                cutoff = self._now() - timedelta(days=1)
                kept = [stamp.isoformat() for stamp in sent if stamp > cutoff]
                temporary = self.path.with_suffix(".tmp")
                temporary.write_text(json.dumps(kept), encoding="utf-8")
                temporary.replace(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[datetime]:
        try:
            stamps = json.loads(self.path.read_text(encoding="utf-8"))
            return [datetime.fromisoformat(str(stamp)) for stamp in stamps]
        except (OSError, ValueError, TypeError):
            return []  # no record (or a broken one): start counting afresh

    def take(self) -> datetime | None:
        """Count one request and return None, or return when the budget allows the next one."""
        with self._locked() as sent:
            now = self._now()
            last_hour = sorted(s for s in sent if s > now - timedelta(hours=1))
            last_day = sorted(s for s in sent if s > now - timedelta(days=1))
            if len(last_hour) >= self.budget.per_hour:
                return last_hour[-self.budget.per_hour] + timedelta(hours=1)
            if len(last_day) >= self.budget.per_day:
                return last_day[-self.budget.per_day] + timedelta(days=1)
            sent.append(now)
            return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_session() -> requests.Session:
    """Return the HTTP session a source opened without one uses (tests put a fake behind it)."""
    return requests.Session()


class TiingoSource:
    """Tiingo's adjusted end-of-day closes: a paced request per ticker, or per chunk of latest."""

    def __init__(
        self,
        api_key: str | None,
        pacing_file: Path,
        *,
        session: requests.Session | None = None,
        budget: Budget | None = None,
        now: Now = _utc_now,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._key = (api_key or "").strip()
        self._session = session or new_session()
        self.pacer = Pacer(pacing_file, budget or Budget.from_env(), now)
        self.timeout_seconds = timeout_seconds

    @property
    def name(self) -> str:
        """Return "tiingo"."""
        return "tiingo"

    @property
    def simulated(self) -> bool:
        """Return False: these are market closes."""
        return False

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return adjusted closes for ``tickers`` from ``start`` (None: all history) to ``end``."""
        self._check_key()
        wanted = list(dict.fromkeys(tickers))
        received: dict[str, pd.Series] = {}
        failed: dict[str, str] = {}
        for position, ticker in enumerate(wanted):
            deferred = self._take_request()
            if deferred is not None:
                failed.update(dict.fromkeys(wanted[position:], deferred))
                break
            outcome = self._history(ticker, start, end)
            if isinstance(outcome, str):
                failed[ticker] = outcome
            elif not outcome.empty:
                received[ticker] = outcome
            else:
                failed[ticker] = "no closes from Tiingo in the range asked"
        if received:
            closes = pd.DataFrame(received, dtype=np.float64).sort_index()
        else:
            closes = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
        closes.index.name = "date"
        return FetchResult(closes=closes, failed=failed)

    def latest(self, tickers: Sequence[str], session: date) -> LatestResult:
        """Return ``session``'s adjusted closes from the bulk latest prices, a request per chunk.

        A ticker whose latest bar carries a split (``splitFactor != 1``) or a dividend
        (``divCash > 0``) is listed in ``adjusted``: its earlier adjusted closes changed.
        """
        self._check_key()
        wanted = list(dict.fromkeys(tickers))
        closes: dict[str, float] = {}
        adjusted: list[str] = []
        failed: dict[str, str] = {}
        for first in range(0, len(wanted), BULK_TICKERS):
            deferred = self._take_request()
            if deferred is not None:
                failed.update(dict.fromkeys(wanted[first:], deferred))
                break
            chunk = wanted[first : first + BULK_TICKERS]
            by_symbol = {_symbol(ticker): ticker for ticker in chunk}
            params = {"tickers": ",".join(by_symbol), "token": self._key}
            response = self._get(f"{API_ROOT}/prices", params, "the latest prices")
            rows = _json_rows(response, "the latest prices")
            if isinstance(rows, str):
                failed.update(dict.fromkeys(chunk, rows))
                continue
            for ticker, row in _rows_of_session(rows, by_symbol, session).items():
                if _has_corporate_action(row):
                    adjusted.append(ticker)
                else:
                    closes[ticker] = float(row["adjClose"])
        return LatestResult(session, closes, tuple(t for t in wanted if t in adjusted), failed)

    def _check_key(self) -> None:
        if not self._key:
            raise SourceError(f"Tiingo needs an API key: set {KEY_VARIABLE} (free at tiingo.com)")

    def _take_request(self) -> str | None:
        """Count one request against the budget, or return why it must wait (deferred note)."""
        try:
            allowed_at = self.pacer.take()
        except OSError as exc:
            # Unpaced requests could spend the day's budget in minutes: ask nothing instead.
            raise SourceError(
                f"cannot keep Tiingo's request record in {self.pacer.path.parent}: "
                f"{exc.strerror or exc}"
            ) from exc
        if allowed_at is None:
            return None
        return (
            f"deferred: Tiingo's request budget ({self.pacer.budget.per_hour} an hour, "
            f"{self.pacer.budget.per_day} a day) is spent until "
            f"{allowed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )

    def _get(self, url: str, params: Mapping[str, str], subject: str) -> requests.Response:
        """Return Tiingo's answer (200 or 404); raise on a bad key, a rate limit or an error."""
        try:
            response = self._session.get(url, params=params, timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise SourceError(f"Tiingo could not be reached: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise SourceError(
                f"Tiingo refused the API key in {KEY_VARIABLE} ({_detail(response)}); "
                "check the key at tiingo.com"
            )
        if response.status_code == 429:
            raise SourceError(f"Tiingo rate limited the requests ({_detail(response)})")
        if response.status_code not in (200, 404):
            raise SourceError(f"Tiingo answered HTTP {response.status_code} for {subject}")
        return response

    def _history(self, ticker: str, start: date | None, end: date) -> pd.Series | str:
        """Return one ticker's adjusted closes, or why it has none; raise on a bad key."""
        params = {"endDate": end.isoformat(), "token": self._key}
        # Without a start Tiingo answers only the latest close; 1900 asks for everything.
        params["startDate"] = (start or date(1900, 1, 1)).isoformat()
        response = self._get(f"{API_ROOT}/{_symbol(ticker)}/prices", params, ticker)
        if response.status_code == 404:
            return f"{NOT_FOUND} ({_detail(response)})"
        rows = _json_rows(response, ticker)
        if isinstance(rows, str):
            return rows
        return adjusted_closes(rows, ticker)


def _symbol(ticker: str) -> str:
    """Return Tiingo's symbol for a ticker (BRK.B is brk-b)."""
    return ticker.replace(".", "-").lower()


def _json_rows(response: requests.Response, subject: str) -> list[Any] | str:
    """Return the rows of a 200 answer, or why there are none; raise on an unusable body."""
    if response.status_code != 200:
        return f"Tiingo sent no prices ({_detail(response)})"
    try:
        rows = response.json()
    except ValueError as exc:
        raise SourceError(f"Tiingo sent an unusable answer for {subject}") from exc
    if not isinstance(rows, list):
        return f"Tiingo sent no prices ({_detail(response)})"
    return rows


def _rows_of_session(
    rows: Sequence[Any], by_symbol: Mapping[str, str], session: date
) -> dict[str, Mapping[str, Any]]:
    """Return the bulk rows dated ``session`` with a numeric ``adjClose``, by our ticker."""
    found: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        symbol, stamp, close = row.get("ticker"), row.get("date"), row.get("adjClose")
        if not isinstance(symbol, str) or not isinstance(stamp, str):
            continue
        ticker = by_symbol.get(symbol.lower())
        # A provisional bar (no adjusted close yet) is never a close.
        if ticker is None or stamp[:10] != session.isoformat() or not _is_number(close):
            continue
        found[ticker] = row
    return found


def _has_corporate_action(row: Mapping[str, Any]) -> bool:
    """Return True when a bar carries a split or a dividend (earlier adjusted closes changed)."""
    split, dividend = row.get("splitFactor", 1.0), row.get("divCash", 0.0)
    return (_is_number(split) and split != 1) or (_is_number(dividend) and dividend > 0)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def adjusted_closes(rows: Sequence[Mapping[str, Any]], ticker: str) -> pd.Series:
    """Return the rows' ``adjClose`` by session date, dropping rows without one."""
    days: list[pd.Timestamp] = []
    values: list[float] = []
    for row in rows:
        close = row.get("adjClose")
        stamp = row.get("date")
        if not isinstance(close, int | float) or not isinstance(stamp, str):
            continue
        days.append(pd.Timestamp(stamp[:10]))
        values.append(float(close))
    index = pd.DatetimeIndex(days, name="date").astype("datetime64[ns]")
    series = pd.Series(values, index=index, name=ticker, dtype=np.float64).sort_index()
    return series[~series.index.duplicated(keep="last")]


def _detail(response: requests.Response) -> str:
    """Return Tiingo's one-line explanation from an error body."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, Mapping) and isinstance(body.get("detail"), str):
        return str(body["detail"]).strip()
    return f"HTTP {response.status_code}"
