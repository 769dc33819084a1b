"""The interface every market data source implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

import pandas as pd


class SourceError(RuntimeError):
    """Raise when a source cannot deliver at all (network down, directory vanished)."""


class SourceSpecError(ValueError):
    """Raise when a ``--source`` value names no usable source."""


@dataclass(frozen=True)
class FetchResult:
    """Daily closes from one fetch: a wide frame plus the tickers that failed and why.

    ``closes`` has a tz-naive DatetimeIndex of session dates named ``date``, one float column
    per ticker that returned data, NaN where a ticker has no close that day.
    """

    closes: pd.DataFrame
    failed: Mapping[str, str] = field(default_factory=dict)
    repeated: Mapping[str, Mapping[date, tuple[float, ...]]] = field(default_factory=dict)
    """Dates a ticker's data gave more than once, with every close given (``closes`` holds the
    last); the sanity stage holds a date whose closes differ (``briefings.sanity``)."""
    served_by: Mapping[str, str] = field(default_factory=dict)
    """Which source gave each ticker's closes, for a chain of sources (empty: this one)."""


class PriceSource(Protocol):
    """A place daily closes come from."""

    @property
    def name(self) -> str:
        """Return the stable name the store files this source's data under."""
        ...

    @property
    def simulated(self) -> bool:
        """Return True when the prices are simulated, not market data."""
        ...

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return closes for ``tickers`` from ``start`` (None: all history) through ``end``."""
        ...


@dataclass(frozen=True)
class LatestResult:
    """One session's closes from a source's bulk latest-prices answer.

    ``closes`` holds the close of ``session`` for each ticker whose latest bar is that session
    with no corporate action; ``adjusted`` the tickers whose latest bar is that session and
    carries a split or a dividend, so their whole adjusted history must be fetched again;
    ``failed`` why a ticker has no answer (a deferred request, an answer without prices). A
    ticker not in ``closes`` or ``adjusted`` (failed, or its latest bar is another day: not
    updated yet, or unknown) is left to a ticker's own fetch.
    """

    session: date
    closes: Mapping[str, float] = field(default_factory=dict)
    adjusted: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class LatestCloses(Protocol):
    """A source that gives many tickers' latest closes in one request (a bulk endpoint)."""

    def latest(self, tickers: Sequence[str], session: date) -> LatestResult:
        """Return the closes of ``session`` for the ``tickers`` whose latest bar is that session."""
        ...


@runtime_checkable
class ChangeMarkedSource(Protocol):
    """A source that can tell, without reading it, whether a ticker's data may have changed."""

    def change_marks(self, tickers: Sequence[str]) -> Mapping[str, str]:
        """Return a mark per ticker that differs whenever its data may differ (a file's stat)."""
        ...
