"""History on small made-up series: the rank rule, analogs, regimes and participation."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.returns import base_rows, window_base_date
from briefings.history.analogs import analogs
from briefings.history.book import HistoryBook
from briefings.history.participation import sessions_beaten
from briefings.history.rank import rank_in_history
from briefings.history.regime import (
    ROWS_FOR_ONE_PASS,
    KeyPairHistory,
    per_session,
    regime_age,
    trailing_medians,
    verdict_regimes,
)
from briefings.universe import load_universe
from briefings.windows import WINDOWS

SESSIONS = pd.bdate_range("2022-01-03", "2024-12-31")


@pytest.mark.parametrize("window", WINDOWS)
def test_every_base_row_is_the_one_a_single_session_would_use(window: str) -> None:
    rows = base_rows(SESSIONS, window)
    for position in range(0, len(SESSIONS), 11):
        base = window_base_date(SESSIONS, SESSIONS[position], window)
        assert rows[position] == (-1 if base is None else SESSIONS.get_loc(base))


def test_rank_counts_the_sample_up_to_the_day_and_names_the_last_wider_one() -> None:
    figure = pd.Series([1.0, 5.0, 2.0, np.nan, 3.0, 9.0], index=SESSIONS[:6])
    rank = rank_in_history(figure, SESSIONS[4].date())
    assert rank is not None
    assert (rank.observations, rank.direction) == (4, "lead")
    assert rank.top_share == pytest.approx(50.0)  # 5 and 3 of 1, 5, 2, 3
    assert rank.widest_since == SESSIONS[1].date()
    assert rank_in_history(figure, SESSIONS[3].date()) is None
    record = rank_in_history(figure, SESSIONS[5].date())
    assert record is not None
    assert record.is_extreme
    assert record.top_share == pytest.approx(100 / 5)


def test_a_lag_ranks_among_the_lows() -> None:
    figure = pd.Series([-1.0, -4.0, 2.0, -3.0], index=SESSIONS[:4])
    rank = rank_in_history(figure, SESSIONS[3].date())
    assert rank is not None
    assert rank.direction == "lag"
    assert rank.bottom_share == pytest.approx(50.0)
    assert rank.widest_since == SESSIONS[1].date()


def test_members_figures_rank_only_since_2023() -> None:
    figure = pd.Series(np.arange(len(SESSIONS), dtype=float), index=SESSIONS)
    rank = rank_in_history(figure, SESSIONS[-1].date(), members=True)
    assert rank is not None
    assert rank.members_sample
    assert rank.sample_start == date(2023, 1, 2)
    assert rank.observations == len(SESSIONS[SESSIONS.year >= 2023])


def _legs(days: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    index = pd.bdate_range("2000-01-03", periods=days)
    lead = pd.Series(100.0 * 1.001 ** np.arange(days), index=index)
    lag = pd.Series(100.0, index=index)
    figure = pd.Series(5.0, index=index)  # every session qualifies
    return figure, lead, lag


def test_analogs_are_a_month_apart_with_known_outcomes_and_need_eight() -> None:
    figure, lead, lag = _legs(260)
    found = analogs(figure, lead, lag, figure.index[-1], threshold=4.0)
    assert found is not None
    dates = [episode.session for episode in found.episodes]
    assert all(
        later >= (pd.Timestamp(earlier) + pd.DateOffset(months=1)).date()
        for earlier, later in itertools.pairwise(dates)
    )
    assert all(episode.outcome_end <= figure.index[-1].date() for episode in found.episodes)
    assert found.hits == found.count  # the lead kept rising
    short_figure, short_lead, short_lag = _legs(200)
    assert analogs(short_figure, short_lead, short_lag, short_figure.index[-1], 4.0) is None


def test_the_vectorised_verdict_agrees_with_a_per_session_rule() -> None:
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2024-01-01", periods=300)
    spreads = pd.DataFrame(rng.normal(0, 2, (300, 4)), index=index, columns=list("ABCD"))
    spreads.iloc[::17, 2] = np.nan
    typicals = pd.DataFrame(rng.uniform(0.5, 4, (300, 4)), index=index, columns=list("ABCD"))

    def one(pairs: Mapping[str, tuple[float | None, float | None]]) -> str:
        leans = []
        for spread, typical in pairs.values():
            if spread is None:
                continue
            big = typical is None or abs(spread) / typical >= 0.5
            leans.append(1 if spread >= 1 and big else -1 if spread <= -1 and big else 0)
        broad, narrow = leans.count(1), leans.count(-1)
        if len(leans) < 3:
            return "no_verdict"
        if broad >= 3 and not narrow:
            return "broadening"
        if narrow >= 3 and not broad:
            return "narrow"
        return "mixed"

    history = KeyPairHistory(spreads=spreads, typicals=typicals)
    vectorised = verdict_regimes(history)
    assert vectorised.tolist() == per_session(one)(history).tolist()
    assert {"broadening", "narrow", "mixed"} <= set(vectorised)


def test_the_regime_age_counts_its_run_and_lists_the_runs_before() -> None:
    labels = pd.Series(["mixed", "mixed", "broadening", "broadening", "broadening"], SESSIONS[:5])
    age = regime_age(labels, SESSIONS[4].date())
    assert age is not None
    assert (age.regime, age.since, age.sessions) == ("broadening", SESSIONS[2].date(), 3)
    assert [(run.regime, run.sessions) for run in age.past] == [("mixed", 2)]


def test_participation_counts_the_sessions_after_the_start() -> None:
    legs = pd.DataFrame(
        {"A": [100, 102, 101, 105, 106.0], "B": [100, 101, 102, 103, 104.0]}, index=SESSIONS[:5]
    )
    beaten = sessions_beaten(legs, "A", "B", SESSIONS[0].date(), SESSIONS[4].date())
    assert (beaten.sessions, beaten.beaten) == (4, 2)


def test_a_book_takes_any_classifier_and_keeps_each_figure_once() -> None:
    index = pd.bdate_range("2024-01-01", periods=120)
    closes = pd.DataFrame(
        {ticker: 100.0 * 1.001 ** np.arange(120) for ticker in ("IWM", "SPY", "RSP", "IWD", "IWF")},
        index=index,
    )
    book = HistoryBook(closes, load_universe(), "v1")

    def calm(history: KeyPairHistory) -> pd.Series:
        return pd.Series("calm", index=history.spreads.index, dtype=object)

    age = book.regime_age(index[-1].date(), classify=calm)
    assert age is not None
    assert (age.regime, age.sessions, age.since) == ("calm", 120, index[0].date())
    assert book.spread("IWD", "IWF", "1M") is book.spread("IWD", "IWF", "1M")
    default = book.regime_age(index[-1].date())
    assert default is not None
    assert default.regime == "mixed"  # no pair leans: every leg rose alike


@pytest.mark.parametrize("seed", range(8))
def test_trailing_medians_row_by_row_equal_the_rolling_pass_bit_for_bit(seed: int) -> None:
    # A few rows are taken one by one, many in one pass of pandas' rolling median: the same
    # order statistics and the same mean of the middle two, so the same bits either way.
    rng = np.random.default_rng(seed)
    values = np.round(np.abs(rng.standard_normal(3_000)) * 10.0 ** rng.integers(-2, 3), 2)
    values[: rng.integers(0, 300)] = np.nan  # a history that starts late
    for _ in range(3):  # gaps, some longer than the lookback allows
        start = int(rng.integers(0, len(values)))
        values[start : start + int(rng.integers(1, 260))] = np.nan
    rows = np.sort(rng.choice(len(values), ROWS_FOR_ONE_PASS - 1, replace=False))
    expected = pd.Series(values).rolling(252, min_periods=20).median().to_numpy()[rows]
    row_by_row = trailing_medians(values, rows, 252, 20)
    np.testing.assert_array_equal(row_by_row, expected)
    assert np.isnan(row_by_row).any()
    assert np.isfinite(row_by_row).any()
