"""Daily closes from Tiingo's end-of-day API, one request per ticker, paced within the free tier.

Endpoint (https://www.tiingo.com/documentation/end-of-day):
``GET https://api.tiingo.com/tiingo/daily/{ticker}/prices?startDate=&endDate=&token=`` returns a
JSON list of ``{"date": "2025-10-01T00:00:00.000Z", "close", "adjClose", "splitFactor",
"divCash", ...}``; the adjusted close (``adjClose``, split- and dividend-adjusted) is used. A bad
token answers 401 or 403 with ``{"detail": "Invalid token."}``; an unknown ticker 404 with
``{"detail": "Error: Ticker 'X' not found"}``.

Tiingo's knowledge base mentions a bulk latest-prices endpoint, but its documentation does not
give its format, so every ticker is asked on its own. The free tier allows about 50 requests an
hour and 1,000 a day: every request is written to a pacing record in the data directory (shared
by separate processes, under a file lock), and the tickers beyond the budget are deferred (listed
in ``failed`` with the time they may be asked again), never sent.
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
from briefings.sources.base import FetchResult, SourceError

API_ROOT = "https://api.tiingo.com/tiingo/daily"
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
    """Tiingo's adjusted end-of-day closes, one paced request per ticker."""

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
        if not self._key:
            raise SourceError(f"Tiingo needs an API key: set {KEY_VARIABLE} (free at tiingo.com)")
        wanted = list(dict.fromkeys(tickers))
        received: dict[str, pd.Series] = {}
        failed: dict[str, str] = {}
        for position, ticker in enumerate(wanted):
            try:
                allowed_at = self.pacer.take()
            except OSError as exc:
                # Unpaced requests could spend the day's budget in minutes: ask nothing instead.
                raise SourceError(
                    f"cannot keep Tiingo's request record in {self.pacer.path.parent}: "
                    f"{exc.strerror or exc}"
                ) from exc
            if allowed_at is not None:
                note = (
                    f"deferred: Tiingo's request budget ({self.pacer.budget.per_hour} an hour, "
                    f"{self.pacer.budget.per_day} a day) is spent until "
                    f"{allowed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
                )
                failed.update(dict.fromkeys(wanted[position:], note))
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

    def _history(self, ticker: str, start: date | None, end: date) -> pd.Series | str:
        """Return one ticker's adjusted closes, or why it has none; raise on a bad key."""
        params = {"endDate": end.isoformat(), "token": self._key}
        # Without a start Tiingo answers only the latest close; 1900 asks for everything.
        params["startDate"] = (start or date(1900, 1, 1)).isoformat()
        symbol = ticker.replace(".", "-").lower()
        try:
            response = self._session.get(
                f"{API_ROOT}/{symbol}/prices", params=params, timeout=self.timeout_seconds
            )
        except requests.RequestException as exc:
            raise SourceError(f"Tiingo could not be reached: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise SourceError(
                f"Tiingo refused the API key in {KEY_VARIABLE} ({_detail(response)}); "
                "check the key at tiingo.com"
            )
        if response.status_code == 404:
            return f"{NOT_FOUND} ({_detail(response)})"
        if response.status_code == 429:
            raise SourceError(f"Tiingo rate limited the requests ({_detail(response)})")
        if response.status_code != 200:
            raise SourceError(f"Tiingo answered HTTP {response.status_code} for {ticker}")
        try:
            rows = response.json()
        except ValueError as exc:
            raise SourceError(f"Tiingo sent an unusable answer for {ticker}") from exc
        if not isinstance(rows, list):
            return f"Tiingo sent no prices ({_detail(response)})"
        return adjusted_closes(rows, ticker)


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
