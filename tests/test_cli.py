"""The marketbrief command line: output, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefings.cli import main

# The commands run on a data dir that holds the demo market already refreshed (once per run);
# the refresh test starts from an empty one.
pytestmark = pytest.mark.usefixtures("demo_data")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_brief_on_demo_prints_a_labelled_briefing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "brief", "--source", "demo")
    assert code == 0, err
    assert "SIMULATED DATA" in out
    assert "Rotation" in out
    assert "Sectors" in out


def test_brief_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "brief",
        "--source",
        "demo",
        "--format",
        "json",
        "--as-of",
        "2025-11-20",
        "--since",
        "2025-10-31",
        "--period",
        "ytd",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["as_of"] == "2025-11-20"
    assert payload["simulated"] is True
    assert payload["period"] == "YTD"
    assert set(payload["returns"]["SPY"]) == {"1D", "1W", "MTD", "1M", "3M", "YTD", "1Y"}
    assert payload["since"]["date"] == "2025-10-31"
    assert [row["return"] for row in payload["sectors"]] == sorted(
        (row["return"] for row in payload["sectors"]), reverse=True
    )
    for key in ("rotation", "highs", "stale", "breadth", "streaks"):
        assert key in payload


def test_as_of_on_a_weekend_uses_the_session_before(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "brief", "--source", "demo", "--format", "json", "--as-of", "2025-11-23"
    )
    assert code == 0
    assert json.loads(out)["as_of"] == "2025-11-21"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["brief", "--source", "nasdaq"], "nasdaq"),
        (["brief", "--source", "csv:/no/such/dir"], "/no/such/dir"),
        (["brief", "--source", "demo", "--as-of", "1990-01-02"], "1990-01-02"),
        (["brief", "--source", "demo", "--as-of", "20-11-2025"], "YYYY-MM-DD"),
        (["brief", "--source", "demo", "--period", "2W"], "window"),
        (["brief", "--source", "demo", "--format", "xml"], "xml"),
        (["sectors", "--source", "demo", "--since", "2025-01-01"], "--since"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err
    assert "Traceback" not in err


def test_sectors_and_rotation_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sectors", "--source", "demo", "--period", "1m")
    assert code == 0
    assert "Sectors, the past month (1M)" in out
    code, out, _ = run_cli(capsys, "rotation", "--source", "demo", "--format", "html")
    assert code == 0
    assert "<b>" in out


def test_refresh_is_incremental(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(tmp_path / "empty"))
    code, out, _ = run_cli(capsys, "refresh", "--source", "demo")
    assert code == 0
    assert "stored" in out
    code, out, _ = run_cli(capsys, "refresh", "--source", "demo")
    assert code == 0
    assert "already up to date" in out


def test_csv_source_replays_real_sessions(
    capsys: pytest.CaptureFixture[str], market_data_dir: Path
) -> None:
    code, out, err = run_cli(
        capsys,
        "brief",
        "--source",
        f"csv:{market_data_dir}",
        "--format",
        "json",
        "--as-of",
        "2025-12-31",
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["simulated"] is False
    assert payload["as_of"] == "2025-12-31"
    # Tickers the shared folder lacks are reported stale, not invented.
    assert "MDY" in payload["stale"]
    assert "SPY" not in payload["stale"]


@pytest.mark.parametrize("argv", [["rrg"], ["rrg", "pairs"], ["pairs"], ["sectors"]])
def test_chart_writes_a_png(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    target = tmp_path / "out" / "chart.png"
    code, out, err = run_cli(
        capsys, "chart", *argv, "-o", str(target), "--source", "demo", "--as-of", "2025-11-20"
    )
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "2025-11-20" in out


def test_chart_rrg_takes_a_tail_length(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    short, default = tmp_path / "short.png", tmp_path / "default.png"
    for target, extra in ((short, ["--tail", "2"]), (default, [])):
        code, _, err = run_cli(
            capsys,
            "chart",
            "rrg",
            *extra,
            "-o",
            str(target),
            "--source",
            "demo",
            "--as-of",
            "2025-11-20",
        )
        assert code == 0, err
    assert short.read_bytes() != default.read_bytes()


@pytest.mark.parametrize("tail", ["0", "27", "five"])
def test_a_bad_tail_length_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tail: str
) -> None:
    code, out, err = run_cli(
        capsys, "chart", "rrg", "--tail", tail, "-o", "x.png", "--source", "demo"
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert f"{tail!r} is not a tail length; use 1 to 26 weeks" in err


def test_chart_of_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "chart", "pie", "-o", "x.png", "--source", "demo")
    assert code == 2
    assert "pie" in err


def test_chart_breadth_writes_the_sector_breadth_png(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "breadth.png"
    code, out, err = run_cli(
        capsys, "chart", "breadth", "--source", "demo", "--as-of", "2025-11-20", "-o", str(target)
    )
    assert code == 0, err
    assert target.read_bytes().startswith(b"\x89PNG")
    assert "session 2025-11-20" in out


def test_brief_json_lists_the_simulated_members(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "brief", "--source", "demo", "--format", "json")
    assert code == 0
    (members,) = json.loads(out)["members"]
    assert members["index"] == "sp500"
    assert members["simulated"] is True
    assert members["count"] == members["with_data"] == 500


def test_breadth_and_movers_print_the_members_views(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "breadth", "--source", "demo", "--as-of", "2025-11-20")
    assert code == 0, err
    assert "Member breadth, close of 2025-11-20" in out
    assert "SIMULATED" in out
    code, out, _ = run_cli(capsys, "breadth", "health", "care", "--source", "demo")
    assert code == 0
    assert "Health Care: member breadth" in out
    code, out, _ = run_cli(capsys, "movers", "--source", "demo", "--period", "1w")
    assert code == 0
    assert "Member movers, the past week (1W)" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_breadth_of_an_unknown_sector_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "breadth", "bananas", "--source", "demo")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "no sector called 'bananas'" in err
