"""Smoke-run the bot benchmark scripts with tiny parameters, so they cannot rot unnoticed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.perf import (
    bot_latency,
    broadcast,
    chart_rrg,
    limiter,
    members,
    paid_broadcast,
    startup,
)
from tests.perf._harness import percentile, spread


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.99) == 7.0


def test_spread_of_an_even_sample_averages_the_middle_pair() -> None:
    figures = spread([4.0, 1.0, 3.0, 2.0])
    assert figures.median == 2.5
    assert figures.p99 == 4.0
    assert figures.count == 4


def test_bot_latency_measures_every_request(capsys: pytest.CaptureFixture[str]) -> None:
    report = bot_latency.main(["--requests", "10", "--warmup", "2"])

    for latency in (report.rotation, report.echo):
        assert latency.sent.count == latency.recorded.count == 10
        assert 0 < latency.sent.median <= latency.recorded.median
        assert latency.recorded.median <= latency.recorded.p99
    assert report.sent.median == report.rotation.sent.median / report.echo.sent.median
    assert "/rotation ÷ echo" in capsys.readouterr().out


def test_broadcast_reaches_every_chat_once(capsys: pytest.CaptureFixture[str]) -> None:
    result = broadcast.main(["--chats", "50", "--group-share", "0.2"])

    # Only what no timing can change: rates and 429 counts are the benchmark's figures to
    # read (a 429 the server answers is retried, so it can cost time but never a message).
    assert (result.chats, result.groups) == (50, 10)
    assert result.delivered == 50 * result.parts
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.outcomes == {"sent": 50}
    assert "rate ÷ enforced" in capsys.readouterr().out


def test_paid_broadcast_by_two_processes_reaches_every_chat_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = paid_broadcast.main(["--chats", "60", "--processes", "2"])

    assert result is not None
    assert result.delivered == result.paid == 60 * result.parts
    assert (result.lost, result.duplicated) == (0, 0)
    assert "deliveries/s" in capsys.readouterr().out


def test_startup_times_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    # One setting: the other ("no bytecode", a compile of pandas and PTB per run) only changes
    # the environment the same commands run in, and costs seconds a command.
    rows = startup.main(["--runs", "1", "--settings", "cached"])

    assert [(row.setting, row.command) for row in rows] == [
        ("bytecode cached", command)
        for command in [
            *startup.COMMANDS,
            "brief, cold calendar",
            startup.CPU_BRIEF,
            startup.CPU_PANDAS,
            startup.CPU_LIBRARIES,
            startup.CPU_MODULES,
            startup.CPU_PANDAS_PAUSED,
        ]
    ]
    assert all(row.seconds > 0 for row in rows)
    out = capsys.readouterr().out
    assert "bytecode cached: brief ÷ import pandas" in out
    assert "bytecode cached: like for like, import pandas with the collector as brief's" in out


def test_startup_report_gives_each_settings_ratio() -> None:
    rows = [
        startup.Row(setting, command, seconds)
        for setting, pandas_s, brief_s in (("bytecode cached", 0.4, 0.6), ("no bytecode", 1.0, 2.5))
        for command, seconds in (
            ('python -c "import pandas"', pandas_s),
            ("brief --source demo", brief_s),
        )
    ]

    lines = startup.report(rows).splitlines()

    assert lines[-2:] == [
        "bytecode cached: brief ÷ import pandas = 1.50x wall (target ≤ 1.5x)",
        "no bytecode: brief ÷ import pandas = 2.50x wall (target ≤ 1.5x)",
    ]


def test_limiter_benchmark_measures_every_chat_count(capsys: pytest.CaptureFixture[str]) -> None:
    costs = limiter.main(["--messages", "2000"])

    assert set(costs) == set(limiter.CHAT_COUNTS)
    assert all(cost > 0 for cost in costs.values())
    assert "us a message" in capsys.readouterr().out


def test_members_benchmark_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    results = members.main(["--counts", "20", "60", "--sessions", "300", "--repeat", "1"])

    assert set(results) == {0, 20, 60}
    assert results[0]["write"] > 0
    assert all(results[count]["briefing"] > 0 for count in (20, 60))
    out = capsys.readouterr().out
    for figure in ("briefing from a warm store", "refresh write", "growth 20 -> 60"):
        assert figure in out


def test_chart_rrg_without_rrg_lite_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The benchmark itself needs an RRG-Lite checkout; only its refusal can run here.
    with pytest.raises(SystemExit) as exit_info:
        chart_rrg.main(["--runs", "1"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "--rrg-lite PATH" in error


def test_chart_rrg_refuses_a_folder_that_is_not_rrg_lite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        chart_rrg.main(["--rrg-lite", str(tmp_path)])

    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"chart_rrg: {tmp_path} is not an RRG-Lite checkout (no src/init.py)\n"
    )
