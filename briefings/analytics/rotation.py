"""Rotation pairs: a lead leg measured against a lag leg (tickers or equal-weight baskets).

- spread (percentage points, per window) = lead return - lag return.
- ratio vs its average (percent) = 100 * (R_t / mean(R over the last 50 sessions) - 1),
  R = lead / lag, the mean taken over the last 50 sessions on which both legs have a close
  (R_t included); None when R_t is missing or fewer than 50 such sessions exist.
- the relative rotation quadrant of the lead against the lag: see ``briefings.analytics.rrg``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from briefings.analytics.baskets import equal_weight_basket
from briefings.analytics.returns import FloatArray, column_values, finite_or_none, trailing_returns
from briefings.analytics.rrg import RRG_WEEKS, rotations
from briefings.windows import WINDOWS
from briefings.analytics.rotation import RotationLine
from briefings.universe import BASKET_PREFIX, PairSpec, Universe

RATIO_AVERAGE_SESSIONS = 50


def leg_series(closes: pd.DataFrame, universe: Universe, leg: str) -> pd.Series:
    """Return the daily closes of a ticker, or the equal-weight level of a ``basket:<group>``.

    A ticker that is not a column of ``closes`` gives an all-NaN series; an unknown group
    raises KeyError.
    """
    if leg.startswith(BASKET_PREFIX):
        members = universe.group(leg.removeprefix(BASKET_PREFIX)).members
        return equal_weight_basket(closes, members).rename(leg)
    if leg in closes.columns:
        return closes[leg].astype(float)
    return pd.Series(np.nan, index=closes.index, dtype=float, name=leg)


def legs_frame(closes: pd.DataFrame, universe: Universe, legs: Iterable[str]) -> pd.DataFrame:
    """Return one column per distinct leg (tickers and baskets), in first-seen order."""
    unique = list(dict.fromkeys(legs))
    values = column_values(closes, unique)
    for position, leg in enumerate(unique):
        if leg.startswith(BASKET_PREFIX):
            values[:, position] = leg_series(closes, universe, leg).to_numpy()
    return pd.DataFrame(values, index=closes.index, columns=unique)


def spread(returns_lead: FloatArray, returns_lag: FloatArray) -> FloatArray:
    """Return lead% - lag% per window (aligned arrays), in percentage points; NaN where missing."""
    return np.subtract(returns_lead, returns_lag)


def ratio_vs_average(
    lead_series: pd.Series,
    lag_series: pd.Series,
    as_of: date | pd.Timestamp,
    window: int = RATIO_AVERAGE_SESSIONS,
) -> float | None:
    """Return 100 * (R_t / mean(R over the last ``window`` sessions) - 1), R = lead / lag.

    t is the last session on or before ``as_of``; sessions where either leg lacks a close are
    skipped. None when R_t is missing or fewer than ``window`` values of R exist.
    """
    ratio = (lead_series / lag_series).loc[: pd.Timestamp(as_of)]
    return _ratio_vs_average(ratio.to_numpy(dtype=float), window)


def _ratio_vs_average(ratio: FloatArray, window: int) -> float | None:
    """Return ratio_vs_average for R given as an array ending at the as-of session."""
    if not len(ratio) or not np.isfinite(ratio[-1]):
        return None
    recent = ratio[np.isfinite(ratio)][-window:]
    if len(recent) < window:
        return None
    return finite_or_none(100.0 * (recent[-1] / recent.mean() - 1.0))


def sector_pairs(universe: Universe, group_key: str) -> tuple[PairSpec, ...]:
    """Return each member of ``group_key`` (lead) against the universe benchmark (lag).

    An absent group gives no pairs.
    """
    try:
        members = universe.group(group_key).members
    except KeyError:
        return ()
    benchmark = universe.benchmark
    return tuple(
        PairSpec(name=f"{ticker} vs {benchmark}", lead=ticker, lag=benchmark)
        for ticker in members
        if ticker != benchmark
    )


def rotation_lines(
    legs: pd.DataFrame,
    pairs: Sequence[PairSpec],
    as_of: date | pd.Timestamp,
    names: Mapping[str, str],
    *,
    ratio_window: int = RATIO_AVERAGE_SESSIONS,
    rrg_weeks: int = RRG_WEEKS,
) -> tuple[RotationLine, ...]:
    """Return a RotationLine per pair from ``legs``, daily closes with one column per leg.

    Spreads for every window, both legs' own returns, the lead/lag ratio against its
    ``ratio_window``-session average, and the lead's relative rotation against the lag at the
    as-of session (with how long its quadrant has held).
    """
    if not pairs:
        return ()
    leads = legs.columns.get_indexer(pd.Index([p.lead for p in pairs]))
    lags = legs.columns.get_indexer(pd.Index([p.lag for p in pairs]))
    if (leads < 0).any() or (lags < 0).any():
        missing = ({p.lead for p in pairs} | {p.lag for p in pairs}) - set(legs.columns)
        raise KeyError(f"legs lacks columns for {sorted(missing)}")
    returns = trailing_returns(legs, as_of, WINDOWS).to_numpy()
    spreads = spread(returns[leads], returns[lags])
    daily = legs.loc[: pd.Timestamp(as_of)].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = daily[:, leads] / daily[:, lags]
    rrg = rotations(legs.iloc[:, leads], legs.iloc[:, lags], as_of, window=rrg_weeks)
    return tuple(
        RotationLine(
            name=pair.name,
            lead=pair.lead,
            lag=pair.lag,
            lead_name=names.get(pair.lead, pair.lead),
            lag_name=names.get(pair.lag, pair.lag),
            spread=dict(zip(WINDOWS, map(finite_or_none, spreads[position]), strict=True)),
            ratio_vs_50d=_ratio_vs_average(ratios[:, position], ratio_window),
            rrg=rotation,
            lead_returns=dict(
                zip(WINDOWS, map(finite_or_none, returns[leads[position]]), strict=True)
            ),
            lag_returns=dict(
                zip(WINDOWS, map(finite_or_none, returns[lags[position]]), strict=True)
            ),
        )
        for position, (pair, rotation) in enumerate(zip(pairs, rrg, strict=True))
    )
