"""The default session when tickers end on different dates: a CSV folder with uneven ends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.build import BriefingInputError, build_briefing, latest_session_of
from briefings.cli import main
from briefings.service import MarketService
from briefings.universe import load_universe

SPY_END = date(2025, 11, 21)  # a Friday
RUT_END = date(2025, 12, 12)  # three weeks later, as ^RUT runs past the rest in real data
XLK_END = date(2025, 11, 7)


def write_folder(folder: Path) -> dict[str, pd.Series]:
    """Write SPY, IWM (to SPY_END), RUT.csv (^RUT, to RUT_END) and XLK (to XLK_END)."""
    ends = {"SPY": SPY_END, "IWM": SPY_END, "RUT": RUT_END, "XLK": XLK_END}
    series = {}
    for seed, (name, end) in enumerate(ends.items()):
        index = pd.bdate_range("2024-01-02", end, name="Date")
        rng = np.random.default_rng(seed)
        closes = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index)))), index=index)
        closes.rename("Close").to_csv(folder / f"{name}.csv")
        series[name] = closes
    return series


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_default_session_is_the_benchmarks_last_close(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = write_folder(tmp_path)
    code, out, err = run_cli(capsys, "brief", "--source", f"csv:{tmp_path}", "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["as_of"] == SPY_END.isoformat()
    # ^RUT's later closes are not used: its 1D return is the one of SPY's last session.
    rut = series["RUT"]
    expected = 100 * (rut.loc[:"2025-11-21"].iloc[-1] / rut.loc[:"2025-11-20"].iloc[-1] - 1)
    assert payload["returns"]["^RUT"]["1D"] == pytest.approx(expected, abs=1e-4)
    assert payload["returns"]["SPY"]["1D"] is not None
    # XLK stopped two weeks earlier: stale, with the date of its last close.
    assert "XLK" in payload["stale"]
    assert "^RUT" not in payload["stale"]
    assert payload["stale_last_close"]["XLK"] == XLK_END.isoformat()
    assert "MDY" in payload["stale"]
    assert "MDY" not in payload["stale_last_close"]


def test_the_text_says_in_one_statement_which_tickers_are_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_folder(tmp_path)
    code, out, err = run_cli(capsys, "brief", "--source", f"csv:{tmp_path}")
    assert code == 0, err
    assert "close of Fri 21 Nov 2025" in out
    behind = " ".join(out[out.index("Behind, no close on 2025-11-21: ") :].split("\n\n")[0].split())
    assert "XLK (last close 2025-11-07); no data for RSP, QQQ, ^GSPC" in behind
    assert "MDY" in behind
    assert "^RUT" not in behind
    # Every line fits 80 columns but the last, which names the folder given.
    assert [line for line in out.splitlines()[:-1] if len(line) > 80] == []


def test_a_csv_folder_behind_the_calendar_and_without_a_file_is_said_in_its_own_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_folder(tmp_path)
    code, _, err = run_cli(capsys, "brief", "--source", f"csv:{tmp_path}")
    assert code == 0, err
    missing = next(line for line in err.splitlines() if line.startswith("warning: no csv:"))
    assert f"no such TICKER.csv in {tmp_path}" in missing
    assert "marketbrief refresh" not in missing  # a refresh cannot make a file appear
    assert "note: the data ends on 2025-11-21; the last completed session is " in err
    code, _, err = run_cli(capsys, "brief", "--source", f"csv:{tmp_path}", "--as-of", "2025-11-21")
    assert "the data ends on" not in err  # a replayed session is not behind


def test_a_date_after_the_benchmarks_end_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_folder(tmp_path)
    code, _, err = run_cli(capsys, "brief", "--source", f"csv:{tmp_path}", "--as-of", "2025-12-12")
    assert code == 2
    assert err.strip() == "marketbrief: error: no data for 2025-12-12; the data ends 2025-11-21"


def test_without_the_benchmark_most_of_the_universe_decides() -> None:
    universe = load_universe()
    ends = {"QQQ": date(2025, 11, 21), "IWM": date(2025, 11, 21), "^RUT": date(2025, 12, 12)}
    assert latest_session_of(ends, universe) == date(2025, 11, 21)
    ends["XLK"] = date(2025, 12, 12)  # two of four end late: no majority through 12 Dec
    assert latest_session_of(ends, universe) == date(2025, 11, 21)
    ends["XLE"] = date(2025, 12, 12)  # three of five do
    assert latest_session_of(ends, universe) == date(2025, 12, 12)
    assert latest_session_of({**ends, "SPY": date(2025, 10, 31)}, universe) == date(2025, 10, 31)
    assert latest_session_of({}, universe) is None


def test_a_frame_without_the_benchmark_briefs_on_the_majoritys_session() -> None:
    universe = load_universe()
    index = pd.bdate_range("2025-01-02", "2025-12-12", name="date")
    closes = pd.DataFrame(
        np.linspace(100.0, 120.0, len(index))[:, None].repeat(3, axis=1),
        index=index,
        columns=["QQQ", "IWM", "^RUT"],
    )
    closes.loc["2025-11-24":, ["QQQ", "IWM"]] = np.nan
    briefing = build_briefing(
        closes, universe, as_of=None, source="t", simulated=False, data_version="v"
    )
    assert briefing.as_of == date(2025, 11, 21)
    assert briefing.returns["^RUT"]["1D"] is not None
    with pytest.raises(BriefingInputError, match="the data ends 2025-11-21"):
        build_briefing(
            closes, universe, as_of=date(2025, 12, 1), source="t", simulated=False, data_version="v"
        )


@pytest.mark.market_data
def test_on_the_development_data_the_session_is_spys_last_close(
    real_service: MarketService,
) -> None:
    service = real_service  # refreshed on 2026-08-24, after every file's last close
    assert service.store.last_dates(service.source_name)["^RUT"] == date(2026, 8, 21)
    briefing = service.snapshot().briefing
    # ^RUT runs three weeks past the rest: the briefing is SPY's last session, not ^RUT's.
    assert briefing.as_of == date(2026, 7, 31)
    assert briefing.returns["SPY"]["1D"] is not None
    assert briefing.returns["^RUT"]["1D"] is not None
    assert briefing.stale_last_close == {"^GSPC": date(2026, 7, 10), "^NDX": date(2026, 7, 10)}
    assert "MDY" in briefing.stale
    assert service.freshness().last_session == date(2026, 7, 31)
    # "Since the low" holds every ticker with data: transports and airlines included.
    low = briefing.since_low
    assert low is not None
    tickers = {row.ticker for row in low.returns}
    assert {"IYT", "JETS", "XLK", "AAPL", "basket:cyclicals"} <= tickers
    assert {"IYT", "JETS"} <= {row.ticker for row in low.highlights}
    assert "XLK" not in {row.ticker for row in low.highlights}
