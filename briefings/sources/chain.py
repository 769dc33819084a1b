"""A chain of sources: a ticker the first cannot serve is asked of the next, and so on.

The chain files its closes under its first source's name, so adding a fallback to a running
store keeps every close already stored. Which source served each ticker is reported
(``FetchResult.served_by``); before a fallback's closes join a history another source stored,
their daily returns are compared on the days both have (``compare_returns``), because adjusted
closes of two providers differ by a constant factor per adjustment date but their returns do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from briefings.sources.base import FetchResult, PriceSource, SourceError

#: Largest difference between two sources' daily simple returns on one day that still agrees:
#: above rounding of closes to the cent on a $10 stock (0.1%), below any real error.
RETURN_TOLERANCE = 0.002
#: Fewest common daily returns a comparison needs; with fewer the sources cannot be compared.
LEAST_COMMON_RETURNS = 2


class ChainSource:
    """Ask each source in turn for the tickers the ones before it could not serve."""

    def __init__(self, sources: Sequence[PriceSource]) -> None:
        if not sources:
            raise ValueError("a chain needs at least one source")
        self.sources = tuple(sources)

    @property
    def name(self) -> str:
        """Return the first source's name: the chain extends that source's store."""
        return self.sources[0].name

    @property
    def simulated(self) -> bool:
        """Return True when any source in the chain is simulated."""
        return any(source.simulated for source in self.sources)

    @property
    def names(self) -> tuple[str, ...]:
        """Return every source's name in the order they are asked."""
        return tuple(source.name for source in self.sources)

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return closes from the first source that serves each ticker; raise when none could."""
        remaining = list(dict.fromkeys(tickers))
        frames: list[pd.DataFrame] = []
        served: dict[str, str] = {}
        reasons: dict[str, list[str]] = {}
        repeated: dict[str, Mapping[date, tuple[float, ...]]] = {}
        errors: list[str] = []
        for source in self.sources:
            if not remaining:
                break
            try:
                result = source.fetch(remaining, start, end)
            except SourceError as exc:
                errors.append(str(exc))
                for ticker in remaining:
                    reasons.setdefault(ticker, []).append(f"{source.name}: {exc}")
                continue
            got = [
                t
                for t in remaining
                if t in result.closes.columns and result.closes[t].notna().any()
            ]
            frames.append(result.closes.loc[:, got])
            served.update(dict.fromkeys(got, source.name))
            repeated.update({t: r for t, r in result.repeated.items() if t in got})
            for ticker in remaining:
                if ticker not in got:
                    why = result.failed.get(ticker, "no closes")
                    reasons.setdefault(ticker, []).append(f"{source.name}: {why}")
            remaining = [t for t in remaining if t not in got]
        if not served and errors and len(errors) == len(self.sources):
            raise SourceError("every source failed: " + "; ".join(errors))
        kept = [frame for frame in frames if not frame.empty]
        if kept:
            closes = pd.concat(kept, axis=1, sort=True).astype(np.float64)
        else:
            closes = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]"))
        closes.index.name = "date"
        failed = {t: "; ".join(reasons.get(t, ["no closes"])) for t in remaining}
        return FetchResult(closes=closes, failed=failed, repeated=repeated, served_by=served)


@dataclass(frozen=True)
class ReturnComparison:
    """Two sources' daily returns on their common days: how far apart, and the level between."""

    common_returns: int
    worst_gap: float
    """Largest |r_a - r_b| over the common days (simple daily returns)."""
    scale: float
    """stored / fetched close on the last common day: multiplies the fetched closes to join."""

    @property
    def agrees(self) -> bool:
        """Return True when the returns are within RETURN_TOLERANCE on every common day."""
        return self.common_returns >= LEAST_COMMON_RETURNS and self.worst_gap <= RETURN_TOLERANCE


def compare_returns(stored: pd.Series, fetched: pd.Series) -> ReturnComparison | None:
    """Compare daily returns r_t = c_t / c_{t-1} - 1 on the days both series have closes.

    Returns None when the series share no day (nothing to compare or to join on).
    """
    both = pd.concat([stored.rename("a"), fetched.rename("b")], axis=1, sort=True).dropna()
    if both.empty:
        return None
    returns = both.pct_change().dropna()
    gaps = (returns["a"] - returns["b"]).abs()
    worst = float(gaps.max()) if not gaps.empty else 0.0
    scale = float(both["a"].iloc[-1] / both["b"].iloc[-1])
    return ReturnComparison(len(gaps), worst, scale)
