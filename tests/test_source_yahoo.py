"""The Yahoo Finance source against recorded Yahoo answers served by a fake HTTP transport.

yfinance runs for real; only the network is replaced: a requests adapter answers the cookie,
crumb and chart endpoints from tests/fixtures/yahoo (23 sessions of October 2025 for SPY, QQQ
and AAPL; see regenerate.py there), answers unknown symbols with Yahoo's 404 body, and can
answer everything with HTTP 429 to play a rate limit.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import pandas as pd
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

from briefings.sources import open_source
from briefings.sources.base import PriceSource, SourceError
from briefings.sources.yahoo import NO_DATA, Sleep, YFinanceSource

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"
CHART_PATH = re.compile(r"^/v8/finance/chart/(?P<symbol>[^/]+)$")
OCTOBER = (date(2025, 10, 1), date(2025, 10, 31))


def recorded_chart(symbol: str) -> dict[str, Any]:
    chart: dict[str, Any] = json.loads((FIXTURES / f"{symbol}.json").read_text(encoding="utf-8"))
    return chart


def fixture_closes(symbol: str) -> pd.Series:
    """Return the recorded adjusted closes by New York session date."""
    result = recorded_chart(symbol)["chart"]["result"][0]
    stamps = pd.to_datetime(result["timestamp"], unit="s", utc=True).tz_convert("America/New_York")
    index = pd.DatetimeIndex(stamps.date, name="date").astype("datetime64[ns]")
    return pd.Series(result["indicators"]["adjclose"][0]["adjclose"], index=index, name=symbol)


class FakeYahoo(HTTPAdapter):
    """Yahoo's cookie, crumb and chart endpoints, answered from recorded files."""

    def __init__(self, symbols: tuple[str, ...] = ("SPY", "QQQ", "AAPL")) -> None:
        super().__init__()
        self.charts = {symbol: recorded_chart(symbol) for symbol in symbols}
        self.rate_limited = False
        self.offline = False
        self.chart_requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        if self.offline:
            raise requests.ConnectionError(f"cannot reach {url.hostname}")
        if self.rate_limited:
            return self.answer(
                request, 429, (FIXTURES / "rate_limited.txt").read_bytes(), "text/plain"
            )
        if url.hostname == "fc.yahoo.com":
            return self.answer(request, 404, b"", "text/html")
        if url.path == "/v1/test/getcrumb":
            return self.answer(request, 200, b"recorded-crumb", "text/plain")
        match = CHART_PATH.match(url.path)
        if match is None:
            return self.answer(
                request, 404, b'{"finance":{"result":null,"error":{"code":"Not Found"}}}'
            )
        symbol = unquote(match.group("symbol"))
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        with self._lock:
            self.chart_requests.append((symbol, query))
        chart = self.charts.get(symbol)
        if chart is None:
            return self.answer(request, 404, (FIXTURES / "not_found.json").read_bytes())
        return self.answer(request, 200, json.dumps(self.window(chart, query)).encode())

    @staticmethod
    def window(chart: dict[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
        """Return the chart cut to period1 <= t < period2, or its last bar for range=1d."""
        result = chart["chart"]["result"][0]
        stamps: list[int] = result["timestamp"]
        if "period1" in query:
            keep = [
                i
                for i, t in enumerate(stamps)
                if int(query["period1"]) <= t < int(query["period2"])
            ]
        else:
            keep = [len(stamps) - 1]
        quote = result["indicators"]["quote"][0]
        adjclose = result["indicators"]["adjclose"][0]["adjclose"]
        cut = {
            **result,
            "timestamp": [stamps[i] for i in keep],
            "indicators": {
                "quote": [{field: [values[i] for i in keep] for field, values in quote.items()}],
                "adjclose": [{"adjclose": [adjclose[i] for i in keep]}],
            },
        }
        return {"chart": {"result": [cut], "error": None}}

    def answer(
        self,
        request: requests.PreparedRequest,
        status: int,
        body: bytes,
        kind: str = "application/json",
    ) -> requests.Response:
        raw = HTTPResponse(
            body=io.BytesIO(body),
            headers={"Content-Type": kind, "Content-Length": str(len(body))},
            status=status,
            preload_content=False,
        )
        return self.build_response(request, raw)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture
def yahoo() -> FakeYahoo:
    return FakeYahoo()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def yahoo_source(yahoo: FakeYahoo, sleep: Sleep, cache_dir: Path) -> YFinanceSource:
    """Return a source whose session talks to ``yahoo`` and whose backoff calls ``sleep``."""
    session = requests.Session()
    session.mount("https://", yahoo)
    session.mount("http://", yahoo)
    return YFinanceSource(session=session, sleep=sleep, cache_dir=cache_dir)


@pytest.fixture
def source(yahoo: FakeYahoo, sleeps: list[float], cache_dir: Path) -> YFinanceSource:
    return yahoo_source(yahoo, sleeps.append, cache_dir)


def test_is_a_real_price_source(source: YFinanceSource) -> None:
    as_protocol: PriceSource = source
    assert as_protocol.name == "yfinance"
    assert as_protocol.simulated is False


def test_yfinance_caches_live_in_a_directory_we_chose(source: YFinanceSource) -> None:
    # The first source built in a process fixes the location (yfinance keeps its files open);
    # under the test suite that is always a temporary directory, never ~/.cache.
    assert (source.cache_dir / "tkr-tz.db").is_file()
    assert (source.cache_dir / "cookies.db").is_file()
    assert Path.home() / ".cache" not in source.cache_dir.parents


def test_open_source_opens_yfinance() -> None:
    source = open_source("yfinance")
    assert isinstance(source, YFinanceSource)
    assert source.name == "yfinance"


def test_batch_returns_the_recorded_adjusted_closes(
    source: YFinanceSource, yahoo: FakeYahoo, sleeps: list[float]
) -> None:
    result = source.fetch(["SPY", "QQQ", "AAPL"], *OCTOBER)
    assert result.failed == {}
    assert sleeps == []
    closes = result.closes
    assert list(closes.columns) == ["SPY", "QQQ", "AAPL"]
    assert closes.index.name == "date"
    assert pd.DatetimeIndex(closes.index).tz is None
    assert len(closes) == 23
    for symbol in ("SPY", "QQQ", "AAPL"):
        np.testing.assert_allclose(closes[symbol], fixture_closes(symbol), rtol=1e-12)
        pd.testing.assert_index_equal(closes.index, fixture_closes(symbol).index)
    # One chart request per symbol, each for the whole range (yfinance's end is exclusive).
    asked = {symbol: query for symbol, query in yahoo.chart_requests if "period1" in query}
    assert set(asked) == {"SPY", "QQQ", "AAPL"}
    assert all(query["interval"] == "1d" for query in asked.values())


def test_a_range_inside_the_recording_is_cut_to_it(source: YFinanceSource) -> None:
    closes = source.fetch(["SPY"], date(2025, 10, 6), date(2025, 10, 10)).closes
    assert list(pd.DatetimeIndex(closes.index).strftime("%Y-%m-%d")) == [
        "2025-10-06",
        "2025-10-07",
        "2025-10-08",
        "2025-10-09",
        "2025-10-10",
    ]
    assert closes.loc["2025-10-10", "SPY"] == fixture_closes("SPY").loc["2025-10-10"]


def test_one_unknown_symbol_fails_alone_after_one_retry(
    source: YFinanceSource, yahoo: FakeYahoo, sleeps: list[float]
) -> None:
    result = source.fetch(["SPY", "NOSUCH", "QQQ"], *OCTOBER)
    assert list(result.closes.columns) == ["SPY", "QQQ"]
    assert list(result.failed) == ["NOSUCH"]
    assert result.failed["NOSUCH"].startswith(NO_DATA)
    assert result.failed["NOSUCH"] != NO_DATA  # yfinance's reason is passed on ...
    assert "crumb" not in result.failed["NOSUCH"]  # ... without the session's query strings
    # Yahoo answered for the others, so the unknown one is asked once more, alone, and dropped.
    assert sleeps == [2.0]
    asked_for_spy = [query for symbol, query in yahoo.chart_requests if symbol == "SPY"]
    assert len([query for query in asked_for_spy if "period1" in query]) == 1


def test_a_request_of_only_unknown_symbols_looks_like_an_outage(
    source: YFinanceSource, sleeps: list[float]
) -> None:
    # yfinance reports an unknown symbol and a network failure alike ("possibly delisted"),
    # so with nothing at all coming back the source must assume the worse.
    with pytest.raises(SourceError, match="delisted"):
        source.fetch(["NOSUCH"], *OCTOBER)
    assert sleeps == [2.0, 4.0, 8.0]


def test_a_rate_limit_is_retried_after_a_backoff(yahoo: FakeYahoo, cache_dir: Path) -> None:
    sleeps: list[float] = []

    def wait(seconds: float) -> None:
        sleeps.append(seconds)
        yahoo.rate_limited = False  # the limit has lifted by the time the backoff ends

    yahoo.rate_limited = True
    result = yahoo_source(yahoo, wait, cache_dir).fetch(["SPY", "AAPL"], *OCTOBER)
    assert sleeps == [2.0]
    assert result.failed == {}
    np.testing.assert_allclose(result.closes["AAPL"], fixture_closes("AAPL"), rtol=1e-12)


def test_a_lasting_rate_limit_raises_after_exponential_backoff(
    source: YFinanceSource, yahoo: FakeYahoo, sleeps: list[float]
) -> None:
    yahoo.rate_limited = True
    with pytest.raises(SourceError, match="could not be reached after 4 attempts"):
        source.fetch(["SPY", "QQQ"], *OCTOBER)
    assert sleeps == [2.0, 4.0, 8.0]


def test_being_offline_raises_a_source_error(
    source: YFinanceSource, yahoo: FakeYahoo, sleeps: list[float]
) -> None:
    yahoo.offline = True
    with pytest.raises(SourceError, match="could not be reached"):
        source.fetch(["SPY"], *OCTOBER)
    assert len(sleeps) == 3


def test_without_a_start_all_history_is_asked_for(source: YFinanceSource, yahoo: FakeYahoo) -> None:
    closes = source.fetch(["QQQ"], None, OCTOBER[1]).closes
    assert len(closes) == 23
    period1 = [int(q["period1"]) for s, q in yahoo.chart_requests if "period1" in q]
    assert period1
    assert max(period1) < 0  # decades before 1970: yfinance's "max" asks for 99 years


def test_an_unreachable_host_fails_at_once_without_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    import briefings.sources.yahoo as yahoo

    # The .invalid top-level domain never resolves (RFC 2606), so this needs no network.
    monkeypatch.setattr(yahoo, "YAHOO_HOST", "marketbrief-test.invalid")
    sleeps: list[float] = []
    source = yahoo.YFinanceSource(sleep=sleeps.append)
    with pytest.raises(SourceError, match="could not be reached"):
        source.fetch(["SPY"], date(2025, 10, 1), date(2025, 10, 31))
    assert sleeps == []
