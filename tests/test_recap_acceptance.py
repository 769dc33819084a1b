"""The November 2025 recap on real closes (../shared/market-data; skipped when absent).

Every figure is checked against a plain-pandas computation from the CSV files read here.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.recap.build import RecapPeriodError, market_recap
from briefings.recap.model import Recap
from briefings.recap.render import render_recap
from briefings.render.layout import PHONE_WIDTH, display_width
from briefings.service import MarketService

pytestmark = pytest.mark.market_data

BASE, LAST, HOLDINGS_DAY = date(2025, 10, 31), date(2025, 11, 28), date(2025, 11, 18)
FACTORS = {
    "IWD": "value",
    "IWF": "growth",
    "MTUM": "momentum",
    "QUAL": "quality",
    "USMV": "min_volatility",
    "SIZE": "size",
    "SPHB": "high_beta",
    "SPLV": "low_volatility",
}


def closes(path: Path) -> pd.Series:
    frame = pd.read_csv(path, parse_dates=["Date"], index_col="Date")
    return frame["Close"].dropna()


def november(series: pd.Series) -> float:
    return float(100 * (series[pd.Timestamp(LAST)] / series[pd.Timestamp(BASE)] - 1))


def monthly_spreads(lead: pd.Series, lag: pd.Series) -> pd.Series:
    """Return each month's lead-minus-lag return from month-end closes (pp)."""
    ends = pd.DataFrame({"lead": lead, "lag": lag}).resample("ME").last()
    returns = 100 * (ends / ends.shift(1) - 1)
    return (returns["lead"] - returns["lag"]).dropna()


def top_share(spreads: pd.Series, month_end: str) -> tuple[float, int]:
    """Return 100 * #{x_t >= x_T} / N over months to ``month_end``, and N."""
    sample = spreads.loc[:month_end]
    today = sample.iloc[-1]
    return 100 * float((sample >= today).sum()) / len(sample), len(sample)


def members_figures(directory: Path) -> tuple[float, float, dict[str, float]]:
    """Return November's top 50, rest and sector returns, cap-weighted by carried weights."""
    members = pd.read_csv(directory / "sp500" / "members.csv")
    rows = []
    for member in members.itertuples():
        path = directory / "sp500" / f"{member.ticker}.csv"
        if not path.is_file():
            continue
        series = closes(path)
        at_holdings = series.loc[: pd.Timestamp(HOLDINGS_DAY)]
        base = series.get(pd.Timestamp(BASE), np.nan)
        last = series.get(pd.Timestamp(LAST), np.nan)
        if at_holdings.empty or not np.isfinite(base) or not np.isfinite(last):
            continue
        weight = member.weight * base / at_holdings.iloc[-1]
        rows.append((member.sector, weight, 100 * (last / base - 1)))
    frame = pd.DataFrame(rows, columns=["sector", "weight", "ret"])
    frame["top"] = frame["weight"].rank(ascending=False, method="first") <= 50

    def cap(group: pd.DataFrame) -> float:
        return float((group["weight"] * group["ret"]).sum() / group["weight"].sum())

    sectors = {str(name): cap(group) for name, group in frame.groupby("sector")}
    return cap(frame[frame["top"]]), cap(frame[~frame["top"]]), sectors


@pytest.fixture(scope="module")
def recap(real_service: MarketService) -> Recap:
    return market_recap(real_service, "month", date(2025, 11, 1))


def test_november_equal_weight_and_small_caps_with_their_rank(
    recap: Recap, market_data_dir: Path
) -> None:
    spy, rsp, iwm = (closes(market_data_dir / f"{t}.csv") for t in ("SPY", "RSP", "IWM"))
    pairs = {pair.key: pair for pair in recap.pairs}
    equal = pairs["equal_vs_cap"]
    assert equal.lead_return == pytest.approx(november(rsp), abs=1e-9)
    assert equal.lag_return == pytest.approx(november(spy), abs=1e-9)
    assert equal.spread > 0  # equal weight beat cap weight
    share, count = top_share(monthly_spreads(rsp, spy), "2025-11-30")
    assert equal.rank is not None
    assert equal.rank.top_share == pytest.approx(share)
    assert equal.rank.observations == count
    small = pairs["small_vs_large"]
    assert small.spread == pytest.approx(november(iwm) - november(spy), abs=1e-9)
    share, count = top_share(monthly_spreads(iwm, spy), "2025-11-30")
    assert small.rank is not None
    assert small.rank.top_share == pytest.approx(share)
    assert small.rank.observations == count


def test_november_top_50_fell_while_the_rest_rose_and_sectors_from_members(
    recap: Recap, market_data_dir: Path
) -> None:
    top, rest, sectors = members_figures(market_data_dir)
    split = next(pair for pair in recap.pairs if pair.key == "top_vs_rest")
    assert split.lead_return == pytest.approx(top, abs=1e-6)
    assert split.lag_return == pytest.approx(rest, abs=1e-6)
    assert top < 0 < rest
    assert split.rank is not None
    assert split.rank.members_sample
    best, worst = recap.sectors
    assert (best.key, best.sector) == ("best", "Health Care")
    assert (worst.key, worst.sector) == ("worst", "Information Technology")
    assert best.return_pct == pytest.approx(sectors["Health Care"], abs=1e-6)
    assert worst.return_pct == pytest.approx(sectors["Information Technology"], abs=1e-6)
    assert max(sectors, key=sectors.__getitem__) == "Health Care"
    assert min(sectors, key=sectors.__getitem__) == "Information Technology"


def test_november_factors_order_is_the_csvs(recap: Recap, market_data_dir: Path) -> None:
    returns = {
        factor: november(closes(market_data_dir / f"{ticker}.csv"))
        for ticker, factor in FACTORS.items()
    }
    assert recap.factor_order == tuple(sorted(returns, key=lambda f: -returns[f]))
    # What the data says: low volatility first, value second (ahead of growth by far), growth last.
    assert recap.factor_order[:2] == ("low_volatility", "value")
    assert recap.factor_order[-1] == "growth"
    first, last = recap.factors
    spy = november(closes(market_data_dir / "SPY.csv"))
    assert first.spread == pytest.approx(returns["low_volatility"] - spy, abs=1e-9)
    assert last.spread == pytest.approx(returns["growth"] - spy, abs=1e-9)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_november_summary_fits_a_phone_and_says_every_fact(recap: Recap, lang: str) -> None:
    text = render_recap(recap, "summary", lang)
    assert max(map(display_width, text.splitlines())) <= PHONE_WIDTH
    for figure in ("+1.7", "-1.8", "+10.1%", "-4.3%", "+3.8%", "-1.9%"):
        assert figure in text
    html = render_recap(recap, "html", lang)
    shown = unescape(re.sub(r"<[^>]+>", "", html))
    assert max(map(display_width, shown.splitlines())) <= PHONE_WIDTH
    # Escaped for Telegram HTML (shown as "S&P 500"); the index by its Chinese name in Chinese.
    assert ("S&amp;P 500" if lang == "en" else "标普500") in html


def test_a_month_the_data_has_not_finished_is_refused(real_service: MarketService) -> None:
    with pytest.raises(RecapPeriodError, match="2026-08 is not complete yet"):
        market_recap(real_service, "month", date(2026, 8, 1))
