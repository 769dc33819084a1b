"""Relative rotation (JdK-style RS-Ratio and RS-Momentum) on weekly closes, volatility-normalised.

The original JdK RS-Ratio and RS-Momentum formulas (Julius de Kempenaer, RRG Research) are
proprietary. This module follows the published volatility-normalised formulation of RRG-Lite
(https://github.com/BennyThadikaran/RRG-Lite, ``RRG._calculate_rs`` and
``RRG._calculate_momentum``): each line is a z-score over the last n weeks, so a leg's distance
from 100 is measured in its own typical weekly swings and a quiet leg does not flip quadrants on
noise. With n = 14 weeks:

    RS_t          = 100 * P_t / B_t                                  (leg price over benchmark)
    RS-Ratio_t    = 100 + (RS_t - mean_n(RS)_t) / sd_n(RS)_t
    RS-Momentum_t = 100 + (RS-Ratio_t - mean_n(RS-Ratio)_t) / sd_n(RS-Ratio)_t

where mean_n(x)_t and sd_n(x)_t are the mean and the sample standard deviation (n - 1 in the
denominator) of x over the n weeks ending at t (t included), undefined until n weekly values
exist; a window with no spread (sd = 0, a leg moving exactly with its benchmark) counts as
neutral (z = 0). RRG-Lite writes RS-Momentum as the z-score of RS-Ratio's rate of change
measured from a fixed base week, 100 * (RS-Ratio_t / RS-Ratio_base - 1); a z-score is unchanged
by a positive scale and shift, so that is the z-score of RS-Ratio itself, as above.

P and B are weekly closes: the last close of each week (Monday to Sunday) up to the as-of
session, the current partial week included, dated by the week's last session. A point needs
2n - 1 consecutive weeks with both closes.

Quadrants: RS-Ratio >= 100 and RS-Momentum >= 100 Leading; >= 100 and < 100 Weakening;
< 100 and < 100 Lagging; < 100 and >= 100 Improving. A leg rotates clockwise through them.

Holding a quadrant: evaluated at every session's close (with that session's partial week), a
leg's quadrant is *settled* once it has been the same for QUADRANT_HOLD_SESSIONS sessions in a
row; the settled quadrant is the one of the latest session that completed such a run, looking
back HOLD_LOOKBACK_SESSIONS sessions. A one-session excursion into another quadrant leaves it
unchanged, so only changes that hold are reported (``briefings.alerts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from briefings.analytics.returns import FloatArray, IntArray, last_close_rows


@dataclass(frozen=True)
class RelativeRotation:
    """JdK-style RS-Ratio and RS-Momentum of a leg against a benchmark (100 = neutral)."""

    rs_ratio: float
    rs_momentum: float
    quadrant: str
    held_sessions: int = 1
    """Sessions in a row, this one included, the leg has been in ``quadrant`` (capped by the
    look-back of ``briefings.analytics.rrg``)."""
    settled_quadrant: str | None = None
    """The quadrant the leg last held for the required sessions in a row (None: none seen)."""

    @property
    def reported_quadrant(self) -> str:
        """Return the quadrant changes are reported against: the settled one, else ``quadrant``."""
        return self.settled_quadrant or self.quadrant


#: n: the weeks each z-score looks back over (RRG-Lite's default window).
RRG_WEEKS = 14
#: Sessions in a row a leg must stay in a new quadrant before the change counts.
QUADRANT_HOLD_SESSIONS = 2
#: Sessions looked back over for the settled quadrant.
HOLD_LOOKBACK_SESSIONS = 21

# 1970-01-01 was a Thursday: shifting day numbers by 3 makes weeks run Monday to Sunday.
_EPOCH_TO_MONDAY_DAYS = 3
# A window whose spread is this small against its level has none (floating-point noise).
_FLAT = 1e-12


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


def weeks_needed(tail_weeks: int, window: int = RRG_WEEKS) -> int:
    """Return how many weekly closes a tail of ``tail_weeks`` points needs: tail + 2n - 2."""
    return tail_weeks + 2 * window - 2


def _week_ids(index: pd.Index) -> IntArray:
    days = pd.DatetimeIndex(index).to_numpy().astype("datetime64[D]").astype(np.int64)
    week_ids: IntArray = (days + _EPOCH_TO_MONDAY_DAYS) // 7
    return week_ids


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
    week_ids = _week_ids(history.index)
    is_week_end = np.ones(len(week_ids), dtype=bool)
    is_week_end[:-1] = week_ids[1:] != week_ids[:-1]
    week_ends = np.flatnonzero(is_week_end)
    values = history.to_numpy(dtype=float)
    close_rows = np.maximum(last_close_rows(values)[week_ends], 0)
    in_the_week = week_ids[close_rows] == week_ids[week_ends][:, np.newaxis]
    weekly = np.where(in_the_week, values[close_rows, np.arange(values.shape[1])], np.nan)
    return pd.DataFrame(weekly, index=history.index[week_ends], columns=history.columns)


def _zscores(windows: FloatArray) -> FloatArray:
    """Return (last - mean) / sd (ddof 1) of each window along the last axis; 0 for a flat one."""
    mean = windows.mean(axis=-1)
    spread = windows.std(axis=-1, ddof=1)
    last = windows[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (last - mean) / spread
    flat = spread <= _FLAT * np.abs(mean)
    return np.where(flat & np.isfinite(mean), 0.0, scores)


def rolling_zscore(values: FloatArray, window: int) -> FloatArray:
    """Return z down each column: (x_t - mean) / sd over rows t-window+1..t.

    sd is the sample standard deviation (ddof 1); a window without spread scores 0, one with
    a missing value NaN.
    """
    if window < 2:
        raise ValueError(f"window must be at least 2, not {window}")
    scores = np.full(values.shape, np.nan)
    if len(values) >= window:
        scores[window - 1 :] = _zscores(sliding_window_view(values, window, axis=0))
    return scores


def _strength(legs: FloatArray, benches: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = 100.0 * legs / benches
    strength[~np.isfinite(strength)] = np.nan
    return strength


def rs_ratio_momentum(
    legs: pd.DataFrame, benches: pd.DataFrame, *, window: int = RRG_WEEKS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return RS-Ratio and RS-Momentum of each leg column against the bench column beside it.

    ``legs`` and ``benches`` are weekly closes of equal shape; column i of the result measures
    legs column i against benches column i and takes the legs' labels. Formulas: module doc.
    """
    strength = _strength(legs.to_numpy(dtype=float), benches.to_numpy(dtype=float))
    rs_ratio = 100.0 + rolling_zscore(strength, window)
    rs_momentum = 100.0 + rolling_zscore(rs_ratio, window)
    return (
        pd.DataFrame(rs_ratio, index=legs.index, columns=legs.columns),
        pd.DataFrame(rs_momentum, index=legs.index, columns=legs.columns),
    )


def session_rotations(
    legs: pd.DataFrame,
    benches: pd.DataFrame,
    as_of: date | pd.Timestamp,
    sessions: int,
    *,
    window: int = RRG_WEEKS,
) -> tuple[pd.DatetimeIndex, FloatArray, FloatArray]:
    """Return RS-Ratio and RS-Momentum as they stood at each of the last ``sessions`` closes.

    ``legs`` and ``benches`` are daily closes of equal shape, paired by column position. Row i
    of each array is the point of the i-th of those sessions (oldest first), computed on the
    weekly closes known then: that session's partial week as the last week. The last row is
    the as-of point of ``rs_ratio_momentum``.
    """
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, not {sessions}")
    width = legs.shape[1]
    end = pd.Timestamp(as_of)
    sessions_to_date = pd.DatetimeIndex(legs.index.union(benches.index))
    days = sessions_to_date[sessions_to_date <= end][-sessions:]
    if days.empty:
        empty = np.empty((0, width))
        return days, empty, empty
    day_weeks = _week_ids(days)
    weeks = weeks_needed(1, window) + int(day_weeks[-1] - day_weeks[0])
    # Only the weeks the points read: the first Monday weekly_closes keeps, onwards. A close
    # before it lies outside every week read, so the rows before it change nothing.
    first_monday = days[-1].normalize() - pd.Timedelta(days=days[-1].weekday() + 7 * (weeks - 1))
    both = pd.concat(
        [
            legs.loc[first_monday:end].set_axis(range(width), axis=1),
            benches.loc[first_monday:end].set_axis(range(width, 2 * width), axis=1),
        ],
        axis=1,
    )
    weekly = weekly_closes(both, as_of, weeks)
    week_ids = _week_ids(weekly.index)
    weekly_values = weekly.to_numpy(dtype=float)
    strength = _strength(weekly_values[:, :width], weekly_values[:, width:])
    ratio_by_week = 100.0 + rolling_zscore(strength, window)

    daily = both.to_numpy(dtype=float)
    first_row = len(daily) - len(days)
    close_rows = last_close_rows(daily)[first_row:]
    ratios = np.full((len(days), width), np.nan)
    momenta = np.full((len(days), width), np.nan)
    columns = np.arange(2 * width)
    for i, week in enumerate(day_weeks):
        k = int(np.searchsorted(week_ids, week))
        if k < 2 * window - 2:
            continue
        rows = np.maximum(close_rows[i], 0)
        in_the_week = (close_rows[i] >= 0) & (_week_ids(both.index[rows]) == week)
        closes_then = np.where(in_the_week, daily[rows, columns], np.nan)
        strength_then = _strength(closes_then[:width], closes_then[width:])
        ratio = 100.0 + _zscores(np.vstack([strength[k - window + 1 : k], strength_then]).T)
        momentum = 100.0 + _zscores(np.vstack([ratio_by_week[k - window + 1 : k], ratio]).T)
        ratios[i], momenta[i] = ratio, momentum
    return days, ratios, momenta


def hold(
    quadrants: Sequence[str | None], threshold: int = QUADRANT_HOLD_SESSIONS
) -> tuple[int, str | None]:
    """Return how long the last quadrant has held and the settled quadrant (see the module doc).

    ``quadrants`` are a leg's quadrants at consecutive sessions, oldest first (None where
    undefined). The hold counts the sessions in a row, the last included, in the last one's
    quadrant (0 when it is undefined). The settled quadrant is the one of the latest run of
    ``threshold`` equal quadrants within ``quadrants``, None when there is none.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, not {threshold}")
    held = 0
    if quadrants and quadrants[-1] is not None:
        held = 1
        while held < len(quadrants) and quadrants[-1 - held] == quadrants[-1]:
            held += 1
    for end in range(len(quadrants) - 1, threshold - 2, -1):
        run = quadrants[end - threshold + 1 : end + 1]
        if run[0] is not None and all(q == run[0] for q in run):
            return held, run[0]
    return held, None


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


def rotations(
    legs: pd.DataFrame,
    benches: pd.DataFrame,
    as_of: date | pd.Timestamp,
    *,
    window: int = RRG_WEEKS,
    threshold: int = QUADRANT_HOLD_SESSIONS,
    lookback: int = HOLD_LOOKBACK_SESSIONS,
) -> list[RelativeRotation | None]:
    """Return each leg column's rotation against its bench column at ``as_of``, with its hold.

    ``legs`` and ``benches`` are daily closes paired by column position. None where the as-of
    point is undefined. The hold and the settled quadrant come from the points of the last
    ``lookback`` sessions (``session_rotations``, ``hold``).
    """
    _, ratios, momenta = session_rotations(legs, benches, as_of, lookback, window=window)
    results: list[RelativeRotation | None] = []
    for column in range(legs.shape[1]):
        path = [
            quadrant(float(r), float(m)) if np.isfinite(r) and np.isfinite(m) else None
            for r, m in zip(ratios[:, column], momenta[:, column], strict=True)
        ]
        if not path or path[-1] is None:
            results.append(None)
            continue
        held, settled = hold(path, threshold)
        results.append(
            RelativeRotation(
                rs_ratio=float(ratios[-1, column]),
                rs_momentum=float(momenta[-1, column]),
                quadrant=path[-1],
                held_sessions=held,
                settled_quadrant=settled,
            )
        )
    return results


def _leg_lines(
    leg: pd.Series, bench: pd.Series, as_of: date | pd.Timestamp, weeks: int, window: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    daily = pd.concat([leg, bench], axis=1, keys=["leg", "bench"])
    weekly = weekly_closes(daily, as_of, weeks_needed(weeks, window))
    return rs_ratio_momentum(weekly[["leg"]], weekly[["bench"]], window=window)


def rrg_tail(
    leg: pd.Series,
    bench: pd.Series,
    as_of: date | pd.Timestamp,
    weeks: int,
    *,
    window: int = RRG_WEEKS,
) -> list[RRGPoint]:
    """Return ``leg``'s weekly RRG points against ``bench`` over the last ``weeks`` weeks to as_of.

    ``leg`` and ``bench`` are daily closes. Oldest first; the last point is the as-of week's
    when it is defined. Weeks without a defined point are left out.
    """
    rs_ratio, rs_momentum = _leg_lines(leg, bench, as_of, weeks, window)
    return tail_points(rs_ratio["leg"], rs_momentum["leg"], weeks)


def relative_rotation(
    leg: pd.Series,
    bench: pd.Series,
    as_of: date | pd.Timestamp,
    *,
    window: int = RRG_WEEKS,
    threshold: int = QUADRANT_HOLD_SESSIONS,
) -> RelativeRotation | None:
    """Return ``leg``'s RS-Ratio, RS-Momentum, quadrant and hold against ``bench`` at as_of."""
    return rotations(leg.to_frame(), bench.to_frame(), as_of, window=window, threshold=threshold)[0]
