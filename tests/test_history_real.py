"""Acceptance: history figures on the real closes, checked against an independent recomputation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings import HistoryBook, MarketService, snapshot_factors, snapshot_history
from tests.history_oracle import analog_count, beaten_since_low, month_spreads, rank_of, read_close
from tests.real_data import MARKET_DATA

NOVEMBER_END = date(2025, 11, 28)
RALLY_DAY = date(2025, 12, 11)


@pytest.fixture(scope="module")
def book(real_service: MarketService) -> HistoryBook:
    return snapshot_history(real_service.snapshot(as_of=NOVEMBER_END))


@pytest.fixture(scope="module")
def value_vs_growth(real_service: MarketService) -> pd.Series:
    return month_spreads(read_close(MARKET_DATA, "IWD"), read_close(MARKET_DATA, "IWF"))


def test_value_lead_over_growth_and_its_rank_match_the_independent_count(
    book: HistoryBook, value_vs_growth: pd.Series
) -> None:
    rank = book.rank("IWD", "IWF", "1M", NOVEMBER_END)
    assert rank is not None
    observations, top_share, widest_since = rank_of(value_vs_growth, NOVEMBER_END)
    assert rank.value == pytest.approx(value_vs_growth[pd.Timestamp(NOVEMBER_END)], abs=1e-9)
    assert round(rank.value, 2) == 4.55
    assert rank.observations == observations
    assert rank.top_share == pytest.approx(top_share)
    assert rank.widest_since == widest_since
    assert rank.sample_start == value_vs_growth.index[0].date()
    assert rank.direction == "lead"


def test_value_analogs_match_the_independent_count(
    book: HistoryBook, value_vs_growth: pd.Series, market_data_dir: Path
) -> None:
    found = book.analogs("IWD", "IWF", NOVEMBER_END, threshold=4.0)
    assert found is not None
    count, hits = analog_count(
        value_vs_growth,
        read_close(market_data_dir, "IWD"),
        read_close(market_data_dir, "IWF"),
        NOVEMBER_END,
        4.0,
    )
    assert (found.count, found.hits) == (count, hits)
    listed = found.as_json()["episodes"]
    assert isinstance(listed, list)
    assert len(listed) == count
    assert all(episode.outcome_end <= NOVEMBER_END for episode in found.episodes)


def test_small_caps_beat_the_sp500_on_most_sessions_since_the_low(
    real_service: MarketService, market_data_dir: Path
) -> None:
    book = snapshot_history(real_service.snapshot(as_of=RALLY_DAY))
    beaten = book.beaten_since_low("IWM", "SPY", RALLY_DAY)
    low_day, sessions, won = beaten_since_low(
        read_close(market_data_dir, "IWM"),
        read_close(market_data_dir, "SPY"),
        read_close(market_data_dir, "^GSPC"),
        RALLY_DAY,
    )
    assert (beaten.start, beaten.sessions, beaten.beaten) == (low_day, sessions, won)
    assert beaten.beaten > beaten.sessions / 2


def test_the_default_regime_is_the_story_verdict_session_by_session(
    real_service: MarketService,
) -> None:
    sessions = [date(2025, 11, 26), NOVEMBER_END, date(2025, 12, 8), RALLY_DAY]
    book = snapshot_history(real_service.snapshot(as_of=RALLY_DAY))
    regimes = book.regimes()
    for session in sessions:
        story = real_service.snapshot(as_of=session).briefing.story
        assert story is not None
        assert regimes[pd.Timestamp(session)] == story.verdict.id, session
    age = book.regime_age(NOVEMBER_END)
    assert age is not None
    assert (age.regime, age.since) == ("broadening", NOVEMBER_END)
    assert age.past
    assert age.past[0].end < NOVEMBER_END


def test_the_factor_board_ranks_momentum_below_the_sp500_over_the_month(
    real_service: MarketService,
) -> None:
    board = snapshot_factors(real_service.snapshot(as_of=NOVEMBER_END))
    assert board.missing == ()
    momentum = next(line for line in board.lines if line.factor == "momentum")
    assert round(momentum.spread["1M"] or 0.0, 2) == -2.45
    ranks = sorted(line.rank["1M"] or 0 for line in board.lines)
    assert ranks == list(range(1, len(board.lines) + 1))
