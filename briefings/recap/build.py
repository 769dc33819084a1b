"""Build a recap: the period's returns from closes at period ends, each ranked in history.

A period is a calendar week (Monday to Friday) or month. Its return for a leg is
r = 100 * (c_last / c_base - 1), c_last the close of the period's last session and c_base the
close of the last session before the period. Each spread's history is the same figure for every
earlier period of the data (one value per period, never a later close), ranked by
``briefings.history.rank`` (the rule: ``briefings.history``). Figures from index members
(top N vs the rest, sectors) are cap-weighted by the holdings' weights carried by prices to the
period's base session, one value per period since 2023 (the members' sample).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from briefings.calendar import CalendarRangeError, sessions_in_range
from briefings.history.book import HistoryBook, snapshot_history
from briefings.history.rank import rank_in_history
from briefings.members import analytics
from briefings.members.book import IndexPrices, MemberBook
from briefings.members.model import MEMBERS_SAMPLE_START
from briefings.recap.model import (
    FactorFact,
    PairFact,
    PeriodKind,
    Recap,
    RecapPeriod,
    SectorFact,
)
from briefings.service import MarketService
from briefings.universe import Universe

#: The small caps measured against the benchmark.
SMALL_CAPS = "IWM"
#: The equal-weight fund when the index names none.
EQUAL_WEIGHT = "RSP"
_PERIOD_CODE: dict[PeriodKind, str] = {"week": "W-FRI", "month": "M"}


class RecapPeriodError(ValueError):
    """The period is not in the data, or not yet complete."""


def period_bounds(kind: PeriodKind, day: date) -> tuple[date, date]:
    """Return the calendar week (Monday to Friday) or month containing ``day``."""
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=4)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def resolve_period(kind: PeriodKind, day: date, sessions: pd.DatetimeIndex) -> RecapPeriod:
    """Return the period containing ``day`` if the data holds all of it (else RecapPeriodError)."""
    start, end = period_bounds(kind, day)
    label = f"{start:%Y-%m}" if kind == "month" else f"the week {start} to {end}"
    try:
        calendar_sessions = sessions_in_range(start, end)
    except CalendarRangeError:
        raise RecapPeriodError(f"{label} is outside the trading calendar") from None
    days = pd.DatetimeIndex(sessions)
    inside = days[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
    before = days[days < pd.Timestamp(start)]
    if not calendar_sessions or inside.empty or before.empty:
        raise RecapPeriodError(f"{label} is not in the data")
    if days[-1] < pd.Timestamp(calendar_sessions[-1]):
        raise RecapPeriodError(
            f"{label} is not complete yet: its last session is {calendar_sessions[-1]}, "
            f"the data ends {days[-1].date()}"
        )
    return RecapPeriod(
        kind=kind,
        start=start,
        end=end,
        first_session=inside[0].date(),
        last_session=inside[-1].date(),
        base_session=before[-1].date(),
    )


def period_returns(legs: pd.DataFrame, kind: PeriodKind) -> pd.DataFrame:
    """Return each leg's return per period, r = 100 * (c_last / c_before - 1), by period end."""
    index = pd.DatetimeIndex(legs.index)
    ends = legs.groupby(index.to_period(_PERIOD_CODE[kind])).tail(1)
    return 100.0 * (ends / ends.shift(1) - 1.0)


def _at(series: pd.Series, session: pd.Timestamp) -> float:
    """Return the series' value at ``session`` as a float (NaN when it has none)."""
    index = pd.DatetimeIndex(series.index)
    row = int(index.searchsorted(session))
    if row >= len(index) or index[row] != session:
        return float("nan")
    return float(series.to_numpy(dtype=float)[row])


def _pair(
    key: str, lead: str, lag: str, returns: pd.DataFrame, session: pd.Timestamp
) -> PairFact | None:
    if lead not in returns.columns or lag not in returns.columns or session not in returns.index:
        return None
    spreads = returns[lead] - returns[lag]
    lead_return, lag_return = _at(returns[lead], session), _at(returns[lag], session)
    if not (np.isfinite(lead_return) and np.isfinite(lag_return)):
        return None
    return PairFact(
        key=key,
        lead=lead,
        lag=lag,
        lead_return=lead_return,
        lag_return=lag_return,
        spread=lead_return - lag_return,
        rank=rank_in_history(spreads, session),
    )


def _member_history(
    prices: IndexPrices, kind: PeriodKind, last_session: date
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Return per period since 2023 the top N's and the rest's returns and each sector's.

    Each period is measured from the previous period's last session b: weights carried to b
    (w_i(b) = w_i(h) * P_i(b) / P_i(h)), r_i = 100 * (P_i(last) / P_i(b) - 1), cap-weighted.
    """
    dates = pd.DatetimeIndex(prices.dates)
    rows = pd.Series(np.arange(len(dates)), index=dates)
    rows = rows[dates <= pd.Timestamp(last_session)]
    ends = rows.groupby(pd.DatetimeIndex(rows.index).to_period(_PERIOD_CODE[kind])).last()
    end_rows = ends.to_numpy()
    holdings = prices.holdings
    holdings_row = len(dates) - 1
    if holdings.as_of is not None:
        holdings_row = max(int(dates.searchsorted(pd.Timestamp(holdings.as_of), "right")) - 1, 0)
    at_holdings = analytics.holdings_prices(prices.prices, holdings_row)
    groups = len(prices.sectors)
    stamps, top, rest, sector_rows = [], [], [], []
    for base_row, end_row in itertools.pairwise(end_rows):
        if dates[end_row] < pd.Timestamp(MEMBERS_SAMPLE_START):
            continue
        returns = analytics.window_returns(prices.prices, int(end_row), int(base_row))
        carried = analytics.carried_weights(prices.weights, at_holdings, prices.prices[base_row])
        top_cap, rest_cap, _, _ = analytics.split_returns(carried, returns, prices.spec.top_n)
        cap, _ = analytics.grouped_returns(prices.codes, groups, carried, returns)
        stamps.append(dates[end_row])
        top.append(np.nan if top_cap is None else top_cap)
        rest.append(np.nan if rest_cap is None else rest_cap)
        sector_rows.append(cap)
    index = pd.DatetimeIndex(stamps)
    sectors = pd.DataFrame(
        np.array(sector_rows).reshape(len(stamps), groups), index=index, columns=prices.sectors
    )
    return pd.Series(top, index=index), pd.Series(rest, index=index), sectors


def _members_facts(
    prices: IndexPrices, kind: PeriodKind, session: pd.Timestamp
) -> tuple[PairFact | None, tuple[SectorFact, ...]]:
    top, rest, sectors = _member_history(prices, kind, session.date())
    if session not in top.index or not prices.holdings.has_weights:
        return None, ()
    top_vs_rest = None
    if np.isfinite(top[session]) and np.isfinite(rest[session]):
        top_vs_rest = PairFact(
            key="top_vs_rest",
            lead="top",
            lag="rest",
            lead_return=float(top[session]),
            lag_return=float(rest[session]),
            spread=float(top[session] - rest[session]),
            rank=rank_in_history(top - rest, session, members=True),
        )
    row = sectors.to_numpy(dtype=float)[int(sectors.index.searchsorted(session))]
    known = [(float(value), str(name)) for name, value in zip(sectors.columns, row, strict=True)]
    ranked = sorted((pair for pair in known if np.isfinite(pair[0])), key=lambda p: -p[0])
    facts = []
    for key, chosen in (("best", ranked[:1]), ("worst", ranked[-1:])):
        for value, sector in chosen:
            facts.append(
                SectorFact(
                    key=key,
                    sector=sector,
                    return_pct=value,
                    rank=rank_in_history(sectors[sector], session, members=True),
                )
            )
    return top_vs_rest, tuple(facts)


def _factor_facts(
    universe: Universe, returns: pd.DataFrame, session: pd.Timestamp
) -> tuple[tuple[FactorFact, ...], tuple[str, ...]]:
    benchmark = universe.factor_benchmark
    if benchmark not in returns.columns or session not in returns.index:
        return (), ()
    lines = []
    for spec in universe.factors:
        if spec.ticker not in returns.columns:
            continue
        value = _at(returns[spec.ticker], session)
        if np.isfinite(value):
            lines.append((spec, float(value)))
    lines.sort(key=lambda line: -line[1])
    order = tuple(spec.factor for spec, _ in lines)
    facts = []
    for key, chosen in (("first", lines[:1]), ("last", lines[-1:] if len(lines) > 1 else [])):
        for spec, value in chosen:
            spreads = returns[spec.ticker] - returns[benchmark]
            facts.append(
                FactorFact(
                    key=key,
                    factor=spec.factor,
                    ticker=spec.ticker,
                    return_pct=value,
                    spread=value - _at(returns[benchmark], session),
                    rank=rank_in_history(spreads, session),
                )
            )
    return tuple(facts), order


def build_recap(
    period: RecapPeriod,
    book: HistoryBook,
    members: MemberBook | None,
    closes: pd.DataFrame,
    source: str,
) -> Recap:
    """Return the recap of ``period`` from the data version's history (and its index members)."""
    universe = book.universe
    session = pd.Timestamp(period.last_session)
    indexes: Sequence[IndexPrices] = () if members is None else members.indexes
    index = indexes[0] if indexes else None
    equal = (index.spec.equal_benchmark if index else None) or EQUAL_WEIGHT
    cap = (index.spec.cap_benchmark if index else None) or universe.benchmark
    wanted = [equal, cap, SMALL_CAPS, universe.benchmark, universe.factor_benchmark]
    wanted += [spec.ticker for spec in universe.factors]
    present = [t for t in dict.fromkeys(wanted) if t in closes and closes[t].notna().any()]
    returns = period_returns(book.legs(present), period.kind)
    pairs = [_pair("equal_vs_cap", equal, cap, returns, session)]
    sectors: tuple[SectorFact, ...] = ()
    if index is not None:
        top_vs_rest, sectors = _members_facts(index, period.kind, session)
        pairs.append(top_vs_rest)
    pairs.append(_pair("small_vs_large", SMALL_CAPS, universe.benchmark, returns, session))
    factors, order = _factor_facts(universe, returns, session)
    return Recap(
        period=period,
        source=source,
        pairs=tuple(pair for pair in pairs if pair is not None),
        sectors=sectors,
        factors=factors,
        factor_order=order,
        benchmark=universe.factor_benchmark,
        index_name=index.spec.name if index else None,
        top_n=index.spec.top_n if index else None,
    )


def market_recap(service: MarketService, kind: PeriodKind, day: date) -> Recap:
    """Return the recap of the week or month containing ``day`` from the service's data."""
    closes = service.snapshot().closes
    period = resolve_period(kind, day, pd.DatetimeIndex(closes.index))
    snapshot = service.snapshot(as_of=period.last_session)
    members = service.member_book() if snapshot.universe.member_indexes else None
    return build_recap(
        period, snapshot_history(snapshot), members, snapshot.closes, service.source_name
    )


def recaps_ending(session: date) -> tuple[PeriodKind, ...]:
    """Return the recaps due after ``session``: the week's and/or month's, when it is their last."""
    due: list[PeriodKind] = []
    for kind in ("week", "month"):
        start, end = period_bounds(kind, session)
        try:
            sessions = sessions_in_range(start, end)
        except CalendarRangeError:
            continue
        if sessions and sessions[-1] == session:
            due.append(kind)
    return tuple(due)
