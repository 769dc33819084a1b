"""Index holdings: who the members are, their GICS sectors and index weights, per source.

- yfinance: State Street's daily SPDR holdings workbook of the index's fund (SPY, SPSM), fetched
  with a browser-like User-Agent; fallback (no weights) the membership pytickersymbols ships.
- csv:DIR: ``DIR/<folder>/members.csv`` with ``ticker,name,sector,weight,as_of``.
- demo: about 500 simulated members (see ``briefings.members.demo``).

The SPDR workbook: a few header rows (fund name, ticker, a cell "As of 28-Nov-2025"), then the
header row Name, Ticker, Identifier, SEDOL, Weight, Sector, Shares Held, Local Currency, then one
row per holding; placeholder rows (cash, futures, sector "Unassigned" or "-") are dropped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from briefings.members.model import Holdings, Member

#: State Street's daily holdings file of a SPDR fund; ``{fund}`` is its lower-case ticker.
SPDR_URL = (
    "https://www.ssga.com/us/en/intermediary/library-content/products/fund-data/etfs/us/"
    "holdings-daily-us-en-{fund}.xlsx"
)
#: State Street answers scripted clients without a browser's User-Agent with an error page.
BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0 Safari/537.36"
    ),
    "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,*/*",
}
#: A holdings list naming fewer than this share of the index's expected members is refused.
MIN_COUNT_SHARE = 0.9
#: The eleven GICS sectors; pytickersymbols lists one of them among a company's industries.
GICS_SECTORS: tuple[str, ...] = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)
PLACEHOLDER_SECTORS = frozenset({"", "-", "unassigned", "n/a", "cash", "other"})
_PLACEHOLDER_NAME = re.compile(r"\b(cash|future|futures|swap|forward|currency)\b", re.IGNORECASE)
_AS_OF = re.compile(r"as of[:\s]*(.+)$", re.IGNORECASE)
_HEADER = ("name", "ticker", "weight", "sector")
#: pytickersymbols' names for the indexes it ships.
PYTICKERSYMBOLS_INDEXES = {"sp500": "S&P 500", "sp600": "S&P 600", "sp100": "S&P 100"}


class HoldingsError(ValueError):
    """Raise when a holdings file is unusable (malformed, too short, unreadable)."""


def yahoo_symbol(ticker: str) -> str:
    """Return the Yahoo symbol of an exchange ticker: share classes use a dash (BRK.B -> BRK-B)."""
    return ticker.strip().upper().replace(".", "-").replace("/", "-").replace(" ", "-")


def check_count(holdings: Holdings, expected: int) -> Holdings:
    """Return ``holdings`` if it names at least 90% of the ``expected`` members, else raise."""
    needed = int(MIN_COUNT_SHARE * expected + 0.999999)
    if len(holdings.members) < needed:
        raise HoldingsError(
            f"{holdings.origin} lists {len(holdings.members)} members; the {holdings.index} "
            f"has about {expected}, so at least {needed} are needed"
        )
    return holdings


def _parse_as_of(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    match = _AS_OF.search(text)
    if match is None:
        return None
    stamp = match.group(1).strip()
    for fmt in ("%d-%b-%Y", "%m/%d/%Y", "%Y-%m-%d", "%d %b %Y", "%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(stamp, fmt).date()
        except ValueError:
            continue
    raise HoldingsError(f"unreadable holdings date {stamp!r}")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _weight(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    text = _text(value).rstrip("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def parse_spdr_rows(rows: Iterable[Sequence[Any]], index: str, fund: str) -> Holdings:
    """Return the holdings in a SPDR workbook's rows (see the module doc for the layout)."""
    as_of: date | None = None
    columns: dict[str, int] | None = None
    members: dict[str, Member] = {}
    for row in rows:
        cells = list(row)
        if columns is None:
            for cell in cells:
                if as_of is None and _AS_OF.search(_text(cell)):
                    as_of = _parse_as_of(cell)
            labels = [_text(c).lower() for c in cells]
            if all(label in labels for label in _HEADER):
                columns = {label: labels.index(label) for label in _HEADER}
            continue
        if not any(_text(c) for c in cells):
            if members:
                break  # the notes under the table start after a blank row
            continue
        get = {k: (cells[i] if i < len(cells) else None) for k, i in columns.items()}
        ticker, name, sector = _text(get["ticker"]), _text(get["name"]), _text(get["sector"])
        weight = _weight(get["weight"])
        if (
            not ticker
            or ticker in ("-", "--")
            or sector.lower() in PLACEHOLDER_SECTORS
            or _PLACEHOLDER_NAME.search(name)
            or weight is None
            or weight <= 0
        ):
            continue
        symbol = yahoo_symbol(ticker)
        members.setdefault(symbol, Member(symbol, name, sector, weight))
    if columns is None:
        raise HoldingsError(
            f"the {fund} holdings file has no header row with Name, Ticker, Weight and Sector"
        )
    if as_of is None:
        raise HoldingsError(f"the {fund} holdings file does not say which day it is as of")
    if not members:
        raise HoldingsError(f"the {fund} holdings file lists no members")
    return Holdings(
        index=index,
        members=tuple(members.values()),
        as_of=as_of,
        origin=f"SPDR {fund.upper()} daily holdings",
    )


def parse_spdr_workbook(data: bytes, index: str, fund: str) -> Holdings:
    """Return the holdings in a SPDR daily holdings .xlsx file's first sheet."""
    from openpyxl import load_workbook  # imported on demand: only the yfinance source reads xlsx

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors alike
        raise HoldingsError(f"the {fund} holdings file is not a readable workbook: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        return parse_spdr_rows(sheet.iter_rows(values_only=True), index, fund)
    finally:
        workbook.close()


def fetch_spdr_workbook(fund: str, session: Any = None, timeout: float = 20.0) -> bytes:
    """Download a SPDR fund's daily holdings file, or raise HoldingsError saying why not."""
    import requests

    client = session or requests.Session()
    url = SPDR_URL.format(fund=fund.lower())
    try:
        # A short connect timeout: an offline machine hears so in seconds, not after the read one.
        response = client.get(url, headers=BROWSER_HEADERS, timeout=(5.0, timeout))
    except (requests.RequestException, OSError) as exc:
        raise HoldingsError(f"cannot download the {fund} holdings file: {exc}") from exc
    if response.status_code != 200:
        raise HoldingsError(f"the {fund} holdings file answered HTTP {response.status_code}")
    content: bytes = response.content
    if not content.startswith(b"PK"):
        raise HoldingsError(f"the {fund} holdings download is not an xlsx file")
    return content


def spdr_holdings(
    index: str, fund: str, expected: int, session: Any = None, timeout: float = 20.0
) -> Holdings:
    """Return the index's members from its SPDR fund's daily holdings (count-checked)."""
    data = fetch_spdr_workbook(fund, session, timeout)
    return check_count(parse_spdr_workbook(data, index, fund), expected)


def pytickersymbols_holdings(index: str, index_name: str | None = None) -> Holdings:
    """Return the membership and sectors pytickersymbols ships for ``index`` (no weights)."""
    from pytickersymbols import PyTickerSymbols

    name = index_name or PYTICKERSYMBOLS_INDEXES.get(index)
    if name is None:
        raise HoldingsError(f"pytickersymbols has no list for the index {index!r}")
    stocks = list(PyTickerSymbols().get_stocks_by_index(name))
    if not stocks:
        raise HoldingsError(f"pytickersymbols ships no members for {name}")
    members: dict[str, Member] = {}
    for stock in stocks:
        industries = [str(i) for i in stock.get("industries") or ()]
        sectors = [i for i in industries if i in GICS_SECTORS]
        symbol = yahoo_symbol(str(stock["symbol"]))
        members.setdefault(
            symbol,
            Member(
                symbol, str(stock.get("name") or symbol), sectors[-1] if sectors else "Other", None
            ),
        )
    return Holdings(
        index=index, members=tuple(members.values()), as_of=None, origin="pytickersymbols"
    )


def read_members_csv(path: Path, index: str) -> Holdings:
    """Return the members listed in a ``members.csv`` (ticker,name,sector,weight,as_of).

    A row whose weight is given but is zero, negative or not a number (NaN, inf, text) is left
    out and counted in ``dropped``; the other rows are kept. An empty weight means no weight.
    """
    named = f"{path.parent.name}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HoldingsError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    if not text.strip():
        raise HoldingsError(f"{named} is empty; it needs a header ticker,name,sector,weight,as_of")
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower(): f for f in reader.fieldnames or ()}
    missing = [f for f in ("ticker", "name", "sector") if f not in fields]
    if missing:
        raise HoldingsError(f"{path.name} needs columns ticker,name,sector,weight,as_of")
    members: dict[str, Member] = {}
    dates: set[date] = set()
    dropped = 0
    for number, row in enumerate(reader, start=2):
        ticker = yahoo_symbol(row.get(fields["ticker"]) or "")
        if not ticker:
            continue
        cell = _text(row.get(fields["weight"])) if "weight" in fields else ""
        weight = _weight(cell) if cell else None
        if cell and (weight is None or not math.isfinite(weight) or weight <= 0):
            dropped += 1
            continue
        stamp = (row.get(fields["as_of"]) or "").strip() if "as_of" in fields else ""
        if stamp:
            try:
                dates.add(date.fromisoformat(stamp))
            except ValueError:
                raise HoldingsError(f"{path.name} line {number}: {stamp!r} is not a date") from None
        members.setdefault(
            ticker,
            Member(
                ticker,
                (row.get(fields["name"]) or ticker).strip(),
                (row.get(fields["sector"]) or "Other").strip() or "Other",
                weight,
            ),
        )
    if not members:
        unusable = f" ({dropped} rows with an unusable weight)" if dropped else ""
        raise HoldingsError(f"{named} lists no members{unusable}")
    return Holdings(
        index=index,
        members=tuple(members.values()),
        as_of=max(dates) if dates else None,
        origin=named,
        dropped=dropped,
    )
