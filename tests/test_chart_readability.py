"""Charts read at a glance: labels clear of each other, tails coloured like their heads.

Every box here is measured on the drawn figure (``get_window_extent`` on its renderer), the
same pixels the PNG holds.
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from briefings.analytics.rrg import RRGPoint, quadrant
from briefings.charts import (
    Provenance,
    RRGChart,
    RRGSummary,
    RRGTrail,
    chart_summary,
    rrg_chart_data,
    sectors_chart_data,
)
from briefings.charts.data import MAX_TAIL_WEEKS, default_tail_weeks
from briefings.charts.labels import boxes_overlap, overlapping_pairs
from briefings.charts.plot import rrg_figure, sector_bars_figure
from briefings.snapshot import Snapshot
from briefings.sources.csvdir import CsvDirectorySource
from briefings.sources.demo import DemoSource
from briefings.universe import load_universe
from tests.test_charts import snapshot_of

REAL_SESSIONS = (date(2025, 11, 28), date(2025, 12, 11))
DEMO_SESSIONS = (date(2025, 11, 20), date(2025, 6, 30), date(2026, 3, 31))


@cache
def demo_snapshot(session: date) -> Snapshot:
    source = DemoSource()
    closes = source.fetch(load_universe().tickers, None, session).closes
    return snapshot_of(closes, session, source.name, source.simulated)


@cache
def real_snapshot(directory: Path, session: date) -> Snapshot:
    source = CsvDirectorySource(directory)
    closes = source.fetch(load_universe().tickers, None, session).closes
    return snapshot_of(closes, session, source.name, source.simulated)


@pytest.fixture(
    params=[("demo", day) for day in DEMO_SESSIONS] + [("real", day) for day in REAL_SESSIONS],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def snapshot(request: pytest.FixtureRequest) -> Snapshot:
    """Return each demo session's snapshot, then each real one (skipped without the data)."""
    kind, session = request.param
    if kind == "demo":
        return demo_snapshot(session)
    return real_snapshot(request.getfixturevalue("market_data_dir"), session)


def rrg_data(snapshot: Snapshot, kind: str) -> RRGChart:
    return rrg_chart_data(
        snapshot.closes,
        snapshot.universe,
        "sectors" if kind == "sectors" else "pairs",
        Provenance.of(snapshot.briefing),
    )


# --- measuring the drawn figure ------------------------------------------------------------


def by_gid(axes: Axes, prefix: str) -> dict[str, object]:
    """Return the axes' artists whose gid starts with ``prefix``, by the rest of the gid."""
    return {
        str(artist.get_gid()).removeprefix(prefix): artist
        for artist in axes.get_children()
        if str(artist.get_gid()).startswith(prefix)
    }


def text_boxes(figure: Figure, prefix: str) -> dict[str, Bbox]:
    """Return the rendered extents of the texts whose gid starts with ``prefix``."""
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = {}
    for key, artist in by_gid(figure.axes[0], prefix).items():
        assert isinstance(artist, Text)
        boxes[key] = artist.get_window_extent(renderer)
    return boxes


def head_boxes(figure: Figure) -> dict[str, Bbox]:
    """Return each head marker's extent: its centre and drawn size (marker plus edge)."""
    axes = figure.axes[0]
    boxes = {}
    for key, artist in by_gid(axes, "head:").items():
        assert isinstance(artist, PathCollection)
        (cx, cy), *_ = axes.transData.transform(artist.get_offsets())
        edge_pt = float(np.asarray(artist.get_linewidth()).ravel()[0])
        size_pt = math.sqrt(float(artist.get_sizes()[0])) + edge_pt
        radius = size_pt / 2 * figure.dpi / 72.0
        boxes[key] = Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius)
    return boxes


def assert_labels_are_clear(data: RRGChart) -> None:
    figure = rrg_figure(data)
    labels = text_boxes(figure, "label:")
    titles = text_boxes(figure, "quadrant:")
    heads = head_boxes(figure)

    assert set(labels) == {trail.key for trail in data.trails} == set(heads)
    assert set(titles) == {"Leading", "Weakening", "Lagging", "Improving"}
    keys = list(labels)
    clashes = [(keys[i], keys[j]) for i, j in overlapping_pairs([labels[k] for k in keys])]
    assert clashes == [], "labels overlap each other"
    for key, box in labels.items():
        hit_titles = [name for name, title in titles.items() if boxes_overlap(box, title)]
        assert hit_titles == [], f"{key} overlaps a quadrant title"
        hit_heads = [other for other, head in heads.items() if boxes_overlap(box, head)]
        assert hit_heads == [], f"{key} overlaps a head marker"
        frame = figure.axes[0].get_window_extent()
        inside = Bbox.intersection(frame, box)
        assert inside is not None, f"{key} leaves the plot"
        assert (inside.width, inside.height) == pytest.approx((box.width, box.height))


# --- labels --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sectors", "pairs"])
def test_no_label_overlaps_a_label_a_head_or_a_quadrant_title(
    snapshot: Snapshot, kind: str
) -> None:
    assert_labels_are_clear(rrg_data(snapshot, kind))


def shown_labels(data: RRGChart) -> dict[str, str]:
    axes = rrg_figure(data).axes[0]
    return {key: str(artist.get_text()) for key, artist in by_gid(axes, "label:").items()}  # type: ignore[attr-defined]


def test_sector_labels_are_the_ticker_with_its_name_or_alone(snapshot: Snapshot) -> None:
    data = rrg_data(snapshot, "sectors")
    shown = shown_labels(data)

    for trail in data.trails:
        assert shown[trail.key] in (trail.label, f"{trail.name} ({trail.label})")


def test_labels_give_the_name_when_the_heads_have_room() -> None:
    data = synthetic_chart([(96.0, 96.0), (104.0, 104.0), (96.0, 104.0), (104.0, 96.0)], 0.3)

    assert shown_labels(data) == {t.key: f"{t.name} ({t.label})" for t in data.trails}


def synthetic_chart(heads: list[tuple[float, float]], spread: float) -> RRGChart:
    """Return an RRG whose trails end at ``heads`` and wander ``spread`` around them."""
    trails = []
    for index, (x, y) in enumerate(heads):
        points = tuple(
            RRGPoint(
                week_end=date(2025, 10, 3 + 7 * week),
                rs_ratio=x - spread * (4 - week) * math.cos(index),
                rs_momentum=y - spread * (4 - week) * math.sin(index),
                quadrant=quadrant(
                    x - spread * (4 - week) * math.cos(index),
                    y - spread * (4 - week) * math.sin(index),
                ),
            )
            for week in range(5)
        )
        trails.append(RRGTrail(f"L{index}/B", f"L{index}", f"Leg number {index}", points))
    provenance = Provenance(as_of=date(2025, 10, 31), source="demo", simulated=True)
    return RRGChart("sectors", "B", 5, tuple(trails), provenance)


@pytest.mark.parametrize(
    ("heads", "spread"),
    [
        # Eleven heads piled within a hundredth of a point of neutral.
        ([(100 + 0.001 * i, 100 - 0.001 * i) for i in range(11)], 0.0005),
        # Eleven heads on top of each other.
        ([(101.0, 101.0)] * 11, 0.2),
        # A wide range: tens of points either side of 100.
        ([(60 + 8 * i, 140 - 7 * i) for i in range(11)], 3.0),
        # Heads in the corners, under the quadrant titles.
        ([(90.0, 110.0), (110.0, 110.0), (90.0, 90.0), (110.0, 90.0)] * 2, 0.5),
    ],
    ids=["clustered", "coincident", "wide", "corners"],
)
def test_placement_holds_for_any_range_of_values(
    heads: list[tuple[float, float]], spread: float
) -> None:
    assert_labels_are_clear(synthetic_chart(heads, spread))


# --- tails ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sectors", "pairs"])
def test_each_tail_has_its_heads_colour_and_fades_toward_its_start(
    snapshot: Snapshot, kind: str
) -> None:
    data = rrg_data(snapshot, kind)
    axes = rrg_figure(data).axes[0]
    heads, tails, labels = by_gid(axes, "head:"), by_gid(axes, "tail:"), by_gid(axes, "label:")
    head_colours = set()

    for trail in data.trails:
        head, tail, label = heads[trail.key], tails[trail.key], labels[trail.key]
        assert isinstance(head, PathCollection)
        assert isinstance(tail, LineCollection)
        assert isinstance(label, Text)
        head_rgb = tuple(np.asarray(head.get_facecolor())[0][:3])
        colours = np.asarray(tail.get_colors())
        assert {tuple(rgb) for rgb in colours[:, :3]} == {head_rgb}
        assert to_rgba(label.get_color())[:3] == head_rgb
        alphas, widths = colours[:, 3], np.asarray(tail.get_linewidth())
        assert np.all(np.diff(alphas) > 0), "opacity grows from the start to the head"
        assert np.all(np.diff(widths) > 0), "width grows from the start to the head"
        assert alphas[0] < 0.25 < 0.8 < alphas[-1]
        head_colours.add(head_rgb)
    assert len(head_colours) == len(data.trails), "every leg has a colour of its own"


def test_crowded_graphs_get_shorter_tails(demo: Snapshot) -> None:
    sectors = rrg_data(demo, "sectors")
    pairs = rrg_data(demo, "pairs")

    assert len(sectors.trails) == 11
    assert sectors.tail_weeks == default_tail_weeks(11) == 5
    assert {len(t.points) for t in sectors.trails} == {5}
    assert pairs.tail_weeks == default_tail_weeks(7) == 8
    assert default_tail_weeks(1) == 10
    assert default_tail_weeks(40) == 4
    with pytest.raises(ValueError, match="tail_weeks"):
        rrg_chart_data(
            demo.closes, demo.universe, "sectors", Provenance.of(demo.briefing), MAX_TAIL_WEEKS + 1
        )


# --- sector bars and summaries ----------------------------------------------------------------


@pytest.mark.parametrize("window", ["1D", "MTD", "YTD"])
def test_the_bars_reference_line_is_the_benchmarks_return(snapshot: Snapshot, window: str) -> None:
    spy = snapshot.briefing.returns["SPY"][window]
    data = sectors_chart_data(snapshot.briefing, window, "SPY")
    axes = sector_bars_figure(data).axes[0]
    artists = {artist.get_gid(): artist for artist in axes.get_children()}
    line, label = artists["benchmark"], artists["benchmark-label"]

    assert spy is not None
    assert data.benchmark_return_pct == spy
    assert isinstance(line, Line2D)
    assert list(line.get_xdata()) == [spy, spy]  # type: ignore[arg-type]
    assert isinstance(label, Text)
    shown = "0.0%" if round(spy, 1) == 0 else f"{spy:+.1f}%".replace("-", "\u2212")
    assert label.get_text() == f"SPY {shown}"  # a return that rounds to zero is unsigned
    assert {row.ticker for row in data.beating} == {
        row.ticker for row in data.rows if row.return_pct > spy
    }


def test_bars_without_a_benchmark_have_no_reference_line(demo: Snapshot) -> None:
    data = sectors_chart_data(demo.briefing, "MTD")
    axes = sector_bars_figure(data).axes[0]

    assert data.benchmark_return_pct is None
    assert "benchmark" not in {artist.get_gid() for artist in axes.get_children()}
    assert data.beating == data.rows


def test_the_rrg_summary_puts_every_head_in_its_quadrant(snapshot: Snapshot) -> None:
    data = rrg_data(snapshot, "sectors")
    summary = chart_summary(snapshot, "rrg-sectors")

    assert isinstance(summary, RRGSummary)
    assert [group.quadrant for group in summary.quadrants] == [
        "Leading",
        "Weakening",
        "Lagging",
        "Improving",
    ]
    placed = {name: group.quadrant for group in summary.quadrants for name in group.names}
    assert placed == {f"{t.name} ({t.label})": t.head.quadrant for t in data.trails}


@pytest.fixture
def demo() -> Snapshot:
    return demo_snapshot(DEMO_SESSIONS[0])
