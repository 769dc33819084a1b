"""Tiingo's end-of-day endpoints answered from hand-built rows in their real JSON format.

A requests transport adapter plays ``api.tiingo.com``: ``/tiingo/daily/<ticker>/prices`` with
``startDate``, ``endDate`` and ``token``, answering 401 ``{"detail": "Invalid token."}`` for a
wrong token and 404 ``{"detail": "Error: Ticker 'X' not found"}`` for an unknown ticker, as the
documentation (https://www.tiingo.com/documentation/end-of-day) shows; and the bulk
``/tiingo/daily/prices`` (optionally ``?tickers=a,b``): each known ticker's latest row plus its
lower-case ``"ticker"``, unknown tickers left out.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

from briefings.sources.tiingo import Budget, TiingoSource

PRICES_PATH = re.compile(r"^/tiingo/daily/(?P<ticker>[^/]+)/prices$")
BULK_PATH = "/tiingo/daily/prices"
#: What ``FakeTiingo.requests`` names a bulk latest-prices request by.
BULK = "(bulk)"
GOOD_TOKEN = "good-token"


def tiingo_rows(
    adjusted: pd.Series, *, raw_factor: float = 1.0, splits: dict[date, float] | None = None
) -> list[dict[str, Any]]:
    """Return rows as Tiingo sends them: raw prices, adjusted prices and corporate actions."""
    rows: list[dict[str, Any]] = []
    for day, adj in adjusted.items():
        stamp = pd.Timestamp(str(day))
        raw = float(adj) * raw_factor
        rows.append(
            {
                "date": f"{stamp:%Y-%m-%d}T00:00:00.000Z",
                "close": raw,
                "high": raw * 1.01,
                "low": raw * 0.99,
                "open": raw,
                "volume": 1_000_000,
                "adjClose": float(adj),
                "adjHigh": float(adj) * 1.01,
                "adjLow": float(adj) * 0.99,
                "adjOpen": float(adj),
                "adjVolume": 1_000_000,
                "divCash": 0.0,
                "splitFactor": (splits or {}).get(stamp.date(), 1.0),
            }
        )
    return rows


class FakeTiingo(HTTPAdapter):
    """api.tiingo.com's daily prices endpoint over hand-built rows per ticker."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__()
        self.rows = rows
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: Tickers the bulk file has not updated yet: it still answers their row before the last.
        self.bulk_behind: set[str] = set()

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.hostname == "api.tiingo.com" and url.path == BULK_PATH:
            return self.bulk(request, query)
        match = PRICES_PATH.match(url.path)
        if url.hostname != "api.tiingo.com" or match is None:
            return self.answer(request, 404, {"detail": "Not found."})
        ticker = match.group("ticker").upper()
        self.requests.append((ticker, query))
        if query.get("token") != GOOD_TOKEN:
            return self.answer(request, 401, {"detail": "Invalid token."})
        rows = self.rows.get(ticker)
        if rows is None:
            return self.answer(request, 404, {"detail": f"Error: Ticker '{ticker}' not found"})
        start = query.get("startDate", "0000")
        end = query.get("endDate", "9999")
        kept = [row for row in rows if start <= row["date"][:10] <= end]
        return self.answer(request, 200, kept)

    def bulk(self, request: requests.PreparedRequest, query: dict[str, str]) -> requests.Response:
        """Answer the latest row of each ticker asked (every ticker without ``tickers``)."""
        self.requests.append((BULK, query))
        if query.get("token") != GOOD_TOKEN:
            return self.answer(request, 401, {"detail": "Invalid token."})
        asked = query["tickers"].split(",") if "tickers" in query else list(self.rows)
        latest: list[dict[str, Any]] = []
        for symbol in asked:
            rows = self.rows.get(symbol.upper())
            if not rows:
                continue
            row = rows[-2] if symbol.upper() in self.bulk_behind else rows[-1]
            latest.append({"ticker": symbol.lower(), **row})
        return self.answer(request, 200, latest)

    def answer(
        self, request: requests.PreparedRequest, status: int, body: Any
    ) -> requests.Response:
        data = json.dumps(body).encode()
        raw = HTTPResponse(
            body=io.BytesIO(data),
            headers={"Content-Type": "application/json", "Content-Length": str(len(data))},
            status=status,
            preload_content=False,
        )
        return self.build_response(request, raw)


def tiingo_source(
    fake: FakeTiingo,
    pacing_file: Path,
    *,
    token: str = GOOD_TOKEN,
    budget: Budget | None = None,
) -> TiingoSource:
    """Return a Tiingo source whose session talks to ``fake``."""
    session = requests.Session()
    session.mount("https://", fake)
    return TiingoSource(token, pacing_file, session=session, budget=budget)
