"""The regime of every past session and how long each lasted: "Broadening for 9 sessions".

A classifier labels sessions from the key pairs' histories (``KeyPairHistory``): their 1M
spreads and their typical 1M spreads at every session. It is a parameter, so the regime follows
whatever verdict rule the story uses; ``verdict_regimes`` is the default, the verdict rule of
``briefings.story`` (docs/methodology.md, "Verdict and takeaways") applied to all sessions at
once: a pair leans broad when its 1M spread >= +1.0 pp and |spread| >= 0.5 x its typical 1M
spread (median |n-session spread| of the last 252 sessions, n the sessions the 1M window spans),
narrow when <= -1.0 pp likewise; broadening: 3+ broad and none narrow; narrow: 3+ narrow and
none broad; mixed otherwise; no_verdict with fewer than 3 pairs measured.

A regime's age counts the sessions of its current run (today included) and names its first.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from briefings.analytics.returns import FloatArray, IntArray, base_rows
from briefings.history.figures import spread_history
from briefings.verdict_rule import (
    KEY_PAIRS,
    LEAN_MIN_PP,
    LEAN_MIN_SIGNIFICANCE,
    VERDICT_MIN_LEANING,
    VERDICT_MIN_PAIRS,
    VERDICT_WINDOW,
)

#: The pairs the default verdict reads, as (lead, lag).
VERDICT_PAIRS = KEY_PAIRS
TYPICAL_LOOKBACK = 252
TYPICAL_MIN_COUNT = 20


@dataclass(frozen=True)
class KeyPairHistory:
    """The key pairs' 1M spreads and typical 1M spreads at every session (columns: LEAD/LAG)."""

    spreads: pd.DataFrame
    typicals: pd.DataFrame


Classifier = Callable[[KeyPairHistory], pd.Series]
"""Label every session (a Series of regime ids on the sessions' index)."""


@dataclass(frozen=True)
class RegimeRun:
    """One run of consecutive sessions under the same regime."""

    regime: str
    start: date
    end: date
    sessions: int


@dataclass(frozen=True)
class RegimeAge:
    """The regime at a session, since when it has held, and the runs before it."""

    regime: str
    since: date
    sessions: int
    """Sessions of the current run, the as-of session included."""
    past: tuple[RegimeRun, ...]
    """Earlier runs, latest first."""


def typical_history(lead: FloatArray, lag: FloatArray, lengths: IntArray) -> FloatArray:
    """Return per row the typical n-session spread, n = ``lengths`` there (as analytics.typical).

    typical_n(t) = median over the last 252 sessions s <= t of |r_lead(s, n) - r_lag(s, n)|,
    r(s, n) = 100 * (c_s / c_{s-n} - 1); NaN with fewer than 20 measured spreads or n <= 0.
    """
    typical = np.full(len(lead), np.nan)
    for n in np.unique(lengths[lengths > 0]):
        n = int(n)
        spreads = np.full(len(lead), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            spreads[n:] = 100.0 * (lead[n:] / lead[:-n] - lag[n:] / lag[:-n])
        rows = np.flatnonzero(lengths == n)
        typical[rows] = trailing_medians(np.abs(spreads), rows, TYPICAL_LOOKBACK, TYPICAL_MIN_COUNT)
    return typical


#: Below this many rows a window's median is taken row by row; above, in one rolling pass.
#: A pass over the whole history costs about what 300 rows cost one by one.
ROWS_FOR_ONE_PASS = 300


def trailing_medians(
    values: FloatArray, rows: IntArray, lookback: int, min_count: int
) -> FloatArray:
    """Return at each of ``rows`` the median of the non-NaN ``values`` among the ``lookback``
    ending there (NaN with fewer than ``min_count``).

    median = (s[(k - 1) // 2] + s[k // 2]) / 2 over the k sorted values s, as pandas' rolling
    median, which a few rows are not worth a pass over every row for (ROWS_FOR_ONE_PASS).
    """
    if len(rows) >= ROWS_FOR_ONE_PASS:
        rolling = pd.Series(values).rolling(lookback, min_periods=min_count).median().to_numpy()
        picked: FloatArray = rolling[rows]
        return picked
    padded = np.concatenate([np.full(lookback - 1, np.nan), values])
    windows = np.sort(sliding_window_view(padded, lookback)[rows], axis=1)  # NaN sort last
    counts = lookback - np.isnan(windows).sum(axis=1)
    medians = np.full(len(rows), np.nan)
    enough = np.flatnonzero(counts >= min_count)
    low, high = (counts[enough] - 1) // 2, counts[enough] // 2
    medians[enough] = (windows[enough, low] + windows[enough, high]) / 2
    return medians


def key_pair_history(
    legs: pd.DataFrame, pairs: Sequence[tuple[str, str]] = VERDICT_PAIRS
) -> KeyPairHistory:
    """Return the pairs' 1M spreads and typical 1M spreads at every session of ``legs``.

    ``legs`` holds one column per leg (baskets as their levels); a pair with a missing leg is
    left out.
    """
    index = pd.DatetimeIndex(legs.index)
    lengths = np.arange(len(index), dtype=np.intp) - base_rows(index, VERDICT_WINDOW)
    lengths[base_rows(index, VERDICT_WINDOW) < 0] = 0
    spreads: dict[str, FloatArray] = {}
    typicals: dict[str, FloatArray] = {}
    for lead, lag in pairs:
        if lead not in legs.columns or lag not in legs.columns:
            continue
        label = f"{lead}/{lag}"
        spreads[label] = spread_history(legs, lead, lag, VERDICT_WINDOW).to_numpy()
        typicals[label] = typical_history(
            legs[lead].to_numpy(dtype=float), legs[lag].to_numpy(dtype=float), lengths
        )
    return KeyPairHistory(
        spreads=pd.DataFrame(spreads, index=index), typicals=pd.DataFrame(typicals, index=index)
    )


def verdict_regimes(history: KeyPairHistory) -> pd.Series:
    """Label every session with the story's verdict rule (module doc), vectorised."""
    spreads = history.spreads.to_numpy(dtype=float)
    typicals = history.typicals.to_numpy(dtype=float)
    measured = np.isfinite(spreads)
    with np.errstate(divide="ignore", invalid="ignore"):
        significance = np.abs(spreads) / np.where(typicals > 0, typicals, np.nan)
    big_enough = ~np.isfinite(significance) | (significance >= LEAN_MIN_SIGNIFICANCE)
    broad = (measured & (spreads >= LEAN_MIN_PP) & big_enough).sum(axis=1)
    narrow = (measured & (spreads <= -LEAN_MIN_PP) & big_enough).sum(axis=1)
    counted = measured.sum(axis=1)
    labels = np.select(
        [
            counted < VERDICT_MIN_PAIRS,
            (broad >= VERDICT_MIN_LEANING) & (narrow == 0),
            (narrow >= VERDICT_MIN_LEANING) & (broad == 0),
        ],
        ["no_verdict", "broadening", "narrow"],
        default="mixed",
    )
    return pd.Series(labels, index=history.spreads.index, dtype=object)


def per_session(
    classify: Callable[[Mapping[str, tuple[float | None, float | None]]], str],
) -> Classifier:
    """Adapt a one-session classifier (pair label -> (1M spread, typical)) to every session."""

    def classify_all(history: KeyPairHistory) -> pd.Series:
        spreads = history.spreads.to_numpy(dtype=float)
        typicals = history.typicals.to_numpy(dtype=float)
        labels = history.spreads.columns
        regimes = [
            classify(
                {
                    str(label): (_optional(spread_row[k]), _optional(typical_row[k]))
                    for k, label in enumerate(labels)
                }
            )
            for spread_row, typical_row in zip(spreads, typicals, strict=True)
        ]
        return pd.Series(regimes, index=history.spreads.index, dtype=object)

    return classify_all


def _optional(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def regime_runs(regimes: pd.Series) -> tuple[RegimeRun, ...]:
    """Return the runs of consecutive sessions under one regime, oldest first."""
    labels = regimes.to_numpy(dtype=object)
    if not len(labels):
        return ()
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], len(labels)] - 1
    days = pd.DatetimeIndex(regimes.index).to_numpy().astype("datetime64[D]")
    return tuple(
        RegimeRun(regime=str(regime), start=first, end=last, sessions=int(count))
        for regime, first, last, count in zip(
            labels[starts],
            days[starts].tolist(),
            days[ends].tolist(),
            ends - starts + 1,
            strict=True,
        )
    )


def regime_age(
    regimes: pd.Series,
    session: date | pd.Timestamp,
    past_runs: int = 10,
    runs: Sequence[RegimeRun] | None = None,
) -> RegimeAge | None:
    """Return the regime at ``session``, its run so far and up to ``past_runs`` earlier runs.

    ``runs`` are ``regime_runs(regimes)`` when already known (a book keeps them). None when
    ``session`` is not one of the labelled sessions.
    """
    index = pd.DatetimeIndex(regimes.index)
    end = int(index.searchsorted(pd.Timestamp(session), side="right"))
    if not end or index[end - 1] != pd.Timestamp(session):
        return None
    every_run = regime_runs(regimes) if runs is None else runs
    starts = [run.start for run in every_run]
    position = bisect_right(starts, index[end - 1].date()) - 1
    current = every_run[position]
    run_start = int(index.searchsorted(pd.Timestamp(current.start)))
    return RegimeAge(
        regime=current.regime,
        since=current.start,
        sessions=end - run_start,
        past=tuple(reversed(every_run[max(position - past_runs, 0) : position])),
    )


@dataclass(frozen=True)
class RegimeRecord:
    """The complete earlier runs of one regime: how many, how long they usually lasted."""

    regime: str
    since: date
    """The first session with a verdict: where the sample starts."""
    runs: int
    median_sessions: float
    longest: RegimeRun


def regime_record(runs: Sequence[RegimeRun], regime: str, before: date) -> RegimeRecord | None:
    """Return the runs of ``regime`` that ended before ``before`` (None: there are none).

    median_sessions = the median length of those runs; the sample starts at the first run
    that is not ``no_verdict``.
    """
    with_verdict = [run for run in runs if run.regime != "no_verdict"]
    earlier = [run for run in with_verdict if run.regime == regime and run.end < before]
    if not earlier:
        return None
    return RegimeRecord(
        regime=regime,
        since=with_verdict[0].start,
        runs=len(earlier),
        median_sessions=float(np.median([run.sessions for run in earlier])),
        longest=max(earlier, key=lambda run: (run.sessions, run.end)),
    )
