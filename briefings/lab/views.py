"""Each Rotation Lab view's numbers as JSON-ready data: RRG frames, heatmap, breadth, pairs.

The RRG frames are the chart's own tails (``charts.kinds.rrg.rrg_chart_data`` at the longest
tail), so every point is the briefing's RS-Ratio and RS-Momentum for that week. Every view
carries its session, its source and whether the market is simulated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from briefings.analytics.breadth import above_average
from briefings.analytics.rotation import leg_series
from briefings.analytics.rrg import weekly_closes
from briefings.build import SECTORS_GROUP, display_names
from briefings.charts.data import MAX_TAIL_WEEKS, Provenance, RRGKind, default_tail_weeks
from briefings.charts.kinds.pairs import rebased_ratio
from briefings.charts.kinds.rrg import rrg_chart_data
from briefings.members.analytics import group_counts
from briefings.members.book import IndexPrices
from briefings.snapshot import Snapshot
from briefings.windows import WINDOWS

JsonObject = dict[str, Any]

#: Weeks of breadth history the breadth view shows.
BREADTH_WEEKS = 52
#: Sessions the breadth line's moving average spans (the 200-day average).
BREADTH_AVERAGE_SESSIONS = 200
#: Decimals kept in the JSON: RRG coordinates, percentages, rebased ratios.
RRG_DECIMALS = 3
PERCENT_DECIMALS = 2
#: The pair ratios' weeks kept one by one (ten years); older ones are kept every THIN_STEP-th.
DENSE_WEEKS = 520
THIN_STEP = 4


def _rounded(value: float | None, decimals: int) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), decimals)


def provenance_fields(provenance: Provenance) -> JsonObject:
    """Return the session, source and simulated flag every view carries."""
    return {
        "session": provenance.as_of.isoformat(),
        "source": provenance.source,
        "simulated": provenance.simulated,
    }


def rrg_view(snapshot: Snapshot, kind: RRGKind) -> JsonObject:
    """Return the animated RRG: every leg's weekly (RS-Ratio, RS-Momentum) on one week axis.

    ``weeks`` lists the week ends (oldest first); each leg's ``points[i]`` is its point of week
    i, or null when the leg has none that week.
    """
    provenance = Provenance.of(snapshot.briefing)
    chart = rrg_chart_data(
        snapshot.closes, snapshot.universe, kind, provenance, tail_weeks=MAX_TAIL_WEEKS
    )
    weeks = sorted({point.week_end for trail in chart.trails for point in trail.points})
    position = {week: i for i, week in enumerate(weeks)}
    legs: list[JsonObject] = []
    for trail in chart.trails:
        points: list[list[float | None] | None] = [None] * len(weeks)
        for point in trail.points:
            points[position[point.week_end]] = [
                _rounded(point.rs_ratio, RRG_DECIMALS),
                _rounded(point.rs_momentum, RRG_DECIMALS),
            ]
        legs.append({"key": trail.key, "label": trail.label, "name": trail.name, "points": points})
    return {
        **provenance_fields(provenance),
        "view": f"rrg-{kind}",
        "benchmark": chart.benchmark,
        "weeks": [week.isoformat() for week in weeks],
        "default_tail": default_tail_weeks(len(legs)),
        "legs": legs,
        "missing": list(chart.missing),
    }


def heatmap_view(snapshot: Snapshot) -> JsonObject:
    """Return sectors x windows (ETFs, and each index's sectors from members) and the pairs.

    Member rows are cap-weighted (sum w_i(base) r_i / sum w_i(base)), as in the briefing; the
    pairs' rows (``factors``) are each rotation pair's spread, lead return minus lag return in pp.
    """
    briefing = snapshot.briefing
    universe = snapshot.universe
    names = display_names(universe)
    try:
        sectors: Sequence[str] = universe.group(SECTORS_GROUP).members
    except KeyError:
        sectors = ()

    def returns_of(values: Mapping[str, float | None]) -> list[float | None]:
        return [_rounded(values.get(window), PERCENT_DECIMALS) for window in WINDOWS]

    etfs = [
        {
            "ticker": ticker,
            "name": names.get(ticker, ticker),
            "returns": returns_of(briefing.returns.get(ticker, {})),
        }
        for ticker in (*sectors, universe.benchmark)
    ]
    members = [
        {
            "index": figures.name,
            "rows": [
                {"sector": sector.sector, "returns": returns_of(sector.returns)}
                for sector in figures.sectors
            ],
        }
        for figures in briefing.members
    ]
    factors = [
        {"name": line.name, "spreads": returns_of(line.spread)} for line in briefing.rotation
    ]
    return {
        **provenance_fields(Provenance.of(briefing)),
        "view": "heatmap",
        "windows": list(WINDOWS),
        "benchmark": universe.benchmark,
        "etfs": etfs,
        "members": members,
        "factors": factors,
    }


def breadth_view(snapshot: Snapshot, indexes: Sequence[IndexPrices]) -> JsonObject:
    """Return each sector's weekly share (%) of members above the 200-day average, and the index.

    Share_t = 100 * above_t / counted_t (``analytics.breadth.above_average``) at each week's
    last session, over the last BREADTH_WEEKS weeks to the briefing's session; ``all`` is the
    whole index's share.
    """
    briefing = snapshot.briefing
    provenance = Provenance.of(briefing)
    session = pd.Timestamp(briefing.as_of)
    index_blocks: list[JsonObject] = []
    weeks: list[date] = []
    for prices in indexes:
        rows = _weekly_rows(prices.dates, session, BREADTH_WEEKS)
        if not rows:
            continue
        weeks = [pd.Timestamp(prices.dates[row]).date() for row in rows]
        groups = len(prices.sectors)
        shares = np.full((groups, len(rows)), np.nan)
        totals: list[float | None] = []
        for column, row in enumerate(rows):
            counted, above = above_average(prices.prices[: row + 1], BREADTH_AVERAGE_SESSIONS)
            counted_by = group_counts(prices.codes, groups, counted)
            above_by = group_counts(prices.codes, groups, above)
            with np.errstate(divide="ignore", invalid="ignore"):
                shares[:, column] = np.where(counted_by > 0, 100.0 * above_by / counted_by, np.nan)
            all_counted = int(counted.sum())
            totals.append(
                _rounded(100.0 * int(above.sum()) / all_counted, PERCENT_DECIMALS)
                if all_counted
                else None
            )
        index_blocks.append(
            {
                "index": prices.spec.name,
                "weeks": [week.isoformat() for week in weeks],
                "all": totals,
                "sectors": [
                    {
                        "sector": sector,
                        "shares": [_rounded(v, PERCENT_DECIMALS) for v in shares[i]],
                    }
                    for i, sector in enumerate(prices.sectors)
                ],
            }
        )
    return {
        **provenance_fields(provenance),
        "view": "breadth",
        "indexes": index_blocks,
    }


def _weekly_rows(dates: pd.DatetimeIndex, session: pd.Timestamp, weeks: int) -> list[int]:
    """Return the row of each week's last session up to ``session``, the last ``weeks`` weeks."""
    end = int(dates.searchsorted(session, side="right"))
    if end == 0:
        return []
    marker = pd.DataFrame({"row": np.arange(end, dtype=float)}, index=dates[:end])
    weekly = weekly_closes(marker, dates[end - 1], weeks)
    return [int(row) for row in weekly["row"].dropna().to_numpy()]


def _thinned(weekly: pd.DataFrame) -> pd.DataFrame:
    """Keep every week of the last DENSE_WEEKS, and every THIN_STEP-th week before them."""
    if len(weekly) <= DENSE_WEEKS:
        return weekly
    older = weekly.iloc[: len(weekly) - DENSE_WEEKS]
    kept = older.iloc[::-1].iloc[::THIN_STEP].iloc[::-1]
    return pd.concat([kept, weekly.iloc[len(weekly) - DENSE_WEEKS :]])


def pairs_view(snapshot: Snapshot) -> JsonObject:
    """Return each rotation pair's lead/lag ratio over the whole history, weekly, on one axis.

    Each line is 100 * R_t / R_first for R = lead / lag at every week's last session (the
    session's own week last), from the first session where both legs close (null before it);
    the page rebases it again to the start of a zoom. Weeks older than DENSE_WEEKS are thinned
    to every THIN_STEP-th, so decades of history stay within the view's size.
    """
    briefing = snapshot.briefing
    universe = snapshot.universe
    session = pd.Timestamp(briefing.as_of)
    history = snapshot.closes.loc[:session]
    rebased_lines: dict[str, pd.Series] = {}
    missing: list[str] = []
    for pair in universe.pairs:
        lead = leg_series(history, universe, pair.lead)
        lag = leg_series(history, universe, pair.lag)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (lead / lag).replace([np.inf, -np.inf], np.nan).dropna()
        if ratio.empty:
            missing.append(pair.name)
            continue
        rebased_lines[pair.name] = rebased_ratio(lead, lag, pd.Timestamp(ratio.index[0]))
    frame = pd.DataFrame(rebased_lines).reindex(history.index)
    weekly = weekly_closes(frame, session) if rebased_lines else frame
    weekly = _thinned(weekly.dropna(how="all"))
    lines = [
        {
            "name": pair.name,
            "lead": pair.lead,
            "lag": pair.lag,
            "values": [
                _rounded(v, PERCENT_DECIMALS) for v in weekly[pair.name].to_numpy(dtype=float)
            ],
        }
        for pair in universe.pairs
        if pair.name in rebased_lines
    ]
    return {
        **provenance_fields(Provenance.of(briefing)),
        "view": "pairs",
        "weeks": [pd.Timestamp(day).date().isoformat() for day in weekly.index],
        "lines": lines,
        "missing": missing,
    }
