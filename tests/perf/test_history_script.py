"""Smoke-run the history benchmark so it cannot rot unnoticed (its figures are not asserted)."""

from __future__ import annotations

import pytest

from tests.perf import history


def test_the_history_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    history.main(every=2000)
    out = capsys.readouterr().out
    assert "one-off per data version" in out or "no real market data" in out
