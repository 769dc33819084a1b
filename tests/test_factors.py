"""The factor scoreboard: the universe's [factors], the analytics and ``marketbrief factors``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.factors import factor_board
from briefings.universe import FactorSpec, UniverseError, load_universe
from tests.test_cli import run_cli


def test_the_default_universe_lists_each_factor_once_against_the_sp500() -> None:
    universe = load_universe()
    factors = [spec.factor for spec in universe.factors]
    assert len(factors) == len(set(factors)) >= 7
    assert universe.factor_benchmark == "SPY"
    assert set(universe.factor_tickers) >= {"QUAL", "USMV", "SIZE", "SPHB", "SPLV", "SPY"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[factors]\nmembers = { QUAL = 'smart' }", "one of value"),
        ("[factors]\nmembers = 3", "factors.members"),
        ("[factors]\nweights = {}", "unknown key factors.weights"),
    ],
)
def test_a_malformed_factors_table_is_one_clear_error(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "universe.toml"
    path.write_text("[groups.a]\nmembers = { SPY = 'S&P 500' }\n" + text, encoding="utf-8")
    with pytest.raises(UniverseError, match=fragment):
        load_universe(path)


def test_factors_rank_by_return_and_spread_against_the_benchmark() -> None:
    index = pd.bdate_range("2025-01-01", periods=40)
    growth = np.linspace(100, 120, 40)
    closes = pd.DataFrame(
        {"A": growth, "B": growth[::-1], "C": np.full(40, 100.0), "SPY": np.full(40, 100.0)},
        index=index,
    )
    specs = [FactorSpec("A", "value"), FactorSpec("B", "growth"), FactorSpec("C", "quality")]
    specs.append(FactorSpec("GONE", "size"))
    board = factor_board(closes, specs, "SPY", index[-1])
    assert board.missing == ("GONE",)
    assert [line.ticker for line in board.ranked("1D")] == ["A", "C", "B"]
    first = board.ranked("1D")[0]
    assert first.rank["1D"] == 1
    assert first.spread["1D"] == pytest.approx(100 * (120 / growth[-2] - 1))


@pytest.mark.usefixtures("demo_data")
def test_the_factors_command_names_the_funds_the_source_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "factors", "--source", "demo", "--period", "1m")
    assert code == 0, err
    assert "Factors, the past month (1M)" in out
    assert "SIMULATED DATA" in out
    code, out, _ = run_cli(capsys, "factors", "--source", "demo", "--lang", "zh")
    assert code == 0
    assert "因子" in out
    code, out, _ = run_cli(capsys, "factors", "--source", "demo", "--format", "json")
    document = json.loads(out)
    listed = {line["ticker"] for line in document["factors"]} | set(document["missing"])
    assert listed >= {"IWD", "IWF", "MTUM", "QUAL", "USMV", "SIZE", "SPHB", "SPLV"}
    for line in document["factors"]:
        assert set(line) == {"factor", "ticker", "returns_pct", "spread_pp", "rank"}


@pytest.mark.usefixtures("demo_data")
def test_a_bad_window_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "factors", "--source", "demo", "--period", "2M")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
