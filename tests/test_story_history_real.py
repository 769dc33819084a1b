"""The story's history facts on real closes (../shared/market-data; skipped when absent).

Analog counts, outcomes and streaks are recomputed from the CSV files by
``tests.history_oracle``, apart from ``briefings.history``.
"""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path

import pytest

from briefings.model import Briefing, Fact
from briefings.render.templates import fact_words
from briefings.render.views import render_briefing
from briefings.service import MarketService
from tests.history_oracle import analog_outcomes, month_spreads, read_close, up_run
from tests.test_story import assert_numbers_are_figures

pytestmark = pytest.mark.market_data

NOVEMBER_END = date(2025, 11, 28)
RALLY_DAY = date(2025, 12, 11)
JULY_END = date(2026, 7, 31)
CYCLICALS = ("IYT", "JETS", "XHB", "XRT", "KRE", "BOAT", "XLI", "XLF")


def history_of(briefing: Briefing) -> dict[str, Fact]:
    assert briefing.story is not None
    return {fact.id: fact for fact in briefing.story.history}


def oracle_episodes(
    folder: Path, lead: str, lag: str, day: date, threshold: float
) -> list[tuple[date, float]]:
    """Return the episodes of the pair's 1M spread reaching ``threshold`` (either sign)."""
    if threshold < 0:  # the lag's lead, measured the other way round
        lead, lag, threshold = lag, lead, -threshold
    lead_closes, lag_closes = read_close(folder, lead), read_close(folder, lag)
    spreads = month_spreads(lead_closes, lag_closes)
    return analog_outcomes(spreads, lead_closes, lag_closes, day, threshold)


def test_november_28_tells_what_followed_transports_months_as_history(
    real_service: MarketService, market_data_dir: Path
) -> None:
    briefing = real_service.snapshot(as_of=NOVEMBER_END).briefing
    fact = history_of(briefing)["analogs_transports_vs_nasdaq_100"]
    # Transports led the Nasdaq-100 by 5.1 pp: the threshold is 5 pp.
    assert fact.figures["threshold_pp"] == 5.0
    episodes = oracle_episodes(market_data_dir, "IYT", "QQQ", NOVEMBER_END, 5.0)
    outcomes = [outcome for _, outcome in episodes]
    assert fact.figures["episodes"] == len(episodes) >= 8
    assert fact.figures["hits"] == sum(outcome > 0 for outcome in outcomes)
    assert fact.figures["median_pp"] == round(statistics.median(outcomes), 1)
    assert [e.session for e in fact.episodes] == [day for day, _ in episodes]
    assert fact_words(fact).startswith(
        f"History, not a forecast: of {len(episodes)} earlier months since 2004 in which"
        " transports beat the Nasdaq-100 by 5 pp or more,"
    )
    assert fact_words(fact, "zh").startswith("历史而非预测：")
    assert_numbers_are_figures(fact)
    # JSON lists the episodes so anyone can check them; every full surface tells the fact.
    payload = json.loads(render_briefing(briefing, "json"))
    listed = {item["id"]: item for item in payload["history"]}[fact.id]
    assert [item["date"] for item in listed["episodes"]] == [d.isoformat() for d, _ in episodes]
    for language in ("en", "zh"):
        text = " ".join(render_briefing(briefing, "text", language).split())
        assert " ".join(fact_words(fact, language).split())[:40] in text


def test_a_month_too_rare_for_eight_earlier_ones_gets_no_analogs(
    real_service: MarketService, market_data_dir: Path
) -> None:
    # 2026-07-31: the market beat momentum by 12.6 pp, too rare to have 8 earlier months like
    # it; the next month pair told, value over growth by 8.6 pp, speaks instead.
    briefing = real_service.snapshot(as_of=JULY_END).briefing
    assert briefing.story is not None
    first = next(t for t in briefing.story.takeaways if t.kind == "pair_month")
    assert first.id == "momentum_vs_market_month"
    assert len(oracle_episodes(market_data_dir, "MTUM", "SPY", JULY_END, -12.0)) < 8
    told = history_of(briefing)
    assert "analogs_momentum_vs_market" not in told
    value = told["analogs_value_vs_growth"]
    episodes = oracle_episodes(market_data_dir, "IWD", "IWF", JULY_END, 8.0)
    assert value.figures["episodes"] == len(episodes)
    assert value.figures["hits"] == sum(outcome > 0 for _, outcome in episodes)


def test_cyclical_streaks_are_the_closes_own_runs(
    real_service: MarketService, market_data_dir: Path
) -> None:
    briefing = real_service.snapshot(as_of=NOVEMBER_END).briefing
    fact = history_of(briefing)["cyclical_streaks"]
    runs = {
        ticker: up_run(read_close(market_data_dir, ticker), NOVEMBER_END) for ticker in CYCLICALS
    }
    longest = sorted((run for run in runs.values() if run >= 3), reverse=True)[:3]
    assert sorted(fact.figures.values(), reverse=True) == longest
    for ticker in fact.subjects:
        assert fact.figures[f"{ticker.lower()}_up_sessions"] == runs[ticker]
    assert fact_words(fact).startswith(
        "Cyclical industries up in a row: Transports (IYT) 5 sessions"
    )
    assert_numbers_are_figures(fact)


def test_the_regime_record_names_the_runs_the_verdicts_made(real_service: MarketService) -> None:
    # 2025-12-11: broadening since Dec 10; the sessions before it carried other verdicts.
    briefing = real_service.snapshot(as_of=RALLY_DAY).briefing
    assert briefing.story is not None
    record = history_of(briefing)["regime_record"]
    assert record.subjects == (briefing.story.verdict.id,) == ("broadening",)
    before = real_service.snapshot(as_of=date(2025, 12, 9)).briefing.story
    assert before is not None
    assert before.verdict.id == "mixed"
    assert record.figures["past_1_sessions"] == 2
    assert record.figures["since_year"] == 2000
    assert record.figures["longest_sessions"] >= record.figures["median_sessions"]
    assert fact_words(record).startswith("Broadening runs since 2000: ")
    assert_numbers_are_figures(record)
