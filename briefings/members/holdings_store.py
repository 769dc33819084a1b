"""Index holdings kept beside the closes in the price store file, and how a refresh renews them.

One row per (source, index): the last good holdings (members as JSON) and, when the latest
fetch failed, why. A failed or malformed fetch never replaces good holdings; with none stored
the yfinance source falls back to the membership pytickersymbols ships (no weights).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from briefings.members.holdings import HoldingsError, check_count, read_members_csv
from briefings.members.model import Holdings, Member
from briefings.sources.base import PriceSource
from briefings.store import PriceStore, StoreError
from briefings.universe import IndexSpec, Universe

_SCHEMA = """CREATE TABLE IF NOT EXISTS holdings (
    source TEXT NOT NULL,
    index_key TEXT NOT NULL,
    as_of TEXT,
    origin TEXT NOT NULL,
    simulated INTEGER NOT NULL,
    members TEXT NOT NULL,
    digest TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (source, index_key)
)"""

_COLUMNS = {"source", "index_key", "as_of", "origin", "simulated", "members", "digest", "note"}

HoldingsFetcher = Callable[[PriceSource, IndexSpec], Holdings]


@dataclass(frozen=True)
class StoredHoldings:
    """An index's last good holdings for a source, and why the latest fetch failed (if it did)."""

    holdings: Holdings
    note: str | None


class HoldingsStore:
    """Last good holdings per (source, index), in the price store's SQLite file.

    Reads and writes go through the price store's connections, so a read-only or full disk
    still serves the stored holdings and only saving fails (StoreWriteError).
    """

    def __init__(self, prices: PriceStore) -> None:
        self.prices = prices
        self.path = prices.path
        prices.prepare_side_table("holdings", _SCHEMA, _COLUMNS)

    def _columns(self) -> set[str]:
        return self.prices.side_table_columns("holdings")

    def _has_table(self) -> bool:
        return bool(self._columns())

    def save(self, source: str, holdings: Holdings) -> None:
        """Store ``holdings`` as the source's last good list for its index (clears any note)."""
        members = json.dumps(
            [[m.ticker, m.name, m.sector, m.weight] for m in holdings.members],
            ensure_ascii=False,
        )
        as_of = holdings.as_of.isoformat() if holdings.as_of else None
        digest = hashlib.blake2b(
            f"{as_of}|{holdings.origin}|{members}".encode(), digest_size=8
        ).hexdigest()
        with self.prices.writing() as connection:
            connection.execute(_SCHEMA)
            connection.execute(
                "INSERT OR REPLACE INTO holdings"
                " (source, index_key, as_of, origin, simulated, members, digest, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    source,
                    holdings.index,
                    as_of,
                    holdings.origin,
                    int(holdings.simulated),
                    members,
                    digest,
                ),
            )

    def note_failure(self, source: str, index: str, note: str) -> None:
        """Record why the latest fetch of the index's holdings failed (the list itself stays)."""
        with self.prices.writing() as connection:
            connection.execute(
                "UPDATE holdings SET note = ? WHERE source = ? AND index_key = ?",
                (note, source, index),
            )

    def load(self, source: str, index: str) -> StoredHoldings | None:
        """Return the source's stored holdings for ``index``, None when it has none."""
        if not self._has_table():
            return None
        with self.prices.reading() as connection:
            row = connection.execute(
                "SELECT as_of, origin, simulated, members, note FROM holdings"
                " WHERE source = ? AND index_key = ?",
                (source, index),
            ).fetchone()
        if row is None:
            return None
        members = tuple(
            Member(str(t), str(n), str(s), None if w is None else float(w))
            for t, n, s, w in json.loads(row[3])
        )
        holdings = Holdings(
            index=index,
            members=members,
            as_of=date.fromisoformat(row[0]) if row[0] else None,
            origin=str(row[1]),
            simulated=bool(row[2]),
        )
        return StoredHoldings(holdings, None if row[4] is None else str(row[4]))

    def forget(self, source: str) -> None:
        """Drop every index's holdings stored for ``source`` (StoreWriteError when it cannot)."""
        if self._has_table():
            with self.prices.writing() as connection:
                connection.execute("DELETE FROM holdings WHERE source = ?", (source,))

    def indexes(self, source: str) -> frozenset[str]:
        """Return the keys of the indexes the source has holdings stored for."""
        if not self._has_table():
            return frozenset()
        with self.prices.reading() as connection:
            rows = connection.execute(
                "SELECT index_key FROM holdings WHERE source = ?", (source,)
            ).fetchall()
        return frozenset(str(row[0]) for row in rows)

    def version(self, source: str) -> str:
        """Return a token that changes whenever the source's holdings or notes change."""
        if not self._has_table():
            return "0"
        with self.prices.reading() as connection:
            rows = connection.execute(
                "SELECT index_key, digest, note FROM holdings WHERE source = ? ORDER BY index_key",
                (source,),
            ).fetchall()
        return repr(rows)


def source_kind(source: PriceSource) -> str:
    """Return "demo", "csv" or the source's name: the key of an index's ``holdings`` table."""
    return "csv" if source.name.startswith("csv:") else source.name


def fetch_holdings(source: PriceSource, index: IndexSpec) -> Holdings:
    """Return the index's current holdings from the source, or raise HoldingsError."""
    kind = source_kind(source)
    where = index.holdings_for(kind)
    if where is None:
        raise HoldingsError(f"the {index.name} names no holdings for the {kind} source")
    if kind == "demo":
        from briefings.members.demo import demo_holdings

        return demo_holdings(index.key)
    if kind == "csv":
        directory = Path(source.name.removeprefix("csv:"))
        return read_members_csv(directory / where / "members.csv", index.key)
    if kind == "yfinance":
        from briefings.members.holdings import spdr_holdings

        return spdr_holdings(index.key, where, index.expected_members)
    raise HoldingsError(f"the {kind} source cannot list index members")


def fallback_holdings(source: PriceSource, index: IndexSpec) -> Holdings | None:
    """Return the membership to use when none was ever fetched: pytickersymbols for yfinance."""
    if source_kind(source) != "yfinance":
        return None
    from briefings.members.holdings import pytickersymbols_holdings

    try:
        return check_count(pytickersymbols_holdings(index.key), index.expected_members)
    except HoldingsError:
        return None


def update_holdings(
    store: HoldingsStore,
    source: PriceSource,
    indexes: Sequence[IndexSpec],
    fetch: HoldingsFetcher = fetch_holdings,
) -> tuple[tuple[Holdings, ...], tuple[str, ...]]:
    """Fetch every index's holdings, keep the last good ones on failure; return them and notes.

    A note says what went wrong and what is used instead; an index with no usable holdings at
    all is left out of the result.
    """
    found: list[Holdings] = []
    notes: list[str] = []
    for index in indexes:
        try:
            holdings = fetch(source, index)
        except (HoldingsError, OSError) as exc:
            problem = str(exc)
        else:
            found.append(holdings)
            left_out = _left_out(holdings)
            try:
                store.save(source.name, holdings)
                if left_out:
                    store.note_failure(source.name, index.key, left_out)
            except StoreError as exc:
                notes.append(f"{index.name} holdings not saved ({exc})")
            if left_out:
                notes.append(left_out)
            continue
        stored = store.load(source.name, index.key)
        if stored is not None:
            kept = stored.holdings
            dated = f" of {kept.as_of.isoformat()}" if kept.as_of else ""
            note = f"{index.name} holdings not updated ({problem}); kept those{dated}"
            with contextlib.suppress(StoreError):  # the note is shown either way
                store.note_failure(source.name, index.key, note)
            found.append(kept)
        else:
            fallback = fallback_holdings(source, index)
            if fallback is not None:
                note = (
                    f"{index.name} holdings unavailable ({problem}); using the membership "
                    "pytickersymbols ships, without weights"
                )
                with contextlib.suppress(StoreError):  # used this time either way
                    store.save(source.name, fallback)
                    store.note_failure(source.name, index.key, note)
                found.append(fallback)
            else:
                note = f"{index.name} members left out: {problem}"
        notes.append(note)
    return tuple(found), tuple(notes)


def _left_out(holdings: Holdings) -> str | None:
    """Say how many rows of the holdings list were left out as unusable (None: none)."""
    if not holdings.dropped:
        return None
    rows = "row" if holdings.dropped == 1 else "rows"
    return (
        f"{holdings.origin}: left out {holdings.dropped} {rows} with a weight of zero or below "
        f"or not a number; kept the other {len(holdings.members)} members"
    )


def stored_holdings(
    store: HoldingsStore, source: str, indexes: Sequence[IndexSpec]
) -> tuple[StoredHoldings, ...]:
    """Return the stored holdings of each of ``indexes`` that has some, in order."""
    found = (store.load(source, index.key) for index in indexes)
    return tuple(item for item in found if item is not None)


def refresh_plan(
    holdings: HoldingsStore,
    prices: PriceStore,
    source: PriceSource,
    universe: Universe,
    through: date,
    fetch: HoldingsFetcher = fetch_holdings,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the tickers a refresh through ``through`` asks for, and notes on the holdings.

    The holdings are fetched again only when some universe closes are due or an index has
    none stored, so a refresh with nothing new requests nothing. Members without data are
    asked for when closes are due or their index's holdings are stored for the first time, not
    again before the next session.
    """
    indexes = universe.member_indexes
    stored = stored_holdings(holdings, source.name, indexes)
    last_dates = prices.last_dates(source.name)
    behind = any(last_dates.get(t, date.min) < through for t in universe.tickers)
    notes: tuple[str, ...] = ()
    first_holdings = len(stored) < len(indexes)
    if indexes and (behind or first_holdings):
        _, notes = update_holdings(holdings, source, indexes, fetch)
        stored = stored_holdings(holdings, source.name, indexes)
    members = [t for item in stored for t in item.holdings.tickers]
    if not behind and not first_holdings:
        members = [t for t in members if t in last_dates]
    return tuple(dict.fromkeys((*universe.tickers, *members))), notes
