"""Relative rotation: weekly closes, RS-Ratio / RS-Momentum by hand, quadrants and invariants."""

from __future__ import annotations

import itertools
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.rrg import (
    quadrant,
    relative_rotation,
    rolling_mean,
    rrg_tail,
    rs_ratio_momentum,
    weekly_closes,
)
from briefings.model import QUADRANTS

NAN = float("nan")

# Mon 7 Apr .. Wed 23 Apr 2025 without Good Friday (18 Apr): weeks end Fri 11, Thu 17, Wed 23.
SESSIONS = pd.bdate_range("2025-04-07", "2025-04-23").drop(pd.DatetimeIndex(["2025-04-18"]))


def weekly_frame(**columns: list[float]) -> pd.DataFrame:
    """Return weekly closes dated by consecutive Fridays from 3 Jan 2025."""
    length = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=pd.date_range("2025-01-03", periods=length, freq="W-FRI"))


def test_weekly_closes_take_each_weeks_last_close_dated_by_its_last_session() -> None:
    daily = pd.DataFrame(
        {"A": np.arange(1.0, len(SESSIONS) + 1), "B": 10.0}, index=SESSIONS
    ).astype(float)
    daily.loc["2025-04-11", "B"] = NAN  # B's week-one value is Thursday's close
    daily.loc["2025-04-10", "B"] = 7.0
    weekly = weekly_closes(daily, date(2025, 4, 23))
    assert list(weekly.index) == list(pd.DatetimeIndex(["2025-04-11", "2025-04-17", "2025-04-23"]))
    assert weekly["A"].tolist() == [5.0, 9.0, 12.0]
    assert weekly["B"].tolist() == [7.0, 10.0, 10.0]


def test_weekly_closes_count_the_partial_week_and_stop_at_as_of() -> None:
    daily = pd.DataFrame({"A": np.arange(1.0, len(SESSIONS) + 1)}, index=SESSIONS)
    weekly = weekly_closes(daily, date(2025, 4, 15))  # a Tuesday
    assert weekly.index[-1] == pd.Timestamp("2025-04-15")
    assert weekly["A"].tolist() == [5.0, 7.0]


def test_weekly_closes_keep_only_the_last_weeks() -> None:
    daily = pd.DataFrame({"A": np.arange(1.0, len(SESSIONS) + 1)}, index=SESSIONS)
    assert weekly_closes(daily, date(2025, 4, 23), weeks=2)["A"].tolist() == [9.0, 12.0]


def test_rolling_mean_needs_a_full_window() -> None:
    means = rolling_mean(np.array([[1.0], [3.0], [NAN], [5.0], [7.0]]), 2)
    assert means[[1, 4], 0].tolist() == [2.0, 6.0]
    assert np.isnan(means[[0, 2, 3], 0]).all()


def test_rs_ratio_and_momentum_by_hand() -> None:
    legs = weekly_frame(A=[1.0, 2.0, 4.0, 4.0])
    bench = weekly_frame(SPY=[1.0, 1.0, 1.0, 1.0])
    ratio, momentum = rs_ratio_momentum(legs, bench, ratio_weeks=2, momentum_weeks=2)
    # RS = 100, 200, 400, 400; SMA2(RS) = -, 150, 300, 400.
    # RS-Ratio = -, 133.33, 133.33, 100; SMA2(RS-Ratio) = -, -, 133.33, 116.67.
    # RS-Momentum = -, -, 100, 100 * 100 / 116.67 = 85.71.
    assert math.isnan(ratio["A"].iloc[0])
    assert ratio["A"].iloc[1:].tolist() == pytest.approx([400 / 3, 400 / 3, 100.0])
    assert momentum["A"].iloc[:2].isna().all()
    assert momentum["A"].iloc[2:].tolist() == pytest.approx([100.0, 100 * 100 / (350 / 3)])


def test_rs_ratio_momentum_pairs_columns_by_position() -> None:
    legs = weekly_frame(A=[1.0, 2.0, 4.0], B=[5.0, 5.0, 5.0])
    benches = weekly_frame(X=[1.0, 1.0, 1.0], Y=[5.0, 10.0, 20.0])
    ratio, _ = rs_ratio_momentum(legs, benches, ratio_weeks=2, momentum_weeks=2)
    assert list(ratio.columns) == ["A", "B"]
    # B/Y halves each week: RS 100, 50, 25 -> RS-Ratio 25 / 37.5 = 66.67 on the last week.
    assert ratio["B"].iloc[-1] == pytest.approx(100 * 25 / 37.5)
    assert ratio["A"].iloc[-1] == pytest.approx(100 * 400 / 300)


@pytest.mark.parametrize(
    ("ratio", "momentum", "expected"),
    [
        (101.0, 101.0, "Leading"),
        (100.0, 100.0, "Leading"),
        (101.0, 99.0, "Weakening"),
        (100.0, 99.9, "Weakening"),
        (99.0, 99.0, "Lagging"),
        (99.0, 100.0, "Improving"),
    ],
)
def test_quadrants(ratio: float, momentum: float, expected: str) -> None:
    assert quadrant(ratio, momentum) == expected


def test_rrg_tail_points_by_hand_with_short_windows() -> None:
    index = pd.bdate_range("2025-03-03", "2025-03-28")  # four full weeks, Fridays 7..28 Mar
    leg = pd.Series(1.0, index=index)
    leg[index >= pd.Timestamp("2025-03-10")] = 2.0
    leg[index >= pd.Timestamp("2025-03-17")] = 4.0
    bench = pd.Series(1.0, index=index)
    tail = rrg_tail(leg, bench, date(2025, 3, 28), 4, ratio_weeks=2, momentum_weeks=2)
    # Weekly closes 1, 2, 4, 4: as in the hand computation above; the first two weeks are undefined.
    assert [(p.week_end, p.quadrant) for p in tail] == [
        (date(2025, 3, 21), "Leading"),
        (date(2025, 3, 28), "Weakening"),
    ]
    assert [p.rs_ratio for p in tail] == pytest.approx([400 / 3, 100.0])
    assert [p.rs_momentum for p in tail] == pytest.approx([100.0, 600 / 7])
    assert rrg_tail(leg, bench, date(2025, 3, 28), 1, ratio_weeks=2, momentum_weeks=2) == tail[1:]


def test_rrg_tail_rejects_an_empty_tail() -> None:
    index = pd.bdate_range("2025-03-03", "2025-03-28")
    series = pd.Series(1.0, index=index)
    with pytest.raises(ValueError, match="weeks"):
        rrg_tail(series, series, date(2025, 3, 28), 0)


def random_walk(length: int, seed: int) -> pd.Series:
    """Return daily closes over ``length`` weekdays ending 28 Nov 2025."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(end="2025-11-28", periods=length)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, length))), index=index)


def test_a_leg_proportional_to_its_benchmark_sits_at_the_centre() -> None:
    bench = random_walk(200, seed=1)
    rotation = relative_rotation(bench * 3.0, bench, date(2025, 11, 28))
    assert rotation is not None
    assert rotation.rs_ratio == pytest.approx(100.0)
    assert rotation.rs_momentum == pytest.approx(100.0)


def test_scaling_the_leg_leaves_its_rotation_unchanged() -> None:
    leg, bench = random_walk(300, seed=2), random_walk(300, seed=3)
    as_of = date(2025, 11, 26)
    scaled, plain = rrg_tail(leg * 12.5, bench, as_of, 8), rrg_tail(leg, bench, as_of, 8)
    assert len(plain) == 8
    assert [(p.week_end, p.quadrant) for p in scaled] == [(p.week_end, p.quadrant) for p in plain]
    assert [p.rs_ratio for p in scaled] == pytest.approx([p.rs_ratio for p in plain])
    assert [p.rs_momentum for p in scaled] == pytest.approx([p.rs_momentum for p in plain])


def test_relative_rotation_is_none_with_too_little_history() -> None:
    bench = random_walk(60, seed=4)  # twelve weeks: the default needs 10 + 4 - 1 = 13
    assert relative_rotation(random_walk(60, seed=5), bench, date(2025, 11, 28)) is None


def test_a_cycling_relative_strength_rotates_clockwise() -> None:
    weeks = 160
    cycle = 1 + 0.05 * np.sin(2 * np.pi * np.arange(weeks) / 26)
    legs = weekly_frame(A=list(100 * cycle))
    bench = weekly_frame(SPY=[100.0] * weeks)
    ratio, momentum = rs_ratio_momentum(legs, bench)
    visited = [
        quadrant(r, m)
        for r, m in zip(ratio["A"], momentum["A"], strict=True)
        if np.isfinite(r) and np.isfinite(m)
    ]
    moves = [(a, b) for a, b in itertools.pairwise(visited) if a != b]
    clockwise = {(QUADRANTS[i], QUADRANTS[(i + 1) % 4]) for i in range(4)}
    assert len(moves) >= 16  # at least four full turns
    assert set(moves) == clockwise
