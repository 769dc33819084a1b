"""Closes held in quarantine, kept beside the closes in the price store file.

One row per (source, ticker, day): a close the sanity stage (``briefings.sanity``) held out of the
store, why, and what became of it: ``held`` (not used), ``confirmed`` (the next sessions confirmed
it, so it is stored), ``corrected`` (the source later gave another close for the day, which
passed) or ``released`` (an operator's ``marketbrief release``: stored, and accepted from then
on). The table is made on open where an older store lacks it; the closes are left as they are.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from briefings.sanity import (
    NOT_FINITE,
    NOT_POSITIVE,
    SAME_CLOSE,
    QuarantinedClose,
    Screening,
    screen_ticker,
)
from briefings.store import PriceStore, StoreError

HELD, CONFIRMED, CORRECTED, RELEASED = "held", "confirmed", "corrected", "released"
#: Tickers whose stored closes are read at once while a fetch is screened.
SCREEN_CHUNK = 50

_SCHEMA = """CREATE TABLE IF NOT EXISTS quarantine (
    source TEXT NOT NULL,
    ticker TEXT NOT NULL,
    day TEXT NOT NULL,
    close REAL,
    reason TEXT NOT NULL,
    move REAL,
    bound REAL,
    closes TEXT NOT NULL,
    status TEXT NOT NULL,
    held_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (source, ticker, day)
)"""
_COLUMNS = {
    "source", "ticker", "day", "close", "reason", "move", "bound", "closes", "status", "held_at",
    "resolved_at",
}  # fmt: skip


class ReleaseError(ValueError):
    """Raise when a release names no held close, or one that can never be used."""


@dataclass(frozen=True)
class FetchScreening:
    """A fetch's closes after the sanity stage: what may be stored, and every ticker's verdict."""

    closes: pd.DataFrame
    screenings: tuple[Screening, ...]

    @property
    def quarantined(self) -> tuple[QuarantinedClose, ...]:
        """Return every close held, by ticker and date."""
        return tuple(close for s in self.screenings for close in s.quarantined)

    @property
    def released(self) -> tuple[tuple[str, date], ...]:
        """Return the (ticker, date) of every close held before that passes now."""
        return tuple((s.ticker, day) for s in self.screenings for day in s.released)


class QuarantineStore:
    """Held closes per (source, ticker, day), in the price store's SQLite file.

    Reads and writes go through the price store's connections, so a read-only or full disk still
    serves what is held and only recording fails (StoreWriteError).
    """

    def __init__(self, prices: PriceStore) -> None:
        self.prices = prices
        prices.prepare_side_table("quarantine", _SCHEMA, _COLUMNS)

    def _columns(self) -> set[str]:
        return self.prices.side_table_columns("quarantine")

    def _rows(self, query: str, parameters: Sequence[object]) -> list[tuple[object, ...]]:
        if not self._columns():
            return []
        with self.prices.reading() as connection:
            return [tuple(row) for row in connection.execute(query, tuple(parameters)).fetchall()]

    def held(
        self,
        source: str,
        tickers: Collection[str] | None = None,
        since: date | None = None,
        through: date | None = None,
    ) -> tuple[QuarantinedClose, ...]:
        """Return the source's held closes (of ``tickers``, dated ``since`` to ``through``)."""
        query = (
            "SELECT ticker, day, close, reason, move, bound, closes FROM quarantine"
            " WHERE source = ? AND status = ?"
        )
        parameters: list[object] = [source, HELD]
        if since is not None:
            query += " AND day >= ?"
            parameters.append(since.isoformat())
        if through is not None:
            query += " AND day <= ?"
            parameters.append(through.isoformat())
        wanted = None if tickers is None else set(tickers)
        found = [
            _held_close(row)
            for row in self._rows(query + " ORDER BY day, ticker", parameters)
            if wanted is None or row[0] in wanted
        ]
        return tuple(found)

    def approved(self, source: str) -> dict[str, dict[date, float]]:
        """Return the closes an operator released, by ticker and date."""
        rows = self._rows(
            "SELECT ticker, day, close FROM quarantine WHERE source = ? AND status = ?",
            (source, RELEASED),
        )
        approved: dict[str, dict[date, float]] = {}
        for ticker, day, close in rows:
            if isinstance(close, float):
                approved.setdefault(str(ticker), {})[date.fromisoformat(str(day))] = close
        return approved

    def forget(self, source: str) -> None:
        """Drop every close held for ``source`` (StoreWriteError when it cannot)."""
        if self._columns():
            with self.prices.writing() as connection:
                connection.execute("DELETE FROM quarantine WHERE source = ?", (source,))

    def count(self, source: str) -> int:
        """Return how many of the source's closes are held."""
        rows = self._rows(
            "SELECT count(*) FROM quarantine WHERE source = ? AND status = ?", (source, HELD)
        )
        return int(str(rows[0][0])) if rows else 0

    def version(self, source: str) -> str:
        """Return a token that changes whenever the source's held closes change."""
        rows = self._rows(
            "SELECT ticker, day, close, reason, status FROM quarantine WHERE source = ?"
            " ORDER BY ticker, day",
            (source,),
        )
        return hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()

    def record(self, source: str, screenings: Sequence[Screening], when: datetime) -> None:
        """File what a refresh held, and resolve held closes that now pass (StoreWriteError)."""
        at = _stamp(when)
        held_rows = [
            (
                source, close.ticker, close.day.isoformat(), _number(close.close), close.reason,
                close.move, close.bound, json.dumps([_number(v) for v in close.values]), HELD, at,
            )
            for screening in screenings
            for close in screening.quarantined
        ]  # fmt: skip
        passed = [
            (screening.ticker, day, _close_on(screening.accepted, day))
            for screening in screenings
            for day in screening.released
        ]
        if not held_rows and not passed:
            return
        with self.prices.writing() as connection:
            connection.execute(_SCHEMA)
            connection.executemany(
                "INSERT INTO quarantine (source, ticker, day, close, reason, move, bound, closes,"
                " status, held_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source, ticker, day) DO UPDATE SET close = excluded.close,"
                " reason = excluded.reason, move = excluded.move, bound = excluded.bound,"
                " closes = excluded.closes, status = excluded.status, resolved_at = NULL"
                # An operator's release stands; a close confirmed before and held again is held.
                f" WHERE quarantine.status != '{RELEASED}'",
                held_rows,
            )
            for ticker, day, close in passed:
                row = connection.execute(
                    "SELECT close FROM quarantine WHERE source = ? AND ticker = ? AND day = ?"
                    " AND status = ?",
                    (source, ticker, day.isoformat(), HELD),
                ).fetchone()
                if row is None:
                    continue
                same = row[0] is not None and close is not None and _same(row[0], close)
                connection.execute(
                    "UPDATE quarantine SET status = ?, resolved_at = ?"
                    " WHERE source = ? AND ticker = ? AND day = ?",
                    (CONFIRMED if same else CORRECTED, at, source, ticker, day.isoformat()),
                )

    def release(self, source: str, ticker: str, day: date, when: datetime) -> QuarantinedClose:
        """Store a held close and accept it from now on; raise ReleaseError when none is held."""
        rows = self._rows(
            "SELECT ticker, day, close, reason, move, bound, closes, status FROM quarantine"
            " WHERE source = ? AND upper(ticker) = upper(?) AND day = ?",
            (source, ticker, day.isoformat()),
        )
        if not rows or rows[0][7] != HELD:
            held = self.held(source, [str(rows[0][0]) if rows else ticker.upper()])
            listed = ", ".join(close.day.isoformat() for close in held[-5:])
            state = f" (it was {rows[0][7]})" if rows else ""
            raise ReleaseError(
                f"no close of {ticker} on {day.isoformat()} is held for {source}{state}"
                + (f"; held: {listed}" if listed else "")
            )
        close = _held_close(rows[0])
        if close.reason in (NOT_FINITE, NOT_POSITIVE) or close.close is None:
            raise ReleaseError(
                f"{close.ticker}'s {day.isoformat()} close ({close.close}) is not a price "
                "and cannot be used"
            )
        frame = pd.DataFrame(
            {close.ticker: [close.close]},
            index=pd.DatetimeIndex([pd.Timestamp(day)], name="date"),
            dtype=np.float64,
        )
        self.prices.write(source, frame)
        with self.prices.writing() as connection:
            connection.execute(
                "UPDATE quarantine SET status = ?, resolved_at = ?"
                " WHERE source = ? AND ticker = ? AND day = ?",
                (RELEASED, _stamp(when), source, close.ticker, day.isoformat()),
            )
        return close


def screen_fetch(
    prices: PriceStore,
    quarantine: QuarantineStore,
    source: str,
    closes: pd.DataFrame,
    *,
    replace: Collection[str] = (),
    repeated: Mapping[str, Mapping[date, Sequence[float]]] | None = None,
    capped: Collection[str] = (),
) -> FetchScreening:
    """Run every fetched ticker's closes through the sanity stage against what is stored.

    Tickers in ``replace`` have a restated history: it is judged whole, without the old closes.
    """
    columns = [str(c) for c in closes.columns]
    approved = quarantine.approved(source)
    held: dict[str, list[date]] = {}
    for close in quarantine.held(source, columns):
        held.setdefault(close.ticker, []).append(close.day)
    empty = pd.Series([], index=pd.DatetimeIndex([], name="date"), dtype=np.float64)
    repeats = repeated or {}
    capped_set = set(capped)
    screenings: list[Screening] = []
    # A few tickers' stored histories at a time: all of them at once would be one frame as
    # long as the oldest history and as wide as the index.
    for start in range(0, len(columns), SCREEN_CHUNK):
        chunk = columns[start : start + SCREEN_CHUNK]
        stored = prices.load(source, [c for c in chunk if c not in replace])
        screenings.extend(
            screen_ticker(
                ticker,
                closes[ticker],
                stored[ticker] if ticker in stored.columns else empty,
                repeated=repeats.get(ticker),
                approved=approved.get(ticker),
                held=held.get(ticker, ()),
                capped=ticker in capped_set,
            )
            for ticker in chunk
        )
    kept = {s.ticker: s.accepted for s in screenings if not s.accepted.empty}
    frame = pd.DataFrame(kept, dtype=np.float64) if kept else closes.iloc[:0, :0]
    frame.index.name = "date"
    return FetchScreening(frame, tuple(screenings))


def record_quietly(
    quarantine: QuarantineStore, source: str, screening: FetchScreening, when: datetime
) -> str | None:
    """File a refresh's quarantine verdicts; return why they could not be filed (None: filed)."""
    try:
        quarantine.record(source, screening.screenings, when)
    except StoreError as exc:
        return str(exc)
    return None


def _stamp(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _held_close(row: Sequence[object]) -> QuarantinedClose:
    ticker, day, close, reason, move, bound, closes = row[:7]
    return QuarantinedClose(
        ticker=str(ticker),
        day=date.fromisoformat(str(day)),
        close=float(str(close)) if close is not None else None,
        reason=str(reason),
        move=float(str(move)) if move is not None else None,
        bound=float(str(bound)) if bound is not None else None,
        values=tuple(float("nan") if v is None else float(v) for v in json.loads(str(closes))),
    )


def _close_on(closes: pd.Series, day: date) -> float | None:
    value = closes.get(pd.Timestamp(day))
    return None if value is None else float(value)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_CLOSE * max(abs(a), abs(b))
