"""Relative rotation: weekly closes, z-scored RS-Ratio / RS-Momentum by hand, holds, invariants."""

from __future__ import annotations

import itertools
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.rrg import (
    hold,
    quadrant,
    relative_rotation,
    rolling_zscore,
    rrg_tail,
    rs_ratio_momentum,
    session_rotations,
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


def test_rolling_zscore_by_hand() -> None:
    scores = rolling_zscore(np.array([[1.0], [2.0], [4.0], [4.0], [4.0]]), 3)
    # [1, 2, 4]: mean 7/3, sd sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2) = sqrt(7/3);
    #   z = (5/3) / sqrt(7/3) = 5 / sqrt(21).
    # [2, 4, 4]: mean 10/3, sd sqrt(((4/3)^2 + 2 (2/3)^2) / 2) = sqrt(4/3); z = 1 / sqrt(3).
    # [4, 4, 4]: no spread, neutral: 0.
    assert np.isnan(scores[:2, 0]).all()
    assert scores[2:, 0].tolist() == pytest.approx([5 / math.sqrt(21), 1 / math.sqrt(3), 0.0])


def test_rolling_zscore_needs_a_full_window_without_gaps() -> None:
    scores = rolling_zscore(np.array([[1.0], [3.0], [NAN], [5.0], [7.0], [9.0]]), 2)
    # Two values a, b: z = (b - (a + b) / 2) / (|b - a| / sqrt(2)) = 1 / sqrt(2) when rising.
    assert scores[[1, 4, 5], 0].tolist() == pytest.approx([1 / math.sqrt(2)] * 3)
    assert np.isnan(scores[[0, 2, 3], 0]).all()
    with pytest.raises(ValueError, match="window"):
        rolling_zscore(np.ones((3, 1)), 1)


def test_rs_ratio_and_momentum_by_hand() -> None:
    legs = weekly_frame(A=[1.0, 2.0, 4.0, 4.0, 4.0])
    bench = weekly_frame(SPY=[1.0] * 5)
    ratio, momentum = rs_ratio_momentum(legs, bench, window=3)
    # RS = 100, 200, 400, 400, 400: the z-scores above (a z-score ignores the scale), so
    # RS-Ratio = -, -, 100 + 5/sqrt(21), 100 + 1/sqrt(3), 100.
    a, b = 5 / math.sqrt(21), 1 / math.sqrt(3)
    assert ratio["A"].iloc[:2].isna().all()
    assert ratio["A"].iloc[2:].tolist() == pytest.approx([100 + a, 100 + b, 100.0])
    # RS-Momentum needs three RS-Ratios: the last week's window is (a, b, 0) above 100:
    # mean m = (a + b) / 3, sd = sqrt(((a - m)^2 + (b - m)^2 + m^2) / 2), z = -m / sd.
    m = (a + b) / 3
    sd = math.sqrt(((a - m) ** 2 + (b - m) ** 2 + m**2) / 2)
    assert momentum["A"].iloc[:4].isna().all()
    assert momentum["A"].iloc[4] == pytest.approx(100 - m / sd)
    assert momentum["A"].iloc[4] == pytest.approx(98.98114, abs=1e-5)


def test_rs_ratio_momentum_pairs_columns_by_position() -> None:
    legs = weekly_frame(A=[1.0, 2.0, 4.0], B=[5.0, 5.0, 5.0])
    benches = weekly_frame(X=[1.0, 1.0, 1.0], Y=[5.0, 10.0, 20.0])
    ratio, _ = rs_ratio_momentum(legs, benches, window=3)
    assert list(ratio.columns) == ["A", "B"]
    # B/Y halves each week: RS 100, 50, 25, mean 175/3, sd sqrt(((125/3)^2 + (25/3)^2 +
    # (100/3)^2) / 2) = sqrt(4375/3); z = -(100/3) / sqrt(4375/3) = -4 / sqrt(21).
    assert ratio["B"].iloc[-1] == pytest.approx(100 - 4 / math.sqrt(21))
    assert ratio["A"].iloc[-1] == pytest.approx(100 + 5 / math.sqrt(21))


def test_a_point_at_each_session_uses_that_sessions_partial_week() -> None:
    leg, bench = random_walk(260, seed=8), random_walk(260, seed=9)
    as_of = date(2025, 11, 26)  # a Wednesday: the last week is partial
    days, ratios, momenta = session_rotations(leg.to_frame(), bench.to_frame(), as_of, 12)
    assert len(days) == 12
    assert days[-1] == pd.Timestamp(as_of)
    for day, ratio, momentum in zip(days, ratios[:, 0], momenta[:, 0], strict=True):
        daily = pd.concat([leg, bench], axis=1, keys=["leg", "bench"])
        weekly = weekly_closes(daily, day)
        expected_ratio, expected_momentum = rs_ratio_momentum(weekly[["leg"]], weekly[["bench"]])
        assert ratio == pytest.approx(expected_ratio["leg"].iloc[-1])
        assert momentum == pytest.approx(expected_momentum["leg"].iloc[-1])


@pytest.mark.parametrize(
    ("path", "held", "settled"),
    [
        (["Leading", "Leading", "Weakening"], 1, "Leading"),  # one session is not a hold yet
        (["Leading", "Leading", "Weakening", "Weakening"], 2, "Weakening"),
        (["Lagging", "Lagging", "Leading", "Weakening", "Leading"], 1, "Lagging"),  # a wiggle
        (["Leading", "Weakening", "Leading"], 1, None),  # no two sessions alike in view
        (["Improving"] * 5, 5, "Improving"),
        ([None, "Leading", "Leading"], 2, "Leading"),
        (["Leading", "Leading", None], 0, "Leading"),
        ([], 0, None),
    ],
)
def test_hold_counts_the_run_and_names_the_settled_quadrant(
    path: list[str | None], held: int, settled: str | None
) -> None:
    assert hold(path, 2) == (held, settled)


def test_hold_with_a_longer_threshold() -> None:
    path = ["Lagging", "Lagging", "Lagging", "Improving", "Improving"]
    assert hold(path, 3) == (2, "Lagging")
    assert hold([*path, "Improving"], 3) == (3, "Improving")


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
    index = pd.bdate_range("2025-03-03", "2025-04-04")  # five full weeks, Fridays 7 Mar..4 Apr
    leg = pd.Series(1.0, index=index)
    leg[index >= pd.Timestamp("2025-03-10")] = 2.0
    leg[index >= pd.Timestamp("2025-03-17")] = 4.0
    bench = pd.Series(1.0, index=index)
    tail = rrg_tail(leg, bench, date(2025, 4, 4), 5, window=3)
    # Weekly closes 1, 2, 4, 4, 4: the hand computation above; only the last week is defined,
    # at RS-Ratio 100 (flat) and RS-Momentum 98.98: Weakening.
    assert [(p.week_end, p.quadrant) for p in tail] == [(date(2025, 4, 4), "Weakening")]
    assert tail[0].rs_ratio == pytest.approx(100.0)
    assert tail[0].rs_momentum == pytest.approx(98.98114, abs=1e-5)
    assert rrg_tail(leg, bench, date(2025, 4, 4), 1, window=3) == tail


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
    bench = random_walk(120, seed=4)  # 24 weeks: the default needs 2 * 14 - 1 = 27
    assert relative_rotation(random_walk(120, seed=5), bench, date(2025, 11, 28)) is None


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


def test_a_one_session_drop_is_a_new_quadrant_that_has_not_held_yet() -> None:
    index = pd.bdate_range(end="2025-11-26", periods=200)
    # Relative strength steps up 1 % every Monday: every session sees the same geometric weekly
    # series, so RS-Ratio stays at one value above 100 and RS-Momentum flat at 100 (no spread):
    # Leading throughout.
    first_monday = index[0] - pd.Timedelta(days=index[0].weekday())
    weeks = (index - first_monday).days // 7
    leg = pd.Series(1.01 ** np.asarray(weeks, dtype=float), index=index)
    bench = pd.Series(1.0, index=index)
    before = relative_rotation(leg, bench, date(2025, 11, 25))
    assert before is not None
    assert before.rs_ratio > 100
    assert before.rs_momentum == pytest.approx(100.0)
    assert (before.quadrant, before.held_sessions) == ("Leading", 21)
    assert before.settled_quadrant == "Leading"
    leg.iloc[-1] *= 0.9  # a 10 % drop on the last session
    after = relative_rotation(leg, bench, date(2025, 11, 26))
    assert after is not None
    assert after.quadrant != "Leading"
    assert (after.held_sessions, after.settled_quadrant) == (1, "Leading")
