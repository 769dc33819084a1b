"""The rotation pairs' chart (pairs): each pair's lead/lag price ratio, rebased to 100 at a start.

The summary gives each pair's ratio move since the start, biggest rise first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from briefings.analytics.returns import session_on_or_before, window_base_date
from briefings.analytics.rotation import leg_series
from briefings.build import BriefingInputError, resolve_session
from briefings.charts.data import (
    Provenance,
    RatioChart,
    RatioLine,
    RatioMove,
    RatioSummary,
)
from briefings.charts.spec import ChartOptions, ChartSpec, KeyArguments
from briefings.universe import PairSpec, Universe

if TYPE_CHECKING:
    from briefings.snapshot import Snapshot

#: The window whose base date the ratio chart starts from when no start is given.
DEFAULT_RATIO_WINDOW = "3M"


def ratio_start(closes: pd.DataFrame, as_of: date, start: date | None) -> pd.Timestamp:
    """Return the session a ratio chart is rebased on.

    ``start`` falls back to the last session on or before it; None means the base date of the
    3M window at ``as_of``. Raise BriefingInputError when that is outside the data or after as_of.
    """
    session = resolve_session(closes, as_of)
    index = pd.DatetimeIndex(closes.index)
    if start is None:
        base = window_base_date(index, session, DEFAULT_RATIO_WINDOW)
        if base is None:
            raise BriefingInputError(
                f"not enough history for a {DEFAULT_RATIO_WINDOW} chart at {session.date()}"
            )
        return base
    if start >= session.date():
        raise BriefingInputError(
            f"start {start.isoformat()} must be before the session {session.date().isoformat()}"
        )
    base = session_on_or_before(index, start)
    if base is None:
        first = pd.Timestamp(index[0]).date()
        raise BriefingInputError(
            f"no data on or before {start.isoformat()}; the data starts {first}"
        )
    return base


def rebased_ratio(lead: pd.Series, lag: pd.Series, start: pd.Timestamp) -> pd.Series:
    """Return 100 * R_t / R_start for R = lead / lag from ``start`` on; empty if R_start is missing.

    Sessions where either leg has no close are left out.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: pd.Series = (lead / lag).loc[start:]
    ratio = ratio[np.isfinite(ratio.to_numpy(dtype=float))]
    if ratio.empty or pd.Timestamp(ratio.index[0]) != start:
        empty: pd.Series = ratio.iloc[0:0]
        return empty
    rebased: pd.Series = ratio / float(ratio.iloc[0]) * 100.0
    return rebased


def pairs_chart_data(
    closes: pd.DataFrame,
    universe: Universe,
    provenance: Provenance,
    start: date | None = None,
    pairs: Sequence[PairSpec] | None = None,
) -> RatioChart:
    """Return the rotation pairs' lead/lag price ratios rebased to 100 on the start session.

    ``start``: see ``ratio_start``. ``pairs`` defaults to the universe's rotation pairs.
    """
    session = resolve_session(closes, provenance.as_of)
    history = closes.loc[:session]
    base = ratio_start(history, session.date(), start)
    lines: list[RatioLine] = []
    missing: list[str] = []
    for pair in universe.pairs if pairs is None else pairs:
        lead = leg_series(history, universe, pair.lead)
        lag = leg_series(history, universe, pair.lag)
        rebased = rebased_ratio(lead, lag, base)
        if rebased.empty:
            missing.append(pair.name)
            continue
        lines.append(
            RatioLine(
                name=pair.name,
                lead=pair.lead,
                lag=pair.lag,
                dates=tuple(pd.Timestamp(day).date() for day in rebased.index),
                values=tuple(float(value) for value in rebased.to_numpy(dtype=float)),
            )
        )
    return RatioChart(
        start=base.date(), lines=tuple(lines), provenance=provenance, missing=tuple(missing)
    )


def summarize_ratios(data: RatioChart) -> RatioSummary:
    """Return each pair's ratio change since the start, biggest rise first."""
    moves = sorted(
        (RatioMove(line.name, line.values[-1] - 100.0) for line in data.lines),
        key=lambda move: move.change_pct,
        reverse=True,
    )
    return RatioSummary(start=data.start, moves=tuple(moves), missing=data.missing)


def _data(snapshot: Snapshot, options: ChartOptions) -> RatioChart:
    provenance = Provenance.of(snapshot.briefing)
    return pairs_chart_data(snapshot.closes, snapshot.universe, provenance, options.start)


def _plot(data: RatioChart, language: str) -> bytes:
    from briefings.charts.plot import plot_ratios

    return plot_ratios(data, language)


def _key_arguments(options: ChartOptions) -> KeyArguments:
    return (("start", options.start),)


PAIRS = ChartSpec(
    kind="pairs",
    data=_data,
    plot=_plot,
    summary=summarize_ratios,
    key_arguments=_key_arguments,
)
