"""Index members' closes held as one matrix per index, and their figures for a session.

A ``MemberBook`` is loaded once per data version (closes and holdings); ``figures(session)``
runs the vectorised analytics of ``briefings.members.analytics`` once per session and keeps the
result, so briefings, /breadth, /movers and the breadth chart share one computation.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.analytics.returns import FloatArray, finite_or_none
from briefings.lru import Lru
from briefings.members import analytics
from briefings.members.holdings_store import StoredHoldings
from briefings.members.model import (
    MEMBERS_SAMPLE_START,
    BreadthCounts,
    Contribution,
    GroupSplit,
    Holdings,
    IndexMembers,
    SectorFigures,
    WindowMovers,
)
from briefings.members.top_history import top_vs_rest_history
from briefings.members.window import member_window
from briefings.store import PriceStore
from briefings.universe import IndexSpec
from briefings.windows import WINDOWS

#: Whole calendar years a book reads before the first session it serves: the longest window
#: (1Y), the 200-day average and the 52-week extremes fit in them, with room to spare.
LOOKBACK_YEARS = 2


def first_date_needed(session: date | None = None) -> date:
    """Return the first date a book read for ``session`` (None: the latest) must hold.

    That is 1 January LOOKBACK_YEARS years before the earlier of ``session`` and
    MEMBERS_SAMPLE_START, since the members' figures are ranked among their values from then on.
    """
    earliest = MEMBERS_SAMPLE_START if session is None else min(session, MEMBERS_SAMPLE_START)
    return date(earliest.year - LOOKBACK_YEARS, 1, 1)


#: Contributors and movers shown per window.
MOVERS_SHOWN = 5
#: Sessions whose figures a book keeps (the latest, plus sessions replayed by the bot or CLI).
MAX_CACHED_SESSIONS = 16


@dataclass(frozen=True)
class IndexPrices:
    """One index's holdings and its members' closes (sessions x members, NaN where missing)."""

    spec: IndexSpec
    holdings: Holdings
    note: str | None
    dates: pd.DatetimeIndex
    prices: FloatArray
    weights: FloatArray
    """Index weights in percent at the holdings' as-of session, NaN where unknown."""
    sectors: tuple[str, ...]
    codes: npt.NDArray[np.intp]

    @classmethod
    def load(
        cls,
        store: PriceStore,
        source: str,
        spec: IndexSpec,
        stored: StoredHoldings,
        start: date | None = None,
    ) -> IndexPrices:
        """Read the members' closes of ``stored`` holdings from the store, from ``start`` on."""
        holdings = stored.holdings
        frame = store.load(source, list(holdings.tickers), start=start)
        frame = frame.reindex(columns=list(holdings.tickers))
        sectors = tuple(sorted({m.sector for m in holdings.members}))
        position = {sector: i for i, sector in enumerate(sectors)}
        return cls(
            spec=spec,
            holdings=holdings,
            note=stored.note,
            dates=pd.DatetimeIndex(frame.index),
            prices=np.ascontiguousarray(frame.to_numpy(dtype=np.float64)),
            weights=np.array(
                [np.nan if m.weight is None else m.weight for m in holdings.members],
                dtype=np.float64,
            ),
            sectors=sectors,
            codes=np.array([position[m.sector] for m in holdings.members], dtype=np.intp),
        )


class MemberBook:
    """Every enabled index's members for one data version; figures computed once per session."""

    def __init__(self, indexes: Sequence[IndexPrices], start: date | None = None) -> None:
        self.indexes = tuple(indexes)
        self.start = start
        """The first date read (None: every stored close); see ``first_date_needed``."""
        self._lock = threading.Lock()
        self._figures: Lru[date, tuple[IndexMembers, ...]] = Lru(MAX_CACHED_SESSIONS)
        self._histories: dict[tuple[str, str, date], pd.Series] = {}

    @classmethod
    def load(
        cls,
        store: PriceStore,
        source: str,
        specs: Sequence[IndexSpec],
        stored: Sequence[StoredHoldings],
        start: date | None = None,
    ) -> MemberBook:
        """Read the closes of every index with stored holdings, from ``start`` on."""
        by_key = {item.holdings.index: item for item in stored}
        return cls(
            [
                IndexPrices.load(store, source, spec, by_key[spec.key], start)
                for spec in specs
                if spec.key in by_key
            ],
            start,
        )

    def serves(self, session: date) -> bool:
        """Return whether the book holds every close the figures of ``session`` read."""
        return self.start is None or self.start <= first_date_needed(session)

    def top_vs_rest_history(self, index: str, window: str, since: date) -> pd.Series:
        """Return index ``index``'s top N gap over the rest in ``window`` at every session since
        ``since`` (``members.top_history``; empty without weights), computed once."""
        key = (index, window, since)
        with self._lock:
            found = self._histories.get(key)
            if found is None:
                found = _top_vs_rest_history(self.indexes, index, window, since)
                self._histories[key] = found
            return found

    def figures(self, session: date) -> tuple[IndexMembers, ...]:
        """Return every index's member figures at ``session`` (computed once, then kept)."""
        if not self.serves(session):
            raise ValueError(f"the book starts {self.start}, after what {session} needs")
        with self._lock:
            cached = self._figures.get(session)
            if cached is None:
                cached = tuple(index_members(prices, session) for prices in self.indexes)
                self._figures.put(session, cached)
            return cached


def _weighting(index: IndexPrices, row: int) -> tuple[bool, FloatArray, FloatArray]:
    """Return (cap-weighted, w_i(h), P_i(h)): the holdings' weights and closes at h.

    Without a weight snapshot of a known date the weights are NaN (equal weights only) and h
    is the session ``row`` itself.
    """
    holdings, prices = index.holdings, index.prices
    cap_weighted = holdings.has_weights and holdings.as_of is not None
    weights = index.weights if cap_weighted else np.full(len(holdings.members), np.nan)
    holdings_row = row
    if holdings.as_of is not None:
        holdings_row = max(
            int(index.dates.searchsorted(pd.Timestamp(holdings.as_of), "right")) - 1, 0
        )
    return cap_weighted, weights, analytics.holdings_prices(prices, holdings_row)


def _top_vs_rest_history(
    indexes: Sequence[IndexPrices], key: str, window: str, since: date
) -> pd.Series:
    index = next((item for item in indexes if item.spec.key == key), None)
    if index is None or not len(index.dates):
        return pd.Series(dtype=float)
    cap_weighted, weights, at_holdings = _weighting(index, len(index.dates) - 1)
    if not cap_weighted:
        return pd.Series(dtype=float)
    return top_vs_rest_history(
        index.dates, index.prices, weights, at_holdings, window, index.spec.top_n, since
    )


def _breadth(masks: dict[str, npt.NDArray[np.bool_]], members: int) -> BreadthCounts:
    return BreadthCounts(
        members=members,
        above_50d=int(masks["above_50d"].sum()),
        above_200d=int(masks["above_200d"].sum()),
        counted_50d=int(masks["counted_50d"].sum()),
        counted_200d=int(masks["counted_200d"].sum()),
        advancers=int(masks["advancers"].sum()),
        decliners=int(masks["decliners"].sum()),
        new_highs_52w=int(masks["new_highs_52w"].sum()),
        new_lows_52w=int(masks["new_lows_52w"].sum()),
    )


def _contribution(
    index: IndexPrices, member: int, pp: FloatArray, returns: FloatArray
) -> Contribution:
    info = index.holdings.members[member]
    return Contribution(
        ticker=info.ticker,
        name=info.name,
        sector=info.sector,
        pp=finite_or_none(pp[member]),
        return_pct=float(returns[member]),
    )


def _movers(index: IndexPrices, pp: FloatArray, returns: FloatArray) -> WindowMovers:
    """Return the window's top/bottom contributors (by pp) and biggest moves (by return)."""
    shown = MOVERS_SHOWN

    def pick(values: FloatArray, largest: bool) -> tuple[Contribution, ...]:
        usable = np.flatnonzero(np.isfinite(values))
        if largest:
            usable = usable[values[usable] > 0]
            order = usable[np.argsort(-values[usable], kind="stable")]
        else:
            usable = usable[values[usable] < 0]
            order = usable[np.argsort(values[usable], kind="stable")]
        return tuple(_contribution(index, int(i), pp, returns) for i in order[:shown])

    return WindowMovers(
        top=pick(pp, True),
        bottom=pick(pp, False),
        gainers=pick(returns, True),
        losers=pick(returns, False),
    )


def index_members(index: IndexPrices, session: date) -> IndexMembers:
    """Return the figures of one index's members at ``session`` (see analytics.members)."""
    spec, holdings = index.spec, index.holdings
    count = len(holdings.members)
    dates, prices = index.dates, index.prices
    row = int(dates.searchsorted(pd.Timestamp(session), side="right")) - 1
    note = index.note
    if row < 0 or not count:
        return _empty(index, note)
    if pd.Timestamp(dates[row]).date() != session:
        # No member closed on the session (their data ends earlier): say so rather than
        # passing an older session's figures off as this one's.
        ends = pd.Timestamp(dates[row]).date().isoformat()
        return _empty(index, "; ".join(filter(None, (f"Member closes end {ends}", note))))
    on_session = ~np.isnan(prices[row])
    cap_weighted, weights, at_holdings = _weighting(index, row)
    groups = len(index.sectors)

    splits: dict[str, GroupSplit] = {}
    cap_by_window: dict[str, FloatArray] = {}
    equal_by_window: dict[str, FloatArray] = {}
    movers: dict[str, WindowMovers] = {}
    index_return: dict[str, float | None] = {}
    for window in WINDOWS:
        measured = member_window(dates, prices, weights, at_holdings, row, window, spec.top_n)
        returns, carried = measured.returns, measured.carried
        splits[window] = measured.split
        cap_by_window[window], equal_by_window[window] = analytics.grouped_returns(
            index.codes, groups, carried, returns
        )
        pp = analytics.contributions(carried, returns)
        movers[window] = _movers(index, pp, returns)
        index_return[window] = (
            analytics.cap_weighted(carried, returns)
            if cap_weighted
            else analytics.equal_weighted(returns)
        )

    masks = analytics.breadth_masks(prices[: row + 1])
    per_sector = {
        name: analytics.group_counts(index.codes, groups, mask) for name, mask in masks.items()
    }
    listed = np.bincount(index.codes, minlength=groups)
    sectors = tuple(
        SectorFigures(
            sector=sector,
            members=int(listed[code]),
            returns={w: finite_or_none(cap_by_window[w][code]) for w in WINDOWS},
            equal_returns={w: finite_or_none(equal_by_window[w][code]) for w in WINDOWS},
            breadth=BreadthCounts(
                members=int(listed[code]),
                **{name: int(counts[code]) for name, counts in per_sector.items()},
            ),
        )
        for code, sector in enumerate(index.sectors)
    )
    return IndexMembers(
        index=spec.key,
        name=spec.name,
        weights_as_of=holdings.as_of if cap_weighted else None,
        origin=holdings.origin,
        simulated=holdings.simulated,
        count=count,
        with_data=int(on_session.sum()),
        missing=tuple(
            m.ticker for m, ok in zip(holdings.members, on_session, strict=True) if not ok
        ),
        cap_weighted=cap_weighted,
        top_n=spec.top_n,
        top_vs_rest=splits,
        sectors=sectors,
        breadth=_breadth(masks, count),
        movers=movers,
        index_return=index_return,
        note=note,
    )


def _empty(index: IndexPrices, note: str | None) -> IndexMembers:
    """Return an index's figures when none of its members has a close by the session."""
    nothing = BreadthCounts(len(index.holdings.members), 0, 0, 0, 0, 0, 0, 0, 0)
    holdings = index.holdings
    return IndexMembers(
        index=index.spec.key,
        name=index.spec.name,
        weights_as_of=holdings.as_of,
        origin=holdings.origin,
        simulated=holdings.simulated,
        count=len(holdings.members),
        with_data=0,
        missing=holdings.tickers,
        cap_weighted=holdings.has_weights,
        top_n=index.spec.top_n,
        top_vs_rest={w: GroupSplit(None, None, None, None) for w in WINDOWS},
        sectors=(),
        breadth=nothing,
        movers={w: WindowMovers((), (), (), ()) for w in WINDOWS},
        index_return=dict.fromkeys(WINDOWS),
        note=note,
    )
