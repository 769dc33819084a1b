"""marketbrief brief leads with the story; --summary prints only the summary."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import run_cli

TERMINAL_WIDTH = 80

# The commands run on a data dir that holds the demo market already refreshed (once per run).
pytestmark = pytest.mark.usefixtures("demo_data")


def test_the_text_briefing_leads_with_the_verdict_and_fits_80_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "brief", "--source", "demo", "--as-of", "2025-11-20")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[3].startswith(("Broadening", "Narrow", "Mixed"))
    story = lines[: next(i for i, line in enumerate(lines) if line.startswith("Benchmarks"))]
    assert "Takeaways" in story
    assert max(len(line) for line in story) <= TERMINAL_WIDTH


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_summary_prints_only_the_summary(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run_cli(
        capsys, "brief", "--source", "demo", "--as-of", "2025-11-20", "--summary", "--format", fmt
    )
    assert code == 0, err
    assert "Takeaways" in out or "•" in out
    assert "Benchmarks" not in out
    assert len(out.splitlines()) <= 26


def test_summary_as_json_is_a_usage_error_and_json_holds_the_story(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(capsys, "brief", "--source", "demo", "--summary", "--format", "json")
    assert code == 2
    assert err.count("\n") == 1
    code, out, _ = run_cli(capsys, "brief", "--source", "demo", "--format", "json")
    payload = json.loads(out)
    assert {"verdict", "takeaways", "changes", "day"} <= set(payload)
    assert set(payload["verdict"]) >= {"id", "text"}
    assert all(set(t) >= {"id", "text", "figures"} for t in payload["takeaways"])
    assert all(set(c) >= {"id", "text"} for c in payload["changes"])
