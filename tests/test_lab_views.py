"""The Rotation Lab's views: the briefing's own figures, one build per data version, small JSON."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from briefings.charts import chart_summary
from briefings.charts.data import Provenance, RRGKind
from briefings.charts.kinds.rrg import rrg_chart_data
from briefings.lab import LAB_VIEWS, LabViews, UnknownLabView
from briefings.lab.views import THIN_STEP
from briefings.service import MarketService

MAX_VIEW_BYTES = 100 * 1024


@pytest.fixture(scope="module")
def lab(golden_service: MarketService) -> LabViews:
    return LabViews(golden_service)


@pytest.mark.parametrize("view", LAB_VIEWS)
def test_every_view_names_its_session_and_source_and_is_small(lab: LabViews, view: str) -> None:
    body = lab.view_json(view)
    doc = json.loads(body)
    assert len(body) < MAX_VIEW_BYTES
    assert doc["view"] == view
    assert doc["session"] == "2025-11-21"
    assert doc["source"] == "demo"
    assert doc["simulated"] is True


@pytest.mark.parametrize("kind", ["sectors", "pairs"])
def test_rrg_frames_end_on_the_charts_own_points(
    golden_service: MarketService, lab: LabViews, kind: RRGKind
) -> None:
    snapshot = golden_service.snapshot()
    chart = rrg_chart_data(
        snapshot.closes, snapshot.universe, kind, Provenance.of(snapshot.briefing)
    )
    doc = json.loads(lab.view_json(f"rrg-{kind}"))
    legs = {leg["key"]: leg for leg in doc["legs"]}
    assert set(legs) == {trail.key for trail in chart.trails}
    for trail in chart.trails:
        by_week = dict(zip(doc["weeks"], legs[trail.key]["points"], strict=True))
        for point in trail.points:
            ratio, momentum = by_week[point.week_end.isoformat()]
            assert ratio == pytest.approx(point.rs_ratio, abs=1e-3)
            assert momentum == pytest.approx(point.rs_momentum, abs=1e-3)


def test_heatmap_rows_are_the_briefings_returns(
    golden_service: MarketService, lab: LabViews
) -> None:
    briefing = golden_service.snapshot().briefing
    doc = json.loads(lab.view_json("heatmap"))
    row = next(r for r in doc["etfs"] if r["ticker"] == "XLK")
    expected = briefing.returns["XLK"]
    for window, value in zip(doc["windows"], row["returns"], strict=True):
        assert value == pytest.approx(expected[window], abs=0.01)
    assert doc["members"]
    assert doc["members"][0]["rows"]
    factors = {row["name"]: row["spreads"] for row in doc["factors"]}
    for line in briefing.rotation:
        for window, value in zip(doc["windows"], factors[line.name], strict=True):
            assert value == pytest.approx(line.spread[window], abs=0.01)


def test_breadth_ends_on_the_briefings_breadth(
    golden_service: MarketService, lab: LabViews
) -> None:
    summary = chart_summary(golden_service.snapshot(), "breadth")
    doc = json.loads(lab.view_json("breadth"))
    block = doc["indexes"][0]
    assert block["weeks"][-1] == "2025-11-21"
    shares = {row["sector"]: row["shares"][-1] for row in block["sectors"]}
    for bar in summary.bars:  # type: ignore[union-attr]
        assert shares[bar.sector] == pytest.approx(bar.pct_above_200d, abs=0.01)


def test_pairs_cover_the_whole_history(golden_service: MarketService, lab: LabViews) -> None:
    closes = golden_service.snapshot().closes
    doc = json.loads(lab.view_json("pairs"))
    first = date.fromisoformat(doc["weeks"][0])
    assert first - closes.index[0].date() < timedelta(weeks=THIN_STEP)
    assert doc["weeks"][-1] == "2025-11-21"
    assert all(len(line["values"]) == len(doc["weeks"]) for line in doc["lines"])


@pytest.mark.parametrize("view", LAB_VIEWS)
def test_real_views_stay_small(real_service: MarketService, view: str) -> None:
    body = LabViews(real_service).view_json(view)
    assert len(body) < MAX_VIEW_BYTES
    assert json.loads(body)["simulated"] is False


def test_each_view_is_built_once_per_data_version(lab: LabViews) -> None:
    first = {view: lab.view_json(view) for view in LAB_VIEWS}
    builds = lab.builds
    assert {view: lab.view_json(view) for view in LAB_VIEWS} == first
    assert lab.builds == builds


def test_an_unknown_view_is_refused(lab: LabViews) -> None:
    with pytest.raises(UnknownLabView):
        lab.view_json("secrets")


def test_the_page_names_each_source_in_the_readers_language(lab: LabViews) -> None:
    english = json.loads(lab.words_json("en"))["source_names"]
    chinese = json.loads(lab.words_json("zh"))["source_names"]
    assert english["demo"] == "demo"
    assert chinese["demo"] != "demo"
    assert chinese["csv"] != "CSV files"
    assert set(english) == set(chinese) >= {"demo", "yfinance", "tiingo", "csv"}
