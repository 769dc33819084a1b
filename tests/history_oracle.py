"""An independent recomputation of history figures from the CSV files, in plain pandas.

Written apart from ``briefings.history``: it reads the CSVs itself, finds each window's base
with ``Series.asof`` one session at a time, and counts with plain Python loops.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd


def read_close(folder: Path, ticker: str) -> pd.Series:
    """Return the ticker's closes from ``folder``/TICKER.csv (a leading ^ dropped)."""
    frame = pd.read_csv(folder / f"{ticker.lstrip('^')}.csv", parse_dates=["Date"])
    return frame.set_index("Date")["Close"].astype(float).sort_index()


def month_spreads(lead: pd.Series, lag: pd.Series, months: int = 1) -> pd.Series:
    """Return lead% - lag% over the calendar ``months`` ending at each common session."""
    sessions = lead.index.intersection(lag.index)
    values = {}
    for day in sessions:
        start = day - pd.DateOffset(months=months)
        lead_base, lag_base = lead.asof(start), lag.asof(start)
        if pd.isna(lead_base) or pd.isna(lag_base) or start < sessions[0]:
            continue
        values[day] = 100 * (lead[day] / lead_base - 1) - 100 * (lag[day] / lag_base - 1)
    return pd.Series(values, dtype=float)


def rank_of(figure: pd.Series, day: date) -> tuple[int, float, date | None]:
    """Return (observations, top share %, last earlier date at least as high) at ``day``."""
    sample = figure[: pd.Timestamp(day)]
    today = sample.iloc[-1]
    observations = len(sample)
    top = sum(1 for value in sample if value >= today)
    days = pd.DatetimeIndex(sample.index)[:-1]
    earlier = [when for when, value in zip(days, sample.iloc[:-1], strict=True) if value >= today]
    return observations, 100 * top / observations, earlier[-1].date() if earlier else None


def analog_count(
    figure: pd.Series, lead: pd.Series, lag: pd.Series, day: date, threshold: float
) -> tuple[int, int]:
    """Return (episodes, hits): 1M leads >= threshold since 2000, a month apart, outcome known."""
    outcomes = [outcome for _, outcome in analog_outcomes(figure, lead, lag, day, threshold)]
    return len(outcomes), sum(outcome > 0 for outcome in outcomes)


def beaten_since_low(
    lead: pd.Series, lag: pd.Series, low_index: pd.Series, day: date, lookback: int = 63
) -> tuple[date, int, int]:
    """Return (the low's date, sessions after it, sessions the lead's daily gain beat the lag's)."""
    window = low_index[: pd.Timestamp(day)].iloc[-lookback:]
    low_day = pd.DatetimeIndex(window.index)[int(window.to_numpy().argmin())]
    lead_gain = lead.pct_change()[low_day : pd.Timestamp(day)].iloc[1:]
    lag_gain = lag.pct_change()[low_day : pd.Timestamp(day)].iloc[1:]
    won = sum(1 for a, b in zip(lead_gain, lag_gain, strict=True) if a > b)
    return low_day.date(), len(lead_gain), won


def analog_outcomes(
    figure: pd.Series, lead: pd.Series, lag: pd.Series, day: date, threshold: float
) -> list[tuple[date, float]]:
    """Return each episode's (date, outcome pp): a lead's next 3 months, one a month at most."""
    found = []
    next_allowed = pd.Timestamp("2000-01-01")
    for when, value in zip(pd.DatetimeIndex(figure.index), figure, strict=True):
        end = when + pd.DateOffset(months=3)
        if when < next_allowed or value < threshold or end > pd.Timestamp(day):
            continue
        end_session = lead[:end].index[-1]
        outcome = 100 * (lead[end_session] / lead[when] - 1) - 100 * (
            lag[end_session] / lag[when] - 1
        )
        found.append((when.date(), outcome))
        next_allowed = when + pd.DateOffset(months=1)
    return found


def up_run(closes: pd.Series, day: date) -> int:
    """Return how many sessions in a row to ``day`` the close rose."""
    values = list(closes[: pd.Timestamp(day)])
    run = 0
    while run + 1 < len(values) and values[-1 - run] > values[-2 - run]:
        run += 1
    return run
