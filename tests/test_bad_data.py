"""Bad data through `marketbrief brief --format json`: each fault against the same data without it.

A small CSV folder (seven funds, an index of four members) is briefed clean once; each case
spoils one thing in a copy and briefs that. The bad close is named, the figures that do not
depend on it are untouched, and the exit code is 0. Universe files that make no sense are one
line and exit 2.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from briefings.calendar import sessions_in_range
from briefings.cli import main

LAST, PREVIOUS = date(2025, 12, 11), date(2025, 12, 10)
FUNDS = {"SPY": 0.010, "IWM": 0.013, "QQQ": 0.012, "RSP": 0.010, "XLK": 0.013, "XLF": 0.011}
FUNDS |= {"XLE": 0.014}
MEMBERS = {
    "AAA": ("Alpha", "Information Technology", 40.0),
    "BBB": ("Beta", "Financials", 30.0),
    "CCC": ("Gamma", "Energy", 20.0),
    "DDD": ("Delta", "Energy", 10.0),
}
UNIVERSE = """
[groups.benchmarks]
title = "Benchmarks"
members = { SPY = "S&P 500 (SPY)", QQQ = "Nasdaq-100 (QQQ)", RSP = "S&P 500 Equal Weight (RSP)" }
[groups.size]
title = "Size"
members = { IWM = "Russell 2000 (IWM)" }
[groups.sectors]
title = "Sectors"
members = { XLK = "Technology", XLF = "Financials", XLE = "Energy" }
[[pairs]]
name = "Small vs large"
lead = "IWM"
lag = "SPY"
[[pairs]]
name = "Equal vs cap weight"
lead = "RSP"
lag = "SPY"
[indexes.sp500]
name = "S&P 500"
expected_members = 4
top_n = 2
holdings = { csv = "sp500" }
[settings]
benchmark = "SPY"
low_benchmark = "SPY"
"""


def write_market(folder: Path) -> None:
    """Write the clean folder: random walks over the NYSE sessions to LAST, and members.csv."""
    index = pd.DatetimeIndex(sessions_in_range(date(2024, 10, 1), LAST), name="Date")
    members = folder / "sp500"
    members.mkdir(parents=True)
    walks = {t: (folder, v) for t, v in FUNDS.items()} | dict.fromkeys(MEMBERS, (members, 0.018))
    for seed, (ticker, (where, volatility)) in enumerate(walks.items()):
        rng = np.random.default_rng(seed)
        steps = rng.normal(0.0003, volatility, len(index))
        closes = pd.Series(100 * np.exp(np.cumsum(steps)), index=index).round(4)
        closes.rename("Close").to_csv(where / f"{ticker}.csv")
    rows = [
        f"{t},{name},{sector},{weight},2025-12-10" for t, (name, sector, weight) in MEMBERS.items()
    ]
    write_members(folder, rows)
    (folder / "universe.toml").write_text(UNIVERSE)


def write_members(folder: Path, rows: list[str]) -> None:
    text = "\n".join(["ticker,name,sector,weight,as_of", *rows]) + "\n"
    (folder / "sp500" / "members.csv").write_text(text)


def edit_close(ticker: str, day: date, change: Callable[[float], float]) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        path = next(folder.rglob(f"{ticker}.csv"))
        frame = pd.read_csv(path, dtype={"Date": str})
        row = frame.index[frame["Date"] == day.isoformat()][0]
        frame["Close"] = frame["Close"].astype(object)
        frame.loc[row, "Close"] = change(float(frame.loc[row, "Close"]))
        frame.to_csv(path, index=False)

    return spoil


def repeat_last(ticker: str, factor: float) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        path = folder / f"{ticker}.csv"
        last = path.read_text().splitlines()[-1].split(",")
        with path.open("a") as file:
            file.write(f"{last[0]},{float(last[1]) * factor}\n")

    return spoil


def members_file(text: str) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        (folder / "sp500" / "members.csv").write_text(text)

    return spoil


def weights(**changes: str) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        rows = []
        for ticker, (name, sector, weight) in MEMBERS.items():
            rows.append(f"{ticker},{name},{sector},{changes.get(ticker, weight)},2025-12-10")
        write_members(folder, rows)

    return spoil


@dataclass(frozen=True)
class Case:
    spoil: Callable[[Path], None]
    held: list[tuple[str, date, str]] = field(default_factory=list)
    """(ticker, date, reason) of every close the briefing names as held."""
    affected: frozenset[str] = frozenset()
    """Universe tickers whose figures depend on the bad data."""
    members: str = "same"
    """"same": the members' figures are untouched; "changed"; "absent"."""
    stderr: str = ""


CASES: dict[str, Case] = {
    "IWM's last date twice, the second close 1.5x": Case(
        repeat_last("IWM", 1.5), [("IWM", LAST, "conflicting")], frozenset({"IWM"})
    ),
    "SPY's last close x100": Case(
        edit_close("SPY", LAST, lambda c: c * 100),
        [("SPY", LAST, "implausible")],
        frozenset({"SPY"}),
    ),
    "XLF's last close zero": Case(
        edit_close("XLF", LAST, lambda c: 0.0), [("XLF", LAST, "not_positive")], frozenset({"XLF"})
    ),
    "XLE's last close infinite": Case(
        edit_close("XLE", LAST, lambda c: float("inf")),
        [("XLE", LAST, "not_finite")],
        frozenset({"XLE"}),
    ),
    "QQQ's close before the last x0.01, then back": Case(
        edit_close("QQQ", PREVIOUS, lambda c: c / 100),
        [("QQQ", PREVIOUS, "implausible")],
        frozenset({"QQQ"}),
    ),
    "a member's last close negative": Case(
        edit_close("BBB", LAST, lambda c: -c), [("BBB", LAST, "not_positive")], members="changed"
    ),
    "RSP's last close given twice, the same": Case(repeat_last("RSP", 1.0)),
    "members.csv empty": Case(
        members_file(""), members="absent", stderr="sp500/members.csv is empty"
    ),
    "members.csv with only its header": Case(
        members_file("ticker,name,sector,weight,as_of\n"),
        members="absent",
        stderr="sp500/members.csv lists no members",
    ),
    "a negative and a NaN weight": Case(
        weights(BBB="-3.5", DDD="nan"),
        members="changed",
        stderr="sp500/members.csv: left out 2 rows with a weight of zero or below or not a "
        "number; kept the other 2 members",
    ),
}


def run_cli(
    capsys: pytest.CaptureFixture[str], folder: Path, data: Path, argv: list[str]
) -> tuple[int, str, str]:
    """Run ``marketbrief ARGV`` in-process on the folder's universe and its own data directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETBRIEF_DATA_DIR", str(data))
        patch.setenv("MARKETBRIEF_UNIVERSE", str(folder / "universe.toml"))
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def brief(
    capsys: pytest.CaptureFixture[str], folder: Path, data: Path, *extra: str
) -> tuple[int, str, str]:
    """Run `brief --source csv:FOLDER` with the extra arguments."""
    return run_cli(capsys, folder, data, ["brief", "--source", f"csv:{folder}", *extra])


@pytest.fixture(scope="module")
def clean_market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clean") / "csv"
    write_market(folder)
    return folder


@pytest.fixture
def clean(capsys: pytest.CaptureFixture[str], clean_market: Path, tmp_path: Path) -> dict[str, Any]:
    code, out, err = brief(capsys, clean_market, tmp_path / "clean-data", "--format", "json")
    assert code == 0, err
    # A hand-made market that ends before today: the one line that says so, nothing else.
    assert [line for line in err.splitlines() if not line.startswith("note: the data ends")] == []
    payload: dict[str, Any] = json.loads(out)
    assert payload["as_of"] == LAST.isoformat()
    assert payload["quarantined"] == []
    return payload


def spoilt(clean_market: Path, tmp_path: Path, case: Case) -> Path:
    folder = tmp_path / "csv"
    shutil.copytree(clean_market, folder)
    case.spoil(folder)
    return folder


def legs(line: dict[str, Any]) -> set[str]:
    return {line["lead"], line["lag"]}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_data_is_named_and_leaves_the_other_figures_alone(
    case: Case,
    clean: dict[str, Any],
    clean_market: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = spoilt(clean_market, tmp_path, case)
    code, out, err = brief(capsys, folder, tmp_path / "data", "--format", "json")
    assert code == 0, err
    assert "Traceback" not in err
    assert case.stderr in err
    payload = json.loads(out)
    assert payload["as_of"] == clean["as_of"]
    named = [
        (q["ticker"], date.fromisoformat(q["date"]), q["reason"]) for q in payload["quarantined"]
    ]
    assert named == case.held

    for ticker, windows in clean["returns"].items():
        if ticker not in case.affected:
            assert payload["returns"][ticker] == windows, ticker
    for ticker, day, _ in case.held:
        if day == LAST and ticker in case.affected:
            assert ticker not in payload["returns"]
            assert ticker in payload["stale"]
    for before, after in zip(clean["rotation"], payload["rotation"], strict=True):
        if not legs(before) & case.affected:
            assert after == before, before["name"]
    assert [row for row in payload["sectors"] if row["ticker"] not in case.affected] == [
        row for row in clean["sectors"] if row["ticker"] not in case.affected
    ]
    if case.members == "same":
        assert payload["members"] == clean["members"]
    elif case.members == "absent":
        assert payload["members"] == []
    else:
        assert payload["members"] != clean["members"]
        assert len(payload["members"]) == 1


def test_the_held_close_is_said_in_text_html_and_chinese(
    clean_market: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = spoilt(clean_market, tmp_path, CASES["IWM's last date twice, the second close 1.5x"])
    data = tmp_path / "data"
    sentence = "IWM's 2025-12-11 close failed a sanity check and was not used"
    code, out, _ = brief(capsys, folder, data)
    assert code == 0
    said = " ".join(out.split())
    assert f"{sentence} (two different closes for the day: " in said
    code, out, _ = brief(capsys, folder, data, "--format", "html")
    assert code == 0
    assert f"<i>⚠️ {sentence}" in out
    code, out, _ = brief(capsys, folder, data, "--summary", "--format", "html")
    assert code == 0
    assert "<i>IWM&#39;s 2025-12-11 close failed a" in out
    code, out, _ = brief(capsys, folder, data, "--lang", "zh")
    assert code == 0
    assert "IWM 2025-12-11的收盘价未通过数据核查，未予采用（同一天有两个不同的收盘价：" in out


def test_the_member_weights_kept_stay_cap_weighted(
    clean_market: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = spoilt(clean_market, tmp_path, CASES["a negative and a NaN weight"])
    code, out, _ = brief(capsys, folder, tmp_path / "data", "--format", "json")
    assert code == 0
    (members,) = json.loads(out)["members"]
    assert members["count"] == 2
    assert members["cap_weighted"] is True


def test_the_operator_releases_a_held_close_and_the_briefing_uses_it(
    clean: dict[str, Any], clean_market: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = spoilt(clean_market, tmp_path, CASES["SPY's last close x100"])
    data = tmp_path / "data"
    assert brief(capsys, folder, data, "--format", "json")[0] == 0
    release = ["release", "SPY", "2025-12-10", "--source", f"csv:{folder}"]
    code, out, err = run_cli(capsys, folder, data, release)
    assert code == 2
    assert err.count("\n") == 1
    assert "no close of SPY on 2025-12-10 is held" in err
    assert "held: 2025-12-11" in err
    release[2] = "2025-12-11"
    code, out, err = run_cli(capsys, folder, data, release)
    assert code == 0, err
    assert out.startswith("released SPY 2025-12-11 close ")
    code, out, _ = brief(capsys, folder, data, "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["quarantined"] == []
    assert payload["returns"]["SPY"]["1D"] > 9_000
    assert payload["returns"]["IWM"] == clean["returns"]["IWM"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('benchmark = "SPY"', 'benchmark = "SPX"'),
            "settings.benchmark 'SPX' is none of the file's tickers",
        ),
        (
            ('low_benchmark = "SPY"', 'low_benchmark = "^GSPC"'),
            "settings.low_benchmark '^GSPC' is none of the file's tickers",
        ),
        (
            ('lead = "RSP"', 'lead = "SPY"'),
            "pair 'Equal vs cap weight' has SPY as both lead and lag",
        ),
        (("top_n = 2", "top_n = 100000"), "indexes.sp500.top_n (100000) must be below"),
        (("top_n = 2", "top_n = 4"), "must be below expected_members (4)"),
    ],
)
def test_a_universe_that_makes_no_sense_is_one_line_and_exit_2(
    clean_market: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    folder = tmp_path / "csv"
    shutil.copytree(clean_market, folder)
    universe = folder / "universe.toml"
    assert change[0] in universe.read_text()
    universe.write_text(universe.read_text().replace(*change))
    code, out, err = brief(capsys, folder, tmp_path / "data", "--format", "json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_refresh_lists_what_it_held(
    clean_market: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = spoilt(clean_market, tmp_path, CASES["SPY's last close x100"])
    code, out, err = run_cli(
        capsys, folder, tmp_path / "data", ["refresh", "--source", f"csv:{folder}"]
    )
    assert code == 0, err
    assert "stored" in out
    (line,) = [line for line in err.splitlines() if "held by the sanity check" in line]
    assert line.startswith("held by the sanity check: SPY 2025-12-11 close ")
    assert "% in one session)" in line
