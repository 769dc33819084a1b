"""Member analytics on tiny named member sets, against answers worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefings.analytics import members as analytics
from briefings.members.holdings_store import StoredHoldings
from briefings.members.book import IndexPrices, MemberBook, index_members
from briefings.members.model import Holdings, Member
from briefings.universe import IndexSpec

NAN = np.nan


def test_a_weight_is_carried_by_prices() -> None:
    # w(h) = 10% at P(h) = 50; the price doubles by b: w(b) = 10 * 100 / 50 = 20.
    weights = np.array([10.0, 5.0, 3.0])
    at_holdings = np.array([50.0, 20.0, 10.0])
    at_base = np.array([100.0, 10.0, NAN])

    carried = analytics.carried_weights(weights, at_holdings, at_base)

    assert carried[0] == pytest.approx(20.0)
    assert carried[1] == pytest.approx(2.5)  # 5 * 10 / 20
    assert np.isnan(carried[2])  # no close at b: no weight


def test_the_top_n_split_weights_by_the_base_weights() -> None:
    # BIG 50 (+10%), MID 30 (-10%), SMALL 20 (+20%), N = 1:
    # top = BIG: +10% both ways; rest cap = (30 * -10 + 20 * 20) / 50 = +2%; rest equal = +5%.
    weights = np.array([50.0, 30.0, 20.0])
    returns = np.array([10.0, -10.0, 20.0])

    top_cap, rest_cap, top_equal, rest_equal = analytics.split_returns(weights, returns, 1)

    assert top_cap == pytest.approx(10.0)
    assert rest_cap == pytest.approx(2.0)
    assert top_equal == pytest.approx(10.0)
    assert rest_equal == pytest.approx(5.0)


def test_the_top_n_is_ranked_on_the_base_session_not_the_holdings_day() -> None:
    # MID outgrew BIG by the base session, so MID is now the top member.
    weights = analytics.carried_weights(
        np.array([50.0, 40.0]), np.array([10.0, 10.0]), np.array([10.0, 20.0])
    )
    assert analytics.top_members(weights, 1).tolist() == [False, True]


def test_without_weights_there_is_no_top_n() -> None:
    assert analytics.split_returns(np.array([NAN, NAN]), np.array([1.0, 2.0]), 1) == (
        None,
        None,
        None,
        None,
    )


def test_a_sector_with_one_member_returns_that_members_return() -> None:
    # Sector 0: A 30 (+10%), B 10 (-10%) -> cap (300 - 100) / 40 = +5%, equal 0%.
    # Sector 1: SOLO alone (+7%) -> +7% both ways.
    codes = np.array([0, 0, 1])
    weights = np.array([30.0, 10.0, 60.0])
    returns = np.array([10.0, -10.0, 7.0])

    cap, equal = analytics.grouped_returns(codes, 2, weights, returns)

    assert cap.tolist() == pytest.approx([5.0, 7.0])
    assert equal.tolist() == pytest.approx([0.0, 7.0])


def test_contributions_add_up_to_the_cap_weighted_return() -> None:
    # Weights 60 / 40 (sum 100): 60 * 10 / 100 = 6 pp, 40 * -5 / 100 = -2 pp; index +4%.
    weights = np.array([60.0, 40.0, 5.0])
    returns = np.array([10.0, -5.0, NAN])

    pp = analytics.contributions(weights, returns)

    assert pp[:2].tolist() == pytest.approx([6.0, -2.0])
    assert np.isnan(pp[2])
    assert analytics.cap_weighted(weights, returns) == pytest.approx(4.0)


def test_holdings_prices_fall_back_for_members_without_a_close_that_day() -> None:
    prices = np.array(
        [
            [10.0, 5.0, NAN],
            [11.0, NAN, NAN],  # the holdings' session: B has no close, C not listed yet
            [12.0, 6.0, 30.0],
        ]
    )
    assert analytics.holdings_prices(prices, 1).tolist() == [11.0, 5.0, 30.0]


def test_members_with_short_histories_are_not_counted_for_long_averages() -> None:
    sessions = 260
    rising = np.linspace(100.0, 200.0, sessions)
    recent = np.full(sessions, NAN)
    recent[-60:] = np.linspace(10.0, 20.0, 60)  # listed 60 sessions ago, rising
    history = np.column_stack([rising, recent])

    masks = analytics.breadth_masks(history)

    assert masks["counted_200d"].tolist() == [True, False]
    assert masks["counted_50d"].tolist() == [True, True]
    assert masks["above_50d"].tolist() == [True, True]
    # A 52-week high needs a whole year of history: the new listing's high does not count.
    assert masks["new_highs_52w"].tolist() == [True, False]
    assert masks["advancers"].tolist() == [True, True]


def test_new_lows_and_decliners() -> None:
    falling = np.linspace(200.0, 100.0, 300)
    masks = analytics.breadth_masks(falling[:, None])
    assert masks["new_lows_52w"].tolist() == [True]
    assert masks["decliners"].tolist() == [True]
    assert masks["above_200d"].tolist() == [False]


def test_rebuilt_indexes_chain_daily_returns() -> None:
    # Two members, equal weights at h = row 0. Day 1: A +10%, B 0%; day 2: A 0%, B +10%.
    prices = np.array([[100.0, 100.0], [110.0, 100.0], [110.0, 110.0]])
    equal, cap = analytics.rebuilt_indexes(prices, np.array([50.0, 50.0]), 0)
    # Equal: 100 * 1.05 * 1.05. Cap: day 1 +5%; day 2 B's weight is 100 / 210 -> +4.7619%.
    assert equal.tolist() == pytest.approx([100.0, 105.0, 110.25])
    assert cap.tolist() == pytest.approx([100.0, 105.0, 110.0])


# --- the figures of a tiny named index ----------------------------------------------------------

DATES = pd.bdate_range("2025-01-01", periods=260, name="date")
SESSION = DATES[-1].date()


def tiny_index() -> IndexPrices:
    """BIG and MID (Tech), SOLO (Energy, alone) and NEW (Tech, listed 20 sessions ago)."""
    n = len(DATES)
    big = np.full(n, 100.0)
    big[-1] = 110.0  # +10% on the last session
    mid = np.full(n, 50.0)
    mid[-1] = 45.0  # -10%
    solo = np.full(n, 20.0)
    solo[-1] = 21.0  # +5%
    new = np.full(n, NAN)
    new[-20:] = 10.0
    new[-1] = 12.0  # +20%
    holdings = Holdings(
        index="tiny",
        members=(
            Member("BIG", "Big Co", "Tech", 60.0),
            Member("MID", "Mid Co", "Tech", 30.0),
            Member("SOLO", "Solo Co", "Energy", 8.0),
            Member("NEW", "New Co", "Tech", 2.0),
        ),
        as_of=DATES[100].date(),
        origin="hand-made",
    )
    spec = IndexSpec("tiny", "Tiny", 4, {"csv": "tiny"}, top_n=1)
    sectors = ("Energy", "Tech")
    return IndexPrices(
        spec=spec,
        holdings=holdings,
        note=None,
        dates=pd.DatetimeIndex(DATES),
        prices=np.column_stack([big, mid, solo, new]),
        weights=np.array([60.0, 30.0, 8.0, 2.0]),
        sectors=sectors,
        codes=np.array([1, 1, 0, 1]),
    )


def test_index_members_on_a_tiny_index() -> None:
    figures = index_members(tiny_index(), SESSION)

    # 1D, all weights carried unchanged to the previous session (flat prices):
    # index = (60 * 10 - 30 * 10 + 8 * 5 + 2 * 20) / 100 = +3.8%.
    assert figures.index_return["1D"] == pytest.approx(3.8)
    split = figures.top_vs_rest["1D"]
    assert split.top_cap == pytest.approx(10.0)
    # rest: (-300 + 40 + 40) / 40 = -5.5%; equal (-10 + 5 + 20) / 3 = +5%.
    assert split.rest_cap == pytest.approx(-5.5)
    assert split.rest_equal == pytest.approx(5.0)
    energy = figures.sector("energy")
    assert energy is not None
    assert energy.members == 1
    assert energy.returns["1D"] == pytest.approx(5.0)
    tech = figures.sector("tech")
    assert tech is not None
    assert tech.returns["1D"] == pytest.approx((600 - 300 + 40) / 92)
    # NEW has 20 closes: counted for neither average; the others closed above theirs, but MID.
    assert figures.breadth.counted_200d == 3
    assert figures.breadth.above_200d == 2
    assert (figures.breadth.advancers, figures.breadth.decliners) == (3, 1)
    assert figures.with_data == 4
    movers = figures.movers["1D"]
    assert [c.ticker for c in movers.top] == ["BIG", "SOLO", "NEW"]
    assert movers.top[0].pp == pytest.approx(6.0)
    assert [c.ticker for c in movers.bottom] == ["MID"]
    assert [c.ticker for c in movers.gainers] == ["NEW", "BIG", "SOLO"]
    # The NEW member's 1M base predates its listing: it has no 1M return.
    assert all(c.ticker != "NEW" for c in figures.movers["1M"].gainers)


def test_sector_lookup_takes_initials_and_word_starts() -> None:
    figures = index_members(tiny_index(), SESSION)
    assert figures.sector("TECH") is not None
    assert figures.sector("en") is not None
    assert figures.sector("zz") is None


def test_a_book_computes_each_session_once() -> None:
    book = MemberBook([tiny_index()])
    first = book.figures(SESSION)
    assert book.figures(SESSION) is first
    assert first[0].name == "Tiny"
    earlier = book.figures(date(2025, 6, 2))
    assert earlier is not first


def test_stored_holdings_without_weights_give_equal_weighted_figures() -> None:
    index = tiny_index()
    unweighted = Holdings(
        index="tiny",
        members=tuple(Member(m.ticker, m.name, m.sector, None) for m in index.holdings.members),
        as_of=None,
        origin="pytickersymbols",
    )
    stored = StoredHoldings(unweighted, None)
    assert stored.holdings.has_weights is False
    prices = IndexPrices(
        spec=index.spec,
        holdings=unweighted,
        note=None,
        dates=index.dates,
        prices=index.prices,
        weights=np.full(4, NAN),
        sectors=index.sectors,
        codes=index.codes,
    )
    figures = index_members(prices, SESSION)
    assert figures.cap_weighted is False
    assert figures.top_vs_rest["1D"].top_cap is None
    assert figures.index_return["1D"] == pytest.approx((10 - 10 + 5 + 20) / 4)
    # No contributions without weights; the biggest moves are still there.
    assert figures.movers["1D"].top == ()
    assert [c.ticker for c in figures.movers["1D"].gainers] == ["NEW", "BIG", "SOLO"]


def test_a_session_after_the_members_data_has_no_figures_and_says_why() -> None:
    figures = index_members(tiny_index(), date(2026, 1, 15))
    assert figures.with_data == 0
    assert figures.sectors == ()
    assert figures.top_vs_rest["1D"].top_cap is None
    assert figures.note is not None
    assert f"Member closes end {SESSION.isoformat()}" in figures.note


@given(
    st.lists(
        st.tuples(
            st.floats(0.01, 20.0),  # weight
            st.floats(-50.0, 50.0),  # return
            st.integers(0, 3),  # sector
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 10),
)
def test_groups_and_contributions_recombine_into_the_index_return(
    members: list[tuple[float, float, int]], n: int
) -> None:
    weights = np.array([m[0] for m in members])
    returns = np.array([m[1] for m in members])
    codes = np.array([m[2] for m in members])
    index = analytics.cap_weighted(weights, returns)
    assert index is not None

    # Contributions add up to the index's return.
    assert analytics.contributions(weights, returns).sum() == pytest.approx(index, abs=1e-9)
    # The top N and the rest, weighted by their total weight, give the index back.
    top_cap, rest_cap, _, _ = analytics.split_returns(weights, returns, n)
    top = analytics.top_members(weights, n)
    parts = (top_cap or 0.0) * weights[top].sum() + (rest_cap or 0.0) * weights[~top].sum()
    assert parts / weights.sum() == pytest.approx(index, abs=1e-9)
    # So do the sectors.
    cap, _ = analytics.grouped_returns(codes, 4, weights, returns)
    sector_weights = np.bincount(codes, weights=weights, minlength=4)
    recombined = np.nansum(cap * sector_weights) / weights.sum()
    assert recombined == pytest.approx(index, abs=1e-9)
