"""Charts: phone-sized PNGs whose numbers are the analytics' numbers, and a render-once cache."""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from briefings.analytics.returns import window_base_date
from briefings.analytics.rotation import RotationLine
from briefings.analytics.rrg import quadrant
from briefings.build import BriefingInputError, build_briefing
from briefings.charts import (
    CHART_KINDS,
    ChartCache,
    ChartKey,
    ChartKind,
    Provenance,
    cached_chart,
    chart_key,
    pairs_chart_data,
    render_chart,
    rrg_chart_data,
    sectors_chart_data,
)
from briefings.charts.data import BreadthBar
from briefings.charts.kinds.pairs import rebased_ratio
from briefings.charts.plot import BAR_SIZE_PX, RATIO_SIZE_PX, RRG_SIZE_PX
from briefings.service import MarketService
from briefings.snapshot import Snapshot
from briefings.sources.csvdir import CsvDirectorySource
from briefings.sources.demo import DemoSource
from briefings.universe import load_universe
from briefings.windows import WINDOWS

DEMO_SESSION = date(2025, 11, 20)
REAL_SESSION = date(2025, 12, 31)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_SIZE: dict[ChartKind, tuple[int, int]] = {
    "rrg-sectors": RRG_SIZE_PX,
    "rrg-pairs": RRG_SIZE_PX,
    "pairs": RATIO_SIZE_PX,
    "sectors": BAR_SIZE_PX,
    "breadth": BAR_SIZE_PX,
}


def png_size(image: bytes) -> tuple[int, int]:
    """Return (width, height) from a PNG's IHDR chunk, checking the signature first."""
    assert image[:8] == PNG_SIGNATURE
    _length, chunk = struct.unpack(">I4s", image[8:16])
    assert chunk == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    return int(width), int(height)


def snapshot_of(closes: pd.DataFrame, as_of: date, source: str, simulated: bool) -> Snapshot:
    universe = load_universe()
    briefing = build_briefing(
        closes, universe, as_of=as_of, source=source, simulated=simulated, data_version="v1"
    )
    return Snapshot(briefing=briefing, universe=universe, closes=closes)


@cache
def demo_snapshot() -> Snapshot:
    """Return the demo market's snapshot for DEMO_SESSION (built once per test run)."""
    source = DemoSource()
    closes = source.fetch(load_universe().tickers, None, DEMO_SESSION).closes
    return snapshot_of(closes, DEMO_SESSION, source.name, source.simulated)


@cache
def real_snapshot(directory: Path) -> Snapshot:
    """Return the snapshot of the real closes in ``directory`` for REAL_SESSION."""
    source = CsvDirectorySource(directory)
    closes = source.fetch(load_universe().tickers, None, REAL_SESSION).closes
    return snapshot_of(closes, REAL_SESSION, source.name, source.simulated)


@pytest.fixture
def demo() -> Snapshot:
    return demo_snapshot()


@pytest.fixture
def real(market_data_dir: Path) -> Snapshot:
    return real_snapshot(market_data_dir)


@pytest.fixture(params=["demo", "real"])
def any_snapshot(request: pytest.FixtureRequest) -> Snapshot:
    """Return the demo snapshot, then the real one (skipped when the data is absent)."""
    if request.param == "demo":
        return demo_snapshot()
    return real_snapshot(request.getfixturevalue("market_data_dir"))


# --- rendering ---------------------------------------------------------------------------------


@cache
def demo_chart(kind: ChartKind) -> bytes:
    """Return the demo snapshot's chart, rendered once per test run."""
    return render_chart(demo_snapshot(), kind)


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_every_chart_renders_a_phone_sized_png(any_snapshot: Snapshot, kind: ChartKind) -> None:
    image = (
        demo_chart(kind) if any_snapshot is demo_snapshot() else render_chart(any_snapshot, kind)
    )

    assert png_size(image) == EXPECTED_SIZE[kind]
    assert len(image) > 20_000  # a drawn chart, not an empty canvas


def test_png_sizes_are_phone_shaped() -> None:
    for width, height in EXPECTED_SIZE.values():
        assert 1000 <= width <= 1280
        assert 0.75 <= height / width <= 1.0


def test_rendering_in_parallel_threads_gives_the_serial_bytes(demo: Snapshot) -> None:
    serial = {kind: demo_chart(kind) for kind in CHART_KINDS}

    with ThreadPoolExecutor(max_workers=len(CHART_KINDS)) as pool:
        images = list(pool.map(lambda k: render_chart(demo, k), CHART_KINDS))
    parallel = dict(zip(CHART_KINDS, images, strict=True))

    assert parallel == serial


def test_unknown_chart_kind_is_refused(demo: Snapshot) -> None:
    with pytest.raises(ValueError, match="unknown chart"):
        render_chart(demo, "pie")  # type: ignore[arg-type]


# --- relative rotation graph -------------------------------------------------------------------


def heads_by_key(lines: tuple[RotationLine, ...]) -> dict[str, RotationLine]:
    return {f"{line.lead}/{line.lag}": line for line in lines}


@pytest.mark.parametrize("kind", ["sectors", "pairs"])
def test_rrg_latest_points_are_the_briefings_rotation_numbers(
    any_snapshot: Snapshot, kind: str
) -> None:
    briefing = any_snapshot.briefing
    data = rrg_chart_data(
        any_snapshot.closes,
        any_snapshot.universe,
        "sectors" if kind == "sectors" else "pairs",
        Provenance.of(briefing),
    )
    lines = heads_by_key(briefing.sector_rotation if kind == "sectors" else briefing.rotation)

    with_rrg = {key for key, line in lines.items() if line.rrg is not None}
    assert {trail.key for trail in data.trails} == with_rrg
    assert with_rrg, "the fixture session should have RRG values"
    for trail in data.trails:
        expected = lines[trail.key].rrg
        assert expected is not None
        assert trail.head.week_end == briefing.as_of
        assert trail.head.rs_ratio == pytest.approx(expected.rs_ratio, rel=1e-12)
        assert trail.head.rs_momentum == pytest.approx(expected.rs_momentum, rel=1e-12)
        assert trail.head.quadrant == expected.quadrant


def test_rrg_tails_are_weekly_points_oldest_first(demo: Snapshot) -> None:
    data = rrg_chart_data(
        demo.closes, demo.universe, "sectors", Provenance.of(demo.briefing), tail_weeks=8
    )

    assert data.benchmark == "SPY"
    assert len(data.trails) == 11
    for trail in data.trails:
        assert len(trail.points) == 8
        ends = [p.week_end for p in trail.points]
        assert ends == sorted(ends)
        assert all(5 <= (later - earlier).days <= 9 for earlier, later in pairwise(ends))
        assert all(p.quadrant == quadrant(p.rs_ratio, p.rs_momentum) for p in trail.points)


def test_rrg_tail_length_follows_the_argument_and_keeps_the_head(demo: Snapshot) -> None:
    provenance = Provenance.of(demo.briefing)
    short = rrg_chart_data(demo.closes, demo.universe, "pairs", provenance, tail_weeks=3)
    long = rrg_chart_data(demo.closes, demo.universe, "pairs", provenance, tail_weeks=12)

    assert {len(t.points) for t in short.trails} == {3}
    assert {len(t.points) for t in long.trails} == {12}
    assert [t.head for t in short.trails] == [t.head for t in long.trails]
    assert [t.points for t in short.trails] == [t.points[-3:] for t in long.trails]


def test_rrg_pairs_are_labelled_by_pair_name_and_sectors_by_ticker(demo: Snapshot) -> None:
    provenance = Provenance.of(demo.briefing)
    pairs = rrg_chart_data(demo.closes, demo.universe, "pairs", provenance)
    sectors = rrg_chart_data(demo.closes, demo.universe, "sectors", provenance)

    assert [t.label for t in pairs.trails] == [p.name for p in demo.universe.pairs]
    assert pairs.benchmark is None
    assert [t.label for t in sectors.trails] == list(demo.universe.group("sectors").members)
    assert sectors.trails[0].name == "Technology"


def test_rrg_on_a_past_session_ignores_later_closes(demo: Snapshot) -> None:
    earlier = date(2025, 9, 30)
    provenance = Provenance(as_of=earlier, source="demo", simulated=True)

    full = rrg_chart_data(demo.closes, demo.universe, "sectors", provenance)
    cut = rrg_chart_data(demo.closes.loc[:"2025-09-30"], demo.universe, "sectors", provenance)

    assert full == cut
    assert {t.head.week_end for t in full.trails} == {earlier}


# --- pair ratios -------------------------------------------------------------------------------


def test_rebased_ratio_hand_computed() -> None:
    index = pd.bdate_range("2025-01-06", periods=5)
    lead = pd.Series([10.0, 11.0, 12.0, np.nan, 15.0], index=index)
    lag = pd.Series([5.0, 5.0, 6.0, 6.0, 5.0], index=index)

    rebased = rebased_ratio(lead, lag, index[1])

    # R = 2, 2.2, 2, -, 3; from the second session: 100, 100*2/2.2, 100*3/2.2.
    assert list(rebased.index) == [index[1], index[2], index[4]]
    assert rebased.to_numpy() == pytest.approx([100.0, 100 * 2 / 2.2, 100 * 3 / 2.2])
    assert rebased_ratio(lead, lag, index[3]).empty  # no ratio on the start session


def test_ratio_lines_start_at_100_on_the_3m_base_date(any_snapshot: Snapshot) -> None:
    briefing = any_snapshot.briefing
    data = pairs_chart_data(any_snapshot.closes, any_snapshot.universe, Provenance.of(briefing))
    base = window_base_date(pd.DatetimeIndex(any_snapshot.closes.index), briefing.as_of, "3M")

    assert base is not None
    assert data.start == base.date()
    assert [line.name for line in data.lines] == [p.name for p in any_snapshot.universe.pairs]
    for line in data.lines:
        assert line.dates[0] == data.start
        assert line.values[0] == 100.0
        assert line.dates[-1] == briefing.as_of
        assert len(line.dates) == len(line.values)


def test_ratio_end_values_equal_the_legs_3m_returns(any_snapshot: Snapshot) -> None:
    """100 * R_end / R_start = 100 * (1 + r_lead) / (1 + r_lag), r the 3M returns."""
    briefing = any_snapshot.briefing
    data = pairs_chart_data(any_snapshot.closes, any_snapshot.universe, Provenance.of(briefing))

    checked = 0
    for line in data.lines:
        lead, lag = briefing.returns.get(line.lead), briefing.returns.get(line.lag)
        if lead is None or lag is None:
            continue  # baskets are not in the per-ticker returns
        lead_3m, lag_3m = lead["3M"], lag["3M"]
        assert lead_3m is not None
        assert lag_3m is not None
        expected = 100 * (1 + lead_3m / 100) / (1 + lag_3m / 100)
        assert line.values[-1] == pytest.approx(expected, rel=1e-9)
        checked += 1
    assert checked >= 5


def test_ratio_lines_from_a_given_date_match_the_since_returns(demo: Snapshot) -> None:
    saturday = date(2025, 10, 4)
    since = demo.since(saturday)
    data = pairs_chart_data(
        demo.closes, demo.universe, Provenance.of(demo.briefing), start=saturday
    )
    since_returns = {row.ticker: row.return_pct for row in since.returns}

    assert data.start == date(2025, 10, 3) == since.start  # the session before the weekend
    checked = 0
    for line in data.lines:
        if line.lead in since_returns and line.lag in since_returns:
            a, b = since_returns[line.lead], since_returns[line.lag]
            assert line.values[-1] == pytest.approx(100 * (1 + a / 100) / (1 + b / 100))
            checked += 1
    assert checked >= 6  # baskets included: the since figures cover them


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (date(2025, 11, 20), "must be before"),
        (date(2025, 12, 1), "must be before"),
        (date(2001, 1, 1), "no data"),
    ],
)
def test_ratio_start_outside_the_data_is_refused(demo: Snapshot, start: date, message: str) -> None:
    with pytest.raises(BriefingInputError, match=message):
        pairs_chart_data(demo.closes, demo.universe, Provenance.of(demo.briefing), start=start)


# --- sector bars -------------------------------------------------------------------------------


@pytest.mark.parametrize("window", WINDOWS)
def test_sector_bars_are_the_briefing_leaderboard(any_snapshot: Snapshot, window: str) -> None:
    data = sectors_chart_data(any_snapshot.briefing, window.lower())

    assert data.window == window
    assert data.rows == any_snapshot.briefing.leaderboards[window]
    values = [row.return_pct for row in data.rows]
    assert values == sorted(values, reverse=True)


def test_sector_bars_refuse_an_unknown_window(demo: Snapshot) -> None:
    with pytest.raises(BriefingInputError, match="unknown window"):
        sectors_chart_data(demo.briefing, "2Y")


def test_provenance_says_simulated_only_for_the_demo(demo: Snapshot, real: Snapshot) -> None:
    assert Provenance.of(demo.briefing) == Provenance(DEMO_SESSION, "demo", True)
    assert Provenance.of(real.briefing).simulated is False
    assert sectors_chart_data(demo.briefing, "MTD").provenance.simulated is True


# --- cache -------------------------------------------------------------------------------------


def counting(image: bytes) -> tuple[Callable[[], bytes], list[int]]:
    calls: list[int] = []

    def render() -> bytes:
        calls.append(1)
        return image

    return render, calls


def key(kind: str = "sectors", **arguments: str) -> ChartKey:
    return ChartKey(
        source="demo",
        data_version="v1",
        as_of=DEMO_SESSION,
        kind=kind,
        arguments=tuple(sorted(arguments.items())),
    )


def test_a_cache_hit_returns_the_same_bytes_without_rendering() -> None:
    chart_cache = ChartCache()
    render, calls = counting(b"png-bytes")

    first = chart_cache.get(key(), render)
    second = chart_cache.get(key(), render)

    assert first is second
    assert len(calls) == 1
    stats = chart_cache.stats()
    assert (stats.renders, stats.hits, stats.entries) == (1, 1, 1)


def test_concurrent_requests_for_one_key_render_once() -> None:
    chart_cache = ChartCache()
    release = threading.Event()
    calls: list[int] = []

    def slow_render() -> bytes:
        calls.append(1)
        release.wait(timeout=5)
        return b"the chart"

    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(chart_cache.get, key(), slow_render) for _ in range(10)]
        while chart_cache.stats().hits < 9:  # every other caller is waiting on the one render
            threading.Event().wait(0.005)
        release.set()
        results = [f.result(timeout=5) for f in futures]

    assert results == [b"the chart"] * 10
    assert len(calls) == 1
    assert chart_cache.stats().renders == 1


def test_the_cache_is_a_bounded_lru() -> None:
    chart_cache = ChartCache(max_entries=2)
    render, calls = counting(b"x")

    chart_cache.get(key(window="1D"), render)
    chart_cache.get(key(window="1W"), render)
    chart_cache.get(key(window="1D"), render)  # now the most recently used
    chart_cache.get(key(window="MTD"), render)  # evicts 1W
    chart_cache.get(key(window="1D"), render)
    chart_cache.get(key(window="1W"), render)

    assert len(calls) == 4
    assert chart_cache.stats().entries == 2


def test_a_failed_render_is_not_cached() -> None:
    chart_cache = ChartCache()
    attempts: list[int] = []

    def flaky() -> bytes:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("font cache busy")
        return b"ok"

    with pytest.raises(RuntimeError, match="font cache busy"):
        chart_cache.get(key(), flaky)
    assert chart_cache.get(key(), flaky) == b"ok"
    assert len(attempts) == 2


def test_chart_keys_hold_only_the_arguments_a_chart_uses(demo: Snapshot) -> None:
    assert chart_key(demo, "rrg-sectors", window="1D") == chart_key(demo, "rrg-sectors")
    assert chart_key(demo, "sectors", window="1d") == chart_key(demo, "sectors", window="1D")
    assert chart_key(demo, "sectors", window="1D") != chart_key(demo, "sectors", window="1W")
    assert chart_key(demo, "pairs", start=date(2025, 10, 1)) != chart_key(demo, "pairs")
    assert chart_key(demo, "rrg-pairs").data_version == demo.briefing.data_version


def test_cached_chart_renders_each_key_once_under_ten_threads(demo: Snapshot) -> None:
    chart_cache = ChartCache()

    with ThreadPoolExecutor(max_workers=10) as pool:
        images = list(pool.map(lambda _: cached_chart(chart_cache, demo, "sectors"), range(10)))
    again = cached_chart(chart_cache, demo, "sectors", window="mtd")

    assert len(set(images)) == 1
    assert again == images[0]
    assert png_size(again) == BAR_SIZE_PX
    assert chart_cache.stats().renders == 1


# --- short history -----------------------------------------------------------------------------


def test_legs_without_enough_history_are_named_not_drawn(demo: Snapshot) -> None:
    closes = demo.closes.copy()
    closes.loc[:"2025-10-15", "XLC"] = np.nan  # too few weeks for an RS-Momentum
    closes.loc[:"2025-09-01", "IWC"] = np.nan  # no close on the 3M base date
    provenance = Provenance.of(demo.briefing)

    rrg = rrg_chart_data(closes, demo.universe, "sectors", provenance)
    ratios = pairs_chart_data(closes, demo.universe, provenance)

    assert rrg.missing == ("XLC",)
    assert "XLC" not in {t.label for t in rrg.trails}
    assert ratios.missing == ("Micro vs large",)
    assert "Micro vs large" not in {line.name for line in ratios.lines}


@pytest.mark.parametrize("kind", ["rrg-sectors", "rrg-pairs", "sectors"])
def test_a_chart_with_nothing_to_draw_is_still_a_labelled_png(
    demo: Snapshot, kind: ChartKind
) -> None:
    recent = demo.closes.loc["2025-10-01":]
    snapshot = snapshot_of(recent, DEMO_SESSION, "demo", simulated=True)

    assert png_size(render_chart(snapshot, kind, window="1Y")) == EXPECTED_SIZE[kind]
    with pytest.raises(BriefingInputError, match="not enough history"):
        render_chart(snapshot, "pairs")


def test_a_breadth_label_says_when_it_counts_fewer_than_the_sectors_members() -> None:
    assert BreadthBar("Energy", 22, 50.0, 40.0, members=22).label_count == "22"
    assert BreadthBar("Information Technology", 67, 50.0, 40.0, members=68).label_count == "67/68"


def test_a_chart_drawn_without_the_story_is_the_same_chart(golden_service: MarketService) -> None:
    # The CLI's chart command builds no story (verdict, takeaways, history): charts draw none.
    told = golden_service.snapshot()
    untold = golden_service.snapshot(told=False)
    assert untold.briefing.story is None
    assert told.briefing.story is not None
    for kind in ("rrg-sectors", "rrg-pairs", "sectors", "pairs", "breadth"):
        assert render_chart(untold, kind) == render_chart(told, kind), kind
