"""A recap as typed, frozen data: the period's facts, each with its rank among past periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from briefings.history.rank import HistoryRank

PeriodKind = Literal["week", "month"]


@dataclass(frozen=True)
class RecapPeriod:
    """A calendar week (Monday to Friday) or month and its sessions in the data."""

    kind: PeriodKind
    start: date
    """The period's first calendar day (a Monday, or the 1st of the month)."""
    end: date
    """The period's last calendar day (a Friday, or the month's last day)."""
    first_session: date
    last_session: date
    base_session: date
    """The last session before the period: every return is measured from its close."""


@dataclass(frozen=True)
class PairFact:
    """A lead leg against a lag leg over the period: spread = r_lead - r_lag (pp)."""

    key: str
    """equal_vs_cap, top_vs_rest or small_vs_large."""
    lead: str
    lag: str
    lead_return: float
    lag_return: float
    spread: float
    rank: HistoryRank | None
    """The spread among the same periods' spreads in history (members: since 2023)."""


@dataclass(frozen=True)
class SectorFact:
    """A GICS sector measured from the index's members (cap-weighted) over the period."""

    key: str
    """best or worst."""
    sector: str
    return_pct: float
    rank: HistoryRank | None
    """The sector's period return among its past periods' returns (members: since 2023)."""


@dataclass(frozen=True)
class FactorFact:
    """A factor fund over the period against the benchmark: spread = r_factor - r_benchmark."""

    key: str
    """first or last."""
    factor: str
    ticker: str
    return_pct: float
    spread: float
    rank: HistoryRank | None
    """The spread among the same periods' spreads against the benchmark in history."""


@dataclass(frozen=True)
class Recap:
    """The week or month in review: every fact word-free, in the order a reader gets them."""

    period: RecapPeriod
    source: str
    pairs: tuple[PairFact, ...]
    sectors: tuple[SectorFact, ...]
    factors: tuple[FactorFact, ...]
    factor_order: tuple[str, ...]
    """Every factor with a return, best first."""
    benchmark: str
    index_name: str | None
    top_n: int | None
