"""Index-member analytics on a sessions x members matrix of closes, vectorised with numpy.

Every function takes plain arrays: ``prices`` has one row per session (ascending) and one
column per member, NaN where a member has no close; ``weights`` are index weights in percent
(NaN: unknown); ``codes`` number each member's sector 0..groups-1. Returns are in percent,
``r_i = 100 * (P_i(t) / P_i(base) - 1)``, NaN where a member lacks either close.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from briefings.analytics.breadth import above_average
from briefings.analytics.returns import FloatArray, finite_or_none, percent_change

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: A year of sessions: the 52-week high/low window.
YEAR_SESSIONS = 252


def holdings_prices(prices: FloatArray, holdings_row: int) -> FloatArray:
    """Return each member's close at the holdings' session h: P_i(h).

    A member without a close on h takes its last close before h, else its first close after
    (a listing that began after h); NaN when it has no close at all.
    """
    upto = prices[: holdings_row + 1]
    present = ~np.isnan(upto)
    rows = np.arange(len(upto))[:, None]
    last_row = np.where(present, rows, -1).max(axis=0, initial=-1)
    result = np.full(prices.shape[1], np.nan)
    has_before = last_row >= 0
    result[has_before] = upto[last_row[has_before], np.flatnonzero(has_before)]
    after = prices[holdings_row + 1 :]
    if len(after):
        later = ~np.isnan(after)
        first_row = np.where(later.any(axis=0), later.argmax(axis=0), -1)
        use_after = ~has_before & (first_row >= 0)
        result[use_after] = after[first_row[use_after], np.flatnonzero(use_after)]
    return result


def carried_weights(
    weights: FloatArray, at_holdings: FloatArray, at_base: FloatArray
) -> FloatArray:
    """Return weights carried by prices to a session b: w_i(b) = w_i(h) * P_i(b) / P_i(h).

    NaN where the weight or either close is missing. The result is not re-normalised: ratios
    between members are what the figures use.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        carried: FloatArray = weights * at_base / at_holdings
    return np.where(np.isfinite(carried) & (carried > 0), carried, np.nan)


def window_returns(prices: FloatArray, session_row: int, base_row: int) -> FloatArray:
    """Return r_i = 100 * (P_i(t) / P_i(base) - 1) from the base session's close to t's."""
    return percent_change(prices[session_row], prices[base_row])


def cap_weighted(weights: FloatArray, returns: FloatArray) -> float | None:
    """Return sum w_i r_i / sum w_i over members with both; None when there are none."""
    usable = np.isfinite(weights) & np.isfinite(returns)
    total = float(weights[usable].sum())
    return float((weights[usable] * returns[usable]).sum() / total) if total > 0 else None


def equal_weighted(returns: FloatArray) -> float | None:
    """Return the mean r_i over members with a return; None when there are none."""
    usable = np.isfinite(returns)
    return float(returns[usable].mean()) if usable.any() else None


def top_members(weights: FloatArray, n: int) -> BoolArray:
    """Return a mask of the ``n`` members with the largest weights (ties: list order), per row.

    ``weights`` is one row (members) or rows x members. Members without a weight are never in
    the top; fewer than ``n`` weighted members are all top.
    """
    weighted = np.isfinite(weights)
    order = np.argsort(np.where(weighted, -weights, np.inf), axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(order.shape[-1]), order.shape), -1)
    mask: BoolArray = (ranks < n) & weighted
    return mask


def _cap_rows(weights: FloatArray, returns: FloatArray, group: BoolArray) -> FloatArray:
    """Return per row sum w_i r_i / sum w_i over the group's members with both; NaN if none."""
    usable = group & np.isfinite(weights) & np.isfinite(returns)
    w = np.where(usable, weights, 0.0)
    total = w.sum(axis=-1)
    weighted = (w * np.where(usable, returns, 0.0)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(total > 0, weighted / total, np.nan)
    return result


def _equal_rows(returns: FloatArray, group: BoolArray) -> FloatArray:
    """Return per row the mean r_i over the group's members with a return; NaN if none."""
    usable = group & np.isfinite(returns)
    count = usable.sum(axis=-1)
    total = np.where(usable, returns, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(count > 0, total / count, np.nan)
    return result


def split_rows(
    weights: FloatArray, returns: FloatArray, n: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return per row (top_cap, rest_cap, top_equal, rest_equal) for the top ``n`` by w_i(base).

    ``weights`` and ``returns`` are rows x members (one session each). cap: sum w_i(base) r_i /
    sum w_i(base) over the group; equal: mean r_i over the group. NaN where a group has no
    usable member, and all four NaN for a row without weights (no top N).
    """
    top = top_members(weights, n)
    rest = ~top
    unweighted = ~np.isfinite(weights).any(axis=-1)
    splits = (
        _cap_rows(weights, returns, top),
        _cap_rows(weights, returns, rest),
        _equal_rows(returns, top),
        _equal_rows(returns, rest),
    )
    return tuple(np.where(unweighted, np.nan, values) for values in splits)  # type: ignore[return-value]


def split_returns(
    weights: FloatArray, returns: FloatArray, n: int
) -> tuple[float | None, float | None, float | None, float | None]:
    """Return ``split_rows`` of one session as (top_cap, rest_cap, top_equal, rest_equal)."""
    top_cap, rest_cap, top_equal, rest_equal = split_rows(weights[None, :], returns[None, :], n)
    return (
        finite_or_none(float(top_cap[0])),
        finite_or_none(float(rest_cap[0])),
        finite_or_none(float(top_equal[0])),
        finite_or_none(float(rest_equal[0])),
    )


def grouped_returns(
    codes: IntArray, groups: int, weights: FloatArray, returns: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return per group (cap, equal): sum w r / sum w and mean r over members with a return.

    NaN for a group without a usable member (cap also without weights).
    """
    has_return = np.isfinite(returns)
    weighted = has_return & np.isfinite(weights)
    w = np.where(weighted, weights, 0.0)
    r = np.where(has_return, returns, 0.0)
    weight_sum = np.bincount(codes, weights=w, minlength=groups)
    weighted_sum = np.bincount(codes, weights=w * np.where(weighted, r, 0.0), minlength=groups)
    count = np.bincount(codes, weights=has_return.astype(float), minlength=groups)
    total = np.bincount(codes, weights=r, minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.where(weight_sum > 0, weighted_sum / weight_sum, np.nan)
        equal = np.where(count > 0, total / count, np.nan)
    return cap, equal


def year_extremes(
    history: FloatArray, sessions: int = YEAR_SESSIONS
) -> tuple[BoolArray, BoolArray]:
    """Return per member (new_high, new_low): close_t == max / min of the last ``sessions`` closes.

    Counted only for members with a close on t whose history spans the whole window (a close on
    or before its first row), so a recent listing is not a "52-week" high.
    """
    rows, columns = history.shape
    if rows < sessions:
        nothing = np.zeros(columns, dtype=bool)
        return nothing, nothing
    window = history[-sessions:]
    last = history[-1]
    spans = (~np.isnan(history[: rows - sessions + 1])).any(axis=0)
    counted = ~np.isnan(last) & spans
    safe = np.where(np.isnan(window), -np.inf, window)
    high = counted & (last >= safe.max(axis=0))
    safe = np.where(np.isnan(window), np.inf, window)
    low = counted & (last <= safe.min(axis=0))
    return high, low


def group_counts(codes: IntArray, groups: int, mask: BoolArray) -> IntArray:
    """Return how many members of each group are set in ``mask``."""
    counts: IntArray = np.bincount(codes[mask], minlength=groups).astype(np.intp)
    return counts


def breadth_masks(history: FloatArray, short: int = 50, long: int = 200) -> dict[str, BoolArray]:
    """Return the per-member masks breadth counts: counted/above each average, moves, extremes.

    ``history`` ends at the session t. Above: close_t > SMA (see ``analytics.breadth``).
    Advancer: close_t > close_{t-1}; decliner: close_t < close_{t-1} (both closes needed).
    """
    counted_50, above_50 = above_average(history, short)
    counted_200, above_200 = above_average(history, long)
    if len(history) >= 2:
        day = percent_change(history[-1], history[-2])
    else:
        day = np.full(history.shape[1], np.nan)
    highs, lows = year_extremes(history)
    return {
        "counted_50d": counted_50,
        "above_50d": above_50,
        "counted_200d": counted_200,
        "above_200d": above_200,
        "advancers": np.isfinite(day) & (day > 0),
        "decliners": np.isfinite(day) & (day < 0),
        "new_highs_52w": highs,
        "new_lows_52w": lows,
    }


def contributions(weights: FloatArray, returns: FloatArray) -> FloatArray:
    """Return each member's contribution in pp: w_i(base) * r_i / sum_j w_j(base).

    The sum runs over members with both a weight and a return, so the contributions add up to
    the cap-weighted return of those members. NaN where a member lacks either.
    """
    usable = np.isfinite(weights) & np.isfinite(returns)
    total = float(weights[usable].sum())
    result = np.full(len(returns), np.nan)
    if total > 0:
        result[usable] = weights[usable] * returns[usable] / total
    return result


def rebuilt_indexes(
    prices: FloatArray, weights: FloatArray, holdings_row: int
) -> tuple[FloatArray, FloatArray]:
    """Return (equal, cap) index levels rebuilt from members, 100 on the first row.

    Equal weight, rebalanced daily: E_t = E_{t-1} * (1 + mean_i d_i,t / 100). Cap weight, each
    member held in proportion to its carried weight: C_t = C_{t-1} * (1 + sum_i w_i(t-1) d_i,t /
    sum_i w_i(t-1) / 100). d_i,t is the member's daily return in percent; members missing
    either close that day are left out of that day.
    """
    at_holdings = holdings_prices(prices, holdings_row)
    daily = np.full(prices.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily[1:] = 100.0 * (prices[1:] / prices[:-1] - 1.0)
        carried = weights * prices[:-1] / at_holdings  # w_i(t-1), one row per day t >= 1
    usable = np.isfinite(daily[1:])
    counts = usable.sum(axis=1)
    equal_day = np.where(
        counts > 0, np.where(usable, daily[1:], 0.0).sum(axis=1) / np.maximum(counts, 1), 0.0
    )
    weighted = usable & np.isfinite(carried)
    w = np.where(weighted, carried, 0.0)
    weight_sum = w.sum(axis=1)
    cap_day = np.where(
        weight_sum > 0,
        (w * np.where(weighted, daily[1:], 0.0)).sum(axis=1)
        / np.where(weight_sum > 0, weight_sum, 1),
        0.0,
    )
    equal = 100.0 * np.concatenate(([1.0], np.cumprod(1.0 + equal_day / 100.0)))
    cap = 100.0 * np.concatenate(([1.0], np.cumprod(1.0 + cap_day / 100.0)))
    return equal, cap
