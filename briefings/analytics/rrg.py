"""Relative rotation (JdK-style RS-Ratio and RS-Momentum) on weekly closes.

The original JdK RS-Ratio and RS-Momentum formulas (Julius de Kempenaer, RRG Research) are
proprietary. This module computes a published-style approximation that keeps their meaning
(100 = neutral; RS-Ratio is the trend of relative strength, RS-Momentum its rate of change)
with a simple formulation that can be checked by hand:

    RS_t          = 100 * P_t / B_t                                 (leg price over benchmark)
    RS-Ratio_t    = 100 * RS_t / SMA_n(RS)_t                        (n = 10 weeks)
    RS-Momentum_t = 100 * RS-Ratio_t / SMA_m(RS-Ratio)_t            (m = 4 weeks)

where SMA_k(x)_t is the mean of x over the k weeks ending at t (t included), and undefined
until k weekly values exist. P and B are weekly closes: the last close of each week (Monday to
Sunday) up to the as-of session, the current partial week included, dated by the week's last
session. A point needs n + m - 1 consecutive weeks with both closes.

Quadrants: RS-Ratio >= 100 and RS-Momentum >= 100 Leading; >= 100 and < 100 Weakening;
< 100 and < 100 Lagging; < 100 and >= 100 Improving. A leg rotates clockwise through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from briefings.analytics.returns import FloatArray, last_close_rows
from briefings.model import RelativeRotation

RATIO_WEEKS = 10
MOMENTUM_WEEKS = 4

# 1970-01-01 was a Thursday: shifting day numbers by 3 makes weeks run Monday to Sunday.
_EPOCH_TO_MONDAY_DAYS = 3


@dataclass(frozen=True)
class RRGPoint:
    """A leg's weekly position on the relative rotation graph."""

    week_end: date
    rs_ratio: float
    rs_momentum: float
    quadrant: str


def quadrant(rs_ratio: float, rs_momentum: float) -> str:
    """Return the RRG quadrant of a point (100 counts as the upper / right side)."""
    if rs_ratio >= 100:
        return "Leading" if rs_momentum >= 100 else "Weakening"
    return "Improving" if rs_momentum >= 100 else "Lagging"


def weeks_needed(tail_weeks: int, ratio_weeks: int, momentum_weeks: int) -> int:
    """Return how many weekly closes a tail of ``tail_weeks`` points needs: tail + n + m - 2."""
    return tail_weeks + ratio_weeks + momentum_weeks - 2


def weekly_closes(
    closes: pd.DataFrame, as_of: date | pd.Timestamp, weeks: int | None = None
) -> pd.DataFrame:
    """Return each column's last close of every week up to ``as_of``, indexed by week end.

    The index is each week's last session in ``closes``; the as-of week may be partial. A
    column with no close in a week is NaN for it. ``weeks`` keeps only the last that many.
    """
    history = closes.loc[: pd.Timestamp(as_of)]
    if weeks is not None and not history.empty:
        last = pd.Timestamp(history.index[-1]).normalize()
        first_monday = last - pd.Timedelta(days=last.weekday() + 7 * (weeks - 1))
        history = history.loc[first_monday:]
    days = history.index.to_numpy().astype("datetime64[D]").astype(np.int64)
    week_ids = (days + _EPOCH_TO_MONDAY_DAYS) // 7
    is_week_end = np.ones(len(week_ids), dtype=bool)
    is_week_end[:-1] = week_ids[1:] != week_ids[:-1]
    week_ends = np.flatnonzero(is_week_end)
    values = history.to_numpy(dtype=float)
    close_rows = np.maximum(last_close_rows(values)[week_ends], 0)
    in_the_week = week_ids[close_rows] == week_ids[week_ends][:, np.newaxis]
    weekly = np.where(in_the_week, values[close_rows, np.arange(values.shape[1])], np.nan)
    return pd.DataFrame(weekly, index=history.index[week_ends], columns=history.columns)


def rolling_mean(values: FloatArray, window: int) -> FloatArray:
    """Return SMA_window down each column: the mean of rows t-window+1..t, NaN if any is missing."""
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    means = np.full(values.shape, np.nan)
    if len(values) >= window:
        means[window - 1 :] = sliding_window_view(values, window, axis=0).mean(axis=-1)
    return means


def rs_ratio_momentum(
    legs: pd.DataFrame,
    benches: pd.DataFrame,
    *,
    ratio_weeks: int = RATIO_WEEKS,
    momentum_weeks: int = MOMENTUM_WEEKS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return RS-Ratio and RS-Momentum of each leg column against the bench column beside it.

    ``legs`` and ``benches`` are weekly closes of equal shape; column i of the result measures
    legs column i against benches column i and takes the legs' labels. Formulas: module doc.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = 100.0 * legs.to_numpy(dtype=float) / benches.to_numpy(dtype=float)
        strength[~np.isfinite(strength)] = np.nan
        rs_ratio = 100.0 * strength / rolling_mean(strength, ratio_weeks)
        rs_momentum = 100.0 * rs_ratio / rolling_mean(rs_ratio, momentum_weeks)
    return (
        pd.DataFrame(rs_ratio, index=legs.index, columns=legs.columns),
        pd.DataFrame(rs_momentum, index=legs.index, columns=legs.columns),
    )


def tail_points(rs_ratio: pd.Series, rs_momentum: pd.Series, weeks: int) -> list[RRGPoint]:
    """Return the last ``weeks`` weekly rows as points, oldest first, skipping undefined ones."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    points: list[RRGPoint] = []
    for week_end, ratio, momentum in zip(
        rs_ratio.index[-weeks:],
        rs_ratio.to_numpy(dtype=float)[-weeks:],
        rs_momentum.to_numpy(dtype=float)[-weeks:],
        strict=True,
    ):
        if np.isfinite(ratio) and np.isfinite(momentum):
            points.append(
                RRGPoint(
                    week_end=pd.Timestamp(week_end).date(),
                    rs_ratio=float(ratio),
                    rs_momentum=float(momentum),
                    quadrant=quadrant(float(ratio), float(momentum)),
                )
            )
    return points


def latest_rotations(
    rs_ratio: pd.DataFrame, rs_momentum: pd.DataFrame
) -> list[RelativeRotation | None]:
    """Return each column's last weekly row as a RelativeRotation (None where undefined)."""
    if rs_ratio.empty:
        return [None] * rs_ratio.shape[1]
    return [
        RelativeRotation(
            rs_ratio=float(ratio), rs_momentum=float(momentum), quadrant=quadrant(ratio, momentum)
        )
        if np.isfinite(ratio) and np.isfinite(momentum)
        else None
        for ratio, momentum in zip(
            rs_ratio.to_numpy(dtype=float)[-1], rs_momentum.to_numpy(dtype=float)[-1], strict=True
        )
    ]


def _leg_lines(
    leg: pd.Series,
    bench: pd.Series,
    as_of: date | pd.Timestamp,
    weeks: int,
    ratio_weeks: int,
    momentum_weeks: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = pd.concat([leg, bench], axis=1, keys=["leg", "bench"])
    weekly = weekly_closes(daily, as_of, weeks_needed(weeks, ratio_weeks, momentum_weeks))
    return rs_ratio_momentum(
        weekly[["leg"]],
        weekly[["bench"]],
        ratio_weeks=ratio_weeks,
        momentum_weeks=momentum_weeks,
    )


def rrg_tail(
    leg: pd.Series,
    bench: pd.Series,
    as_of: date | pd.Timestamp,
    weeks: int,
    *,
    ratio_weeks: int = RATIO_WEEKS,
    momentum_weeks: int = MOMENTUM_WEEKS,
) -> list[RRGPoint]:
    """Return ``leg``'s weekly RRG points against ``bench`` over the last ``weeks`` weeks to as_of.

    ``leg`` and ``bench`` are daily closes. Oldest first; the last point is the as-of week's
    when it is defined. Weeks without a defined point are left out.
    """
    rs_ratio, rs_momentum = _leg_lines(leg, bench, as_of, weeks, ratio_weeks, momentum_weeks)
    return tail_points(rs_ratio["leg"], rs_momentum["leg"], weeks)


def relative_rotation(
    leg: pd.Series,
    bench: pd.Series,
    as_of: date | pd.Timestamp,
    *,
    ratio_weeks: int = RATIO_WEEKS,
    momentum_weeks: int = MOMENTUM_WEEKS,
) -> RelativeRotation | None:
    """Return ``leg``'s RS-Ratio, RS-Momentum and quadrant against ``bench`` in the as-of week."""
    rs_ratio, rs_momentum = _leg_lines(leg, bench, as_of, 1, ratio_weeks, momentum_weeks)
    return latest_rotations(rs_ratio, rs_momentum)[0]
