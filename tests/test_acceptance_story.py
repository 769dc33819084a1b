"""The story on real closes (../shared/market-data; skipped when a clone lacks the folder).

Figures are checked against the CSV files read here, not against the briefing's own numbers.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings.model import Briefing, Story
from briefings.render.briefing_json import briefing_to_json
from briefings.render.templates import fact_words
from briefings.render.views import render_summary
from briefings.service import MarketService
from tests.sweeps.story import check_story
from tests.test_story import assert_numbers_are_figures

pytestmark = pytest.mark.market_data


def closes(directory: Path, ticker: str) -> pd.Series:
    frame = pd.read_csv(directory / f"{ticker}.csv", parse_dates=["Date"], index_col="Date")
    return frame["Close"].dropna()


def change(series: pd.Series, start: date, end: date) -> float:
    """Return 100 * (close on ``end`` / last close on or before ``start`` - 1)."""
    base = series.loc[: pd.Timestamp(start)].iloc[-1]
    return float(100 * (series.loc[pd.Timestamp(end)] / base - 1))


def is_record(series: pd.Series, day: date) -> bool:
    history = series.loc[: pd.Timestamp(day)]
    return bool(history.iloc[-1] >= history.iloc[:-1].max())


def told_at(service: MarketService, day: date) -> tuple[Briefing, Story]:
    """Return the service's briefing of ``day`` and the story it tells."""
    briefing = service.snapshot(as_of=day).briefing
    assert briefing.story is not None
    return briefing, briefing.story


def told(briefing: Briefing) -> dict[str, str]:
    assert briefing.story is not None
    return {t.id: fact_words(t) for t in briefing.story.takeaways}


def test_december_11_is_a_broadening_rally_with_records(
    real_service: MarketService, market_data_dir: Path
) -> None:
    day = date(2025, 12, 11)
    briefing, story = told_at(real_service, day)
    # IWM, IWC and RSP closed at records.
    for ticker in ("IWM", "IWC", "RSP"):
        assert is_record(closes(market_data_dir, ticker), day)
    # The verdict rests on the 1M spreads, measured here from the files.
    month_ago = date(2025, 11, 11)
    for lead, lag in (("IWM", "SPY"), ("RSP", "SPY"), ("IWD", "IWF")):
        spread = change(closes(market_data_dir, lead), month_ago, day) - change(
            closes(market_data_dir, lag), month_ago, day
        )
        assert spread >= 1.0, (lead, lag, spread)
    assert story.verdict.id == "broadening"
    assert fact_words(story.verdict).startswith(
        "Broadening for 2 sessions, since Dec 10: cyclicals +6.5 pp, small caps +4.6 pp"
    )
    takeaways = told(briefing)
    assert next(iter(takeaways)) == "records"
    records = story.takeaways[0]
    for ticker, name in (("IWM", "Russell 2000"), ("IWC", "micro caps"), ("RSP", "equal weight")):
        assert ticker in records.subjects
        assert name in takeaways["records"]
    since = takeaways["since_low_vs_spy"]
    for ticker, label in (("IWC", "micro caps"), ("IWM", "small caps"), ("SPY", "the S&P 500")):
        measured = change(closes(market_data_dir, ticker), date(2025, 11, 20), day)
        assert f"{label} {measured:+.1f}%" in since
    # The summary leads with it: the verdict is its second line, the records right after the day.
    summary = render_summary(briefing, "text")
    assert "Broadening" in summary.splitlines()[2]


def test_november_28_reads_the_month_rightly(
    real_service: MarketService, market_data_dir: Path
) -> None:
    day = date(2025, 11, 28)
    briefing, story = told_at(real_service, day)
    takeaways = told(briefing)
    # November: health care led the sectors and technology came last (the report's figures).
    xlv = change(closes(market_data_dir, "XLV"), date(2025, 10, 31), day)
    xlk = change(closes(market_data_dir, "XLK"), date(2025, 10, 31), day)
    assert takeaways["sector_leader"].startswith(
        f"Best sector month to date: Health Care {xlv:+.1f}%"
    )
    assert takeaways["sector_laggard"].startswith(
        f"Worst sector month to date: Technology {xlk:+.1f}%"
    )
    # Value beat growth and equal weight beat cap weight over the month: no contrary claim.
    value = change(closes(market_data_dir, "IWD"), date(2025, 10, 28), day) - change(
        closes(market_data_dir, "IWF"), date(2025, 10, 28), day
    )
    assert value > 0
    assert "growth beat value" not in " ".join(takeaways.values())
    assert story.verdict.id in ("broadening", "mixed")
    assert "value" in fact_words(story.verdict)


@pytest.mark.parametrize("day", [date(2025, 11, 28), date(2025, 12, 11), date(2025, 4, 8)])
def test_every_number_is_a_figure_of_the_json_and_the_summary_fits_a_phone(
    real_service: MarketService, day: date
) -> None:
    briefing, story = told_at(real_service, day)
    payload = briefing_to_json(briefing)
    assert 3 <= len(payload["takeaways"]) <= 9
    for takeaway in story.takeaways:
        assert_numbers_are_figures(takeaway)
    html = render_summary(briefing, "html")
    visible = [re.sub(r"<[^>]+>", "", line).replace("&amp;", "&") for line in html.splitlines()]
    assert len(visible) <= 26
    assert max(len(line) for line in visible) <= 40


def test_the_tariff_low_does_not_open_with_rows_of_zeros(real_service: MarketService) -> None:
    briefing, story = told_at(real_service, date(2025, 4, 8))
    summary = render_summary(briefing, "html")
    assert "+0.0%" not in "\n".join(summary.splitlines()[:12])
    assert not any(t.id.startswith("since_low") for t in story.takeaways)


@pytest.mark.parametrize(
    "session",
    [date(2025, 1, 2), date(2025, 10, 1), date(2025, 12, 31), date(2026, 7, 31)],
    ids=str,
)
def test_sampled_sessions_tell_a_consistent_story(
    real_service: MarketService, session: date
) -> None:
    # Every session of 2025-2026 is checked by the sweep ``python -m tests.sweeps.story``.
    check_story(real_service, session)


def members_frame(directory: Path, day: date) -> pd.DataFrame:
    """Return the S&P 500 members with their weight, sector and closes up to ``day``."""
    listed = pd.read_csv(directory / "sp500" / "members.csv")
    rows = []
    for member in listed.itertuples():
        series = closes(directory / "sp500", str(member.ticker)).loc[: pd.Timestamp(day)]
        rows.append((member.ticker, member.sector, member.weight, member.as_of, series))
    return pd.DataFrame(rows, columns=["ticker", "sector", "weight", "as_of", "closes"])


def test_november_28_members_say_the_top_50_lagged_the_rest(
    real_service: MarketService, market_data_dir: Path
) -> None:
    day = date(2025, 11, 28)
    told_now = told(real_service.snapshot(as_of=day).briefing)
    frame = members_frame(market_data_dir, day)
    base = pd.Timestamp(date(2025, 10, 31))
    at_base = frame["closes"].map(lambda s: float(s.loc[:base].iloc[-1]))
    at_holdings = [
        float(s.loc[: pd.Timestamp(as_of)].iloc[-1])
        for s, as_of in zip(frame["closes"], frame["as_of"], strict=True)
    ]
    weight = frame["weight"] * at_base / at_holdings  # the weight carried back to the base
    change_pct = 100 * (frame["closes"].map(lambda s: float(s.iloc[-1])) / at_base - 1)
    top = weight.sort_values(ascending=False).index[:50]
    rest = weight.index.difference(top)

    def cap_weighted(rows: pd.Index) -> float:
        return float((weight[rows] * change_pct[rows]).sum() / weight[rows].sum())

    top_pct, rest_pct = cap_weighted(top), cap_weighted(rest)
    assert top_pct == pytest.approx(-0.4, abs=0.1)
    assert rest_pct == pytest.approx(1.4, abs=0.1)
    said = f"Month to date: top 50 of the S&P 500 {top_pct:+.1f}%, the other 441 {rest_pct:+.1f}%"
    assert told_now["top_vs_rest_mtd"].startswith(said)
    # Ranked in the members' own short sample, and the sentence says so.
    assert told_now["top_vs_rest_mtd"].endswith("since 2023 (members' data)")


def cap_weighted_change(weights: pd.Series, change: pd.Series, group: pd.Index) -> float:
    """Return sum w r / sum w over the group's members with both a weight and a change."""
    both = (weights[group].notna() & change[group].notna()).to_numpy()
    chosen = group[both]
    return float((weights[chosen] * change[chosen]).sum() / weights[chosen].sum())


def month_to_date_gaps(frame: pd.DataFrame, top_n: int = 50) -> pd.Series:
    """Return the top N's cap-weighted month-to-date gap over the rest at every session.

    Month by month: the base is the previous month's last session; weights are carried from
    each member's holdings date to it; the top N are the largest carried weights.
    """
    closes = pd.concat(list(frame["closes"]), axis=1, keys=list(frame["ticker"])).sort_index()
    at_holdings = pd.Series(
        [
            float(s.loc[: pd.Timestamp(a)].iloc[-1])
            for s, a in zip(frame["closes"], frame["as_of"], strict=True)
        ],
        index=list(frame["ticker"]),
    )
    weights = pd.Series(list(frame["weight"]), index=list(frame["ticker"]))
    gaps = {}
    months = pd.DatetimeIndex(closes.index).to_period("M")
    for month in sorted(set(months)):
        before = closes.index[months < month]
        if not len(before):
            continue
        base = closes.loc[before[-1]]
        carried = (weights * base / at_holdings).where(lambda w: w > 0)
        top = carried.dropna().sort_values(ascending=False).index[:top_n]
        rest = carried.index.difference(top)
        for day, row in closes[months == month].iterrows():
            change = 100 * (row / base - 1)
            gaps[day] = cap_weighted_change(carried, change, top) - cap_weighted_change(
                carried, change, rest
            )
    return pd.Series(gaps)


def test_november_28_top_50_gap_ranks_as_an_independent_count_says(
    real_service: MarketService, market_data_dir: Path
) -> None:
    day = date(2025, 11, 28)
    _, story = told_at(real_service, day)
    fact = {t.id: t for t in story.takeaways}["top_vs_rest_mtd"]
    gaps = month_to_date_gaps(members_frame(market_data_dir, day))
    sample = gaps[pd.Timestamp("2023-01-01") : pd.Timestamp(day)]
    today = sample.iloc[-1]
    assert today < 0  # the top 50 lagged: ranked among the lows
    share = 100 * float((sample <= today).sum()) / len(sample)
    assert fact.figures["history_n"] == len(sample)
    assert fact.figures["history_share_pct"] == max(1, round(share))
    assert fact.figures["history_since_year"] == 2023
    assert_numbers_are_figures(fact)


def test_november_28_members_tell_the_widest_sector_breadth(
    real_service: MarketService, market_data_dir: Path
) -> None:
    day = date(2025, 11, 28)
    told_now = told(real_service.snapshot(as_of=day).briefing)
    frame = members_frame(market_data_dir, day)
    long_enough = frame["closes"].map(len) >= 200
    above = frame["closes"].map(lambda s: bool(s.iloc[-1] > s.iloc[-200:].mean()))
    counted = frame[long_enough].assign(above=above[long_enough])
    shares = 100 * counted.groupby("sector")["above"].mean()
    index_share = 100 * counted["above"].mean()
    widest = str(shares.idxmax())
    # Health care's breadth is high (above 65 %), and one sector's is wider still.
    assert shares["Health Care"] >= 65
    assert shares[widest] >= 65
    assert shares[widest] - index_share >= 10
    assert told_now["sector_breadth"] == (
        f"{shares[widest]:.0f}% of {widest} members are above their 200-day average"
        f" (S&P 500 {index_share:.0f}%)"
    )
