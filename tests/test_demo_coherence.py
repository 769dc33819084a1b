"""The demo market tells one story: its members add up to its sector ETFs and to SPY."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from briefings.members.demo import demo_holdings
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from tests.sweeps.demo_coherence import (
    BENCHMARK,
    Coherence,
    assert_coherent,
    coherence,
    demo_service,
    run,
    sector_etfs,
    spearman,
)

README = Path(__file__).resolve().parents[1] / "README.md"
#: A sample of the sweep's sessions: its first and last, a month end, a rotation episode.
SAMPLE = [date(2025, 8, 4), date(2025, 12, 11), date(2026, 3, 31), date(2026, 7, 31)]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> MarketService:
    """Return the demo market refreshed through 2026-07-31, once for this module."""
    return demo_service(tmp_path_factory.mktemp("demo-coherence"))


@pytest.mark.parametrize("session", SAMPLE)
def test_members_rank_sectors_like_the_etfs_and_add_up_to_spy(
    service: MarketService, session: date
) -> None:
    assert_coherent(coherence(service, session))


def independent_figures(session: date) -> tuple[dict[str, float], float, float]:
    """Return members' 1M cap-weighted sector and index returns and SPY's, straight from closes.

    Buy and hold from the base session b: sum_i w_i P_i(t)/P_i(h) / sum_i w_i P_i(b)/P_i(h) - 1,
    with w_i the weights on the holdings' day h; b is the last session a calendar month back.
    """
    holdings = demo_holdings("sp500")
    assert holdings.as_of is not None
    tickers = list(holdings.tickers)
    closes = DemoSource().fetch(["SPY", *tickers], date(2024, 12, 1), session).closes
    base = closes.loc[: pd.Timestamp(session) - pd.DateOffset(months=1)].index[-1]
    held = pd.Series({m.ticker: m.weight for m in holdings.members}, dtype=float)
    sectors = pd.Series({m.ticker: m.sector for m in holdings.members})
    shares = held / closes.loc[pd.Timestamp(holdings.as_of), tickers]
    now = (shares * closes.loc[pd.Timestamp(session), tickers]).groupby(sectors).sum()
    then = (shares * closes.loc[base, tickers]).groupby(sectors).sum()
    by_sector = {str(sector): float(value) for sector, value in (100 * (now / then - 1)).items()}
    index = float(100 * (now.sum() / then.sum() - 1))
    spy = float(100 * (closes.loc[pd.Timestamp(session), "SPY"] / closes.loc[base, "SPY"] - 1))
    return by_sector, index, spy


@pytest.mark.parametrize("session", [date(2025, 12, 11), date(2026, 7, 31)])
def test_the_product_figures_match_a_plain_computation_from_closes(
    service: MarketService, session: date
) -> None:
    found = coherence(service, session)
    by_sector, index, spy = independent_figures(session)

    assert found.members_by_sector == pytest.approx(by_sector, abs=1e-9)
    assert found.index_gap_pp == pytest.approx(index - spy, abs=1e-9)
    etfs = DemoSource().fetch(list(sector_etfs(service).values()), date(2025, 1, 2), session)
    base = etfs.closes.loc[: pd.Timestamp(session) - pd.DateOffset(months=1)].index[-1]
    from_etfs = {
        sector: 100 * (etfs.closes[etf].iloc[-1] / etfs.closes.loc[base, etf] - 1)
        for sector, etf in sector_etfs(service).items()
    }
    assert found.etfs_by_sector == pytest.approx(from_etfs, abs=1e-9)


def test_the_bounds_fail_a_session_whose_members_disagree() -> None:
    def found(rho: float, gap: float) -> Coherence:
        return Coherence(date(2025, 12, 11), rho, gap, {}, {})

    assert_coherent(found(0.9, -0.5))
    with pytest.raises(AssertionError, match=r"rank correlation 0\.891"):
        assert_coherent(found(0.891, 0.0))
    with pytest.raises(AssertionError, match=r"\+0\.51 pp"):
        assert_coherent(found(1.0, 0.51))
    assert spearman([3.0, 1.0, 2.0], [30.0, 10.0, 20.0]) == pytest.approx(1.0)
    assert spearman([3.0, 1.0, 2.0], [10.0, 30.0, 20.0]) == pytest.approx(-1.0)


def test_the_readmes_since_example_shows_cyclicals_running_ahead(service: MarketService) -> None:
    text = README.read_text()
    command = re.search(r"--as-of (\S+) --since (\S+)", text)
    assert command is not None
    assert "cyclicals had run ahead" in text
    as_of, since = (date.fromisoformat(value) for value in command.groups())

    figures = service.snapshot(as_of=as_of, since=since).briefing.since
    assert figures is not None
    returns = {row.ticker: row.return_pct for row in figures.returns}

    ahead_of_the_market = returns["basket:cyclicals"] - returns[BENCHMARK]
    ahead_of_tech = returns["basket:cyclicals"] - returns["basket:megacap_tech"]
    assert ahead_of_the_market > 5.0, returns
    assert ahead_of_tech > 5.0, returns


def test_the_sweep_refuses_a_range_without_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--from", "2025-12-27", "--to", "2025-12-28"]) == 2
    assert "no sessions from 2025-12-27 to 2025-12-28" in capsys.readouterr().err
