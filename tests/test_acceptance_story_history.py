"""The story weighed by history on real closes (../shared/market-data; skipped when absent).

Ranks and participation counts are recomputed from the CSV files by ``tests.history_oracle``,
apart from ``briefings.history``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings import snapshot_history
from briefings.model import Briefing, Fact
from briefings.render.selection import select_summary
from briefings.render.templates import fact_words
from briefings.render.views import render_summary
from briefings.service import MarketService
from briefings.story import takeaways
from tests.history_oracle import beaten_since_low, month_spreads, rank_of, read_close
from tests.test_story import assert_numbers_are_figures

pytestmark = pytest.mark.market_data

NOVEMBER_END = date(2025, 11, 28)
RALLY_DAY = date(2025, 12, 11)
RANK_SINCE = pd.Timestamp("2000-01-01")


def facts_by_id(briefing: Briefing) -> dict[str, Fact]:
    assert briefing.story is not None
    return {fact.id: fact for fact in briefing.story.takeaways}


def oracle_rank(folder: Path, lead: str, lag: str, day: date) -> tuple[int, float, date | None]:
    """Return (N, share %, widest since) of the pair's 1M spread since 2000, in its direction."""
    spreads = month_spreads(read_close(folder, lead), read_close(folder, lag))[RANK_SINCE:]
    if spreads[pd.Timestamp(day)] < 0:
        spreads = -spreads  # a lag ranks among the lows
    return rank_of(spreads, day)


def assert_rank_figures(fact: Fact, oracle: tuple[int, float, date | None]) -> None:
    observations, share, widest_since = oracle
    assert fact.figures["history_n"] == observations
    assert fact.figures["history_share_pct"] == max(1, round(share))
    assert widest_since is not None
    assert fact.figures["widest_since_year"] == widest_since.year


def test_november_28_summary_leads_with_value_over_growth_and_momentum_lag(
    real_service: MarketService, market_data_dir: Path
) -> None:
    briefing = real_service.snapshot(as_of=NOVEMBER_END).briefing
    assert briefing.story is not None
    verdict = fact_words(briefing.story.verdict)
    assert verdict.startswith("Broadening from today: value +4.6 pp, cyclicals +4.3 pp")
    assert briefing.story.verdict.figures["regime_sessions"] == 1

    facts = facts_by_id(briefing)
    value, momentum = facts["value_vs_growth_month"], facts["momentum_vs_market_month"]
    assert value.figures["spread_pp"] == 4.6
    assert momentum.figures["spread_pp"] == -2.5
    value_rank = oracle_rank(market_data_dir, "IWD", "IWF", NOVEMBER_END)
    assert_rank_figures(value, value_rank)
    assert value_rank[2] == date(2025, 4, 4)
    assert fact_words(value).endswith("by 4.6 pp over the month, widest since Apr 2025")
    assert_rank_figures(momentum, oracle_rank(market_data_dir, "MTUM", "SPY", NOVEMBER_END))

    # The month's rotation outranks a single sector's breadth, and both reach the summary.
    ids = list(facts)
    assert ids.index("value_vs_growth_month") < ids.index("sector_breadth")
    assert ids.index("momentum_vs_market_month") < ids.index("sector_breadth")
    shown = select_summary(briefing).ids
    assert {"value_vs_growth_month", "momentum_vs_market_month"} <= set(shown)
    for language, words in (("en", "Value beat growth by 4.6 pp"), ("zh", "价值股跑赢成长股 4.6")):
        assert words in " ".join(render_summary(briefing, "text", language).split())
    for fact in facts.values():
        assert_numbers_are_figures(fact)


def test_december_11_cyclicals_before_sector_breadth_and_small_caps_participation(
    real_service: MarketService, market_data_dir: Path
) -> None:
    briefing = real_service.snapshot(as_of=RALLY_DAY).briefing
    facts = facts_by_id(briefing)
    ids = list(facts)
    # Cyclicals over mega-cap tech, a rare month, ranks before a single sector's breadth.
    assert "cyclicals_vs_mega_cap_tech_month" in ids
    if "sector_breadth" in ids:
        assert ids.index("cyclicals_vs_mega_cap_tech_month") < ids.index("sector_breadth")
    cyclicals = facts["cyclicals_vs_mega_cap_tech_month"]
    assert cyclicals.figures["spread_pp"] == 6.5

    since_low = facts["since_low_vs_spy"]
    low_day, sessions, beaten = beaten_since_low(
        read_close(market_data_dir, "IWM"),
        read_close(market_data_dir, "SPY"),
        read_close(market_data_dir, "^GSPC"),
        RALLY_DAY,
    )
    assert low_day == date(2025, 11, 20)
    assert (since_low.figures["beaten_sessions"], since_low.figures["sessions_since_low"]) == (
        beaten,
        sessions,
    )
    assert (beaten, sessions) == (11, 14)
    assert fact_words(since_low).endswith("small caps beat the S&P 500 on 11 of the 14 sessions")
    assert "小盘股有11个跑赢标普500" in fact_words(since_low, "zh")
    for fact in facts.values():
        assert_numbers_are_figures(fact)


def month_return(folder: Path, ticker: str, day: date) -> float:
    """Return 100 * (close on ``day`` / last close on or before a calendar month earlier - 1)."""
    closes = read_close(folder, ticker)
    base = closes.asof(pd.Timestamp(day) - pd.DateOffset(months=1))
    return float(100 * (closes[pd.Timestamp(day)] / base - 1))


def test_november_28_factors_say_what_the_data_says(
    real_service: MarketService, market_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Low volatility (SPLV), not value, led the factors over the month; momentum came last.
    monkeypatch.setattr("briefings.story.MAX_TAKEAWAYS", 20)  # every fact that passes
    snapshot = real_service.snapshot(as_of=NOVEMBER_END)
    told = {t.id: t for t in takeaways(snapshot.briefing, snapshot_history(snapshot))}
    factors = told["factors_month"]
    returns = {
        ticker: round(month_return(market_data_dir, ticker, NOVEMBER_END), 1)
        for ticker in ("SPLV", "IWD", "MTUM", "IWF", "SPY")
    }
    assert returns["SPLV"] > returns["IWD"]
    assert returns["MTUM"] < returns["IWF"]
    assert factors.figures == {
        "best_pct": returns["SPLV"],
        "worst_pct": returns["MTUM"],
        "benchmark_pct": returns["SPY"],
    }
    assert fact_words(factors) == (
        "Low volatility beat every other factor over the past month (+2.2%);"
        " momentum trailed them all (-3.0%); the S&P 500 -0.5%"
    )
    assert fact_words(factors, "zh").startswith("近一个月低波动跑赢其他所有因子")
    assert_numbers_are_figures(factors)
