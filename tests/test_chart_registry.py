"""The chart registry: every kind has a spec, and every spec renders, sums up and keys its chart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date

import pytest

from briefings.charts import (
    CHART_KINDS,
    CHARTS,
    ChartKind,
    ChartSummary,
    chart_key,
    chart_summary,
    render_chart,
)
from briefings.snapshot import Snapshot
from tests.test_charts import EXPECTED_SIZE, demo_chart, demo_snapshot, png_size

#: Options every kind is asked with, each unlike its default.
OTHER_OPTIONS = {"window": "1W", "start": date(2025, 9, 2), "tail_weeks": 7}


@pytest.fixture
def demo() -> Snapshot:
    return demo_snapshot()


def test_the_registry_holds_every_kind_once_in_order() -> None:
    assert tuple(CHARTS) == CHART_KINDS
    assert all(spec.kind == kind for kind, spec in CHARTS.items())


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_every_registered_kind_renders_sums_up_and_keys(demo: Snapshot, kind: ChartKind) -> None:
    image = demo_chart(kind)
    summary = chart_summary(demo, kind)
    key = chart_key(demo, kind)
    other_key = chart_key(demo, kind, **OTHER_OPTIONS)  # type: ignore[arg-type]

    assert png_size(image) == EXPECTED_SIZE[kind]
    assert isinstance(summary, ChartSummary)
    assert key.kind == kind
    used = {name for name, _ in key.arguments}
    assert used <= set(OTHER_OPTIONS)
    # The key changes exactly when an option the chart uses changes.
    assert (other_key != key) == bool(used)


def test_keys_of_different_kinds_differ(demo: Snapshot) -> None:
    keys = {chart_key(demo, kind) for kind in CHART_KINDS}

    assert len(keys) == len(CHART_KINDS)


@pytest.mark.parametrize("ask", [render_chart, chart_summary, chart_key])
def test_an_unregistered_kind_is_refused_by_name(
    demo: Snapshot, ask: Callable[[Snapshot, str], object]
) -> None:
    with pytest.raises(ValueError, match=r"unknown chart 'pie'; use one of rrg-sectors"):
        ask(demo, "pie")


def test_keys_and_summaries_do_not_import_matplotlib() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from briefings.build import build_briefing\n"
        "from briefings.charts import CHART_KINDS, chart_key, chart_summary\n"
        "from briefings.snapshot import Snapshot\n"
        "from briefings.sources.demo import DemoSource\n"
        "from briefings.universe import load_universe\n"
        "assert 'matplotlib' not in sys.modules, 'imported with the package'\n"
        "universe, day = load_universe(), date(2025, 11, 20)\n"
        "closes = DemoSource().fetch(universe.tickers, None, day).closes\n"
        "briefing = build_briefing(closes, universe, as_of=day, source='demo', simulated=True,\n"
        "    data_version='v1')\n"
        "snapshot = Snapshot(briefing, universe, closes)\n"
        "for kind in CHART_KINDS:\n"
        "    chart_key(snapshot, kind)\n"
        "    chart_summary(snapshot, kind)\n"
        "assert 'matplotlib' not in sys.modules, 'imported for a key or a summary'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
