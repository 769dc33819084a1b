"""Smoke-run the story benchmark so it cannot rot unnoticed (its figures are not asserted)."""

from __future__ import annotations

import pytest

from tests.perf import story


def test_the_story_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    story.main(real=False)
    out = capsys.readouterr().out
    assert "demo market (simulated)" in out
    assert "summary message" in out
    assert "story adds in all" in out
