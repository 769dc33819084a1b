"""Regime-change alerts fire on the crossing session only, with stable keys and the numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest

from briefings.alerts import Alert, AlertInputError, detect_alerts
from briefings.analytics.breadth import Breadth
from briefings.analytics.rotation import RotationLine
from briefings.analytics.rrg import QUADRANT_HOLD_SESSIONS, RelativeRotation
from briefings.build import build_briefing
from briefings.model import Briefing, GroupBlock, TickerLine
from briefings.render.templates import render_template
from briefings.sources.demo import DemoSource
from briefings.universe import load_universe
from briefings.windows import WINDOWS

MONDAY = date(2025, 11, 3)


def session(n: int) -> date:
    """Return the n-th weekday from MONDAY (1-based)."""
    days = [MONDAY + timedelta(days=i) for i in range(14)]
    return [d for d in days if d.weekday() < 5][n - 1]


def quadrant_of(rs_ratio: float, rs_momentum: float) -> str:
    if rs_ratio >= 100:
        return "Leading" if rs_momentum >= 100 else "Weakening"
    return "Improving" if rs_momentum >= 100 else "Lagging"


def line(
    lead: str,
    lag: str,
    *,
    ratio_vs_50d: float | None = None,
    rrg: tuple[float, float] | None = None,
    name: str | None = None,
    held: int = 2,
    settled: str | None = None,
) -> RotationLine:
    """Return a line; its quadrant has held ``held`` sessions, settled where it is unless given."""
    rotation = None
    if rrg is not None:
        where = quadrant_of(*rrg)
        rotation = RelativeRotation(rrg[0], rrg[1], where, held, settled or where)
    return RotationLine(
        name=name or f"{lead} vs {lag}",
        lead=lead,
        lag=lag,
        lead_name=f"{lead} name",
        lag_name=f"{lag} name",
        spread=dict.fromkeys(WINDOWS, 0.0),
        ratio_vs_50d=ratio_vs_50d,
        rrg=rotation,
    )


def breadth(key: str, above_200: int, counted: int) -> Breadth:
    return Breadth(
        key=key,
        title=key.title(),
        members=counted,
        above_50=0,
        above_200=above_200,
        counted_50=counted,
        counted_200=counted,
    )


def benchmarks(closes: dict[str, float]) -> GroupBlock:
    lines = tuple(
        TickerLine(ticker=t, name=f"{t} fund", returns={"1D": 0.5}, close=c)
        for t, c in closes.items()
    )
    return GroupBlock(key="benchmarks", title="Benchmarks", lines=lines)


def briefing(
    n: int,
    *,
    rotation: Sequence[RotationLine] = (),
    sector_rotation: Sequence[RotationLine] = (),
    breadth_items: Sequence[Breadth] = (),
    record_highs: Sequence[str] = (),
    closes: dict[str, float] | None = None,
    simulated: bool = False,
) -> Briefing:
    closes = closes or {"SPY": 600.0 + n, "QQQ": 500.0 + n}
    return Briefing(
        as_of=session(n),
        source="test",
        simulated=simulated,
        data_version=f"v{n}",
        period="MTD",
        groups=(benchmarks(closes),),
        returns={t: {"1D": 0.5} for t in closes},
        leaderboards={},
        rotation=tuple(rotation),
        sector_rotation=tuple(sector_rotation),
        since_low=None,
        since=None,
        record_highs=tuple(record_highs),
        highs_52w=(),
        streaks=(),
        breadth=tuple(breadth_items),
        stale=(),
    )


def alerts_by_session(briefings: Sequence[Briefing]) -> dict[int, tuple[Alert, ...]]:
    """Return the alerts of every consecutive pair, keyed by the current session's number."""
    return {
        n: detect_alerts(prev, cur) for n, (prev, cur) in enumerate(pairwise(briefings), start=2)
    }


def test_ratio_crossing_fires_only_on_the_sessions_the_sign_changes() -> None:
    ratios = [-1.0, -0.2, 0.3, 0.5, 0.0, -0.1, -0.4]
    days = [
        briefing(n, rotation=[line("IWM", "SPY", ratio_vs_50d=r)]) for n, r in enumerate(ratios, 1)
    ]

    fired = {
        n: [(a.key, a.message["direction"]) for a in alerts]
        for n, alerts in alerts_by_session(days).items()
    }

    assert fired == {
        2: [],
        3: [("cross50:IWM/SPY", "above")],
        4: [],
        5: [],  # 0.0 counts as above, like RotationLine.trend
        6: [("cross50:IWM/SPY", "below")],
        7: [],
    }


def test_ratio_crossing_carries_the_numbers_and_the_sessions() -> None:
    before = briefing(1, rotation=[line("IWD", "IWF", ratio_vs_50d=-0.25)])
    after = briefing(2, rotation=[line("IWD", "IWF", ratio_vs_50d=0.75)])

    (alert,) = detect_alerts(before, after)

    assert alert.kind == "cross50"
    assert alert.session == session(2)
    assert alert.previous_session == session(1)
    assert alert.before == {"ratio_vs_50d": -0.25}
    assert alert.after == {"ratio_vs_50d": 0.75}
    assert alert.message["leader"] == "IWD"
    assert alert.title == "IWD vs IWF: IWD/IWF ratio crossed above its 50-day average"


def test_ratio_crossing_ignores_unwatched_pairs_and_missing_values() -> None:
    before = briefing(
        1, rotation=[line("MTUM", "SPY", ratio_vs_50d=-1.0), line("RSP", "SPY", ratio_vs_50d=None)]
    )
    after = briefing(
        2, rotation=[line("MTUM", "SPY", ratio_vs_50d=1.0), line("RSP", "SPY", ratio_vs_50d=1.0)]
    )

    assert detect_alerts(before, after) == ()
    assert [a.key for a in detect_alerts(before, after, cross50_pairs=[("MTUM", "SPY")])] == [
        "cross50:MTUM/SPY"
    ]


def test_quadrant_change_fires_once_the_new_quadrant_has_held() -> None:
    # (RS-Ratio, RS-Momentum, sessions held, settled quadrant) as the analytics report them:
    # Improving, then Leading for two sessions (settled on the second), a one-session dip
    # into Weakening (still settled Leading), Leading again, then Weakening for two sessions.
    path = [
        (99.0, 101.0, 5, "Improving"),
        (100.2, 101.0, 1, "Improving"),
        (100.8, 100.5, 2, "Leading"),
        (100.9, 99.8, 1, "Leading"),
        (101.0, 100.2, 1, "Leading"),
        (101.0, 99.6, 1, "Leading"),
        (100.7, 99.1, 2, "Weakening"),
        (100.5, 98.9, 3, "Weakening"),
    ]
    days = [
        briefing(n, sector_rotation=[line("XLE", "SPY", rrg=(r, m), held=h, settled=q)])
        for n, (r, m, h, q) in enumerate(path, 1)
    ]

    fired = {
        n: [(a.key, a.message["from_quadrant"], a.message["to_quadrant"]) for a in alerts]
        for n, alerts in alerts_by_session(days).items()
    }

    assert fired == {
        2: [],  # entered Leading: not yet held
        3: [("quadrant:XLE", "Improving", "Leading")],
        4: [],  # a one-session wiggle into Weakening is not reported
        5: [],
        6: [],
        7: [("quadrant:XLE", "Leading", "Weakening")],
        8: [],
    }


def test_a_rotation_without_a_settled_quadrant_reports_where_it_is() -> None:
    # No run of two sessions in view (never seen on real data): the quadrant itself counts.
    unsettled = RelativeRotation(99.0, 99.0, "Lagging", held_sessions=1, settled_quadrant=None)
    assert unsettled.reported_quadrant == "Lagging"
    before = briefing(1, sector_rotation=[line("XLK", "SPY", rrg=(99.0, 99.0), held=1)])
    before = replace(before, sector_rotation=(replace(before.sector_rotation[0], rrg=unsettled),))
    after = briefing(2, sector_rotation=[line("XLK", "SPY", rrg=(101.0, 101.0))])

    assert [a.key for a in detect_alerts(before, after)] == ["quadrant:XLK"]


def test_quadrant_alert_for_a_pair_names_both_legs_and_the_rs_numbers() -> None:
    pair = "Cyclicals vs mega-cap tech"
    lead, lag = "basket:cyclicals", "basket:megacap_tech"
    before = briefing(1, rotation=[line(lead, lag, rrg=(98.5, 99.0), name=pair)])
    after = briefing(2, rotation=[line(lead, lag, rrg=(98.9, 100.4), name=pair)])

    (alert,) = detect_alerts(before, after)

    assert alert.key == f"quadrant:{lead}/{lag}"
    assert alert.title == f"{pair} moved from Lagging into Improving"
    assert alert.before == {"rs_ratio": 98.5, "rs_momentum": 99.0}
    assert alert.after == {"rs_ratio": 98.9, "rs_momentum": 100.4}


def test_quadrant_change_needs_rrg_on_both_sessions() -> None:
    before = briefing(1, sector_rotation=[line("XLK", "SPY", rrg=None)])
    after = briefing(2, sector_rotation=[line("XLK", "SPY", rrg=(101.0, 101.0))])

    assert detect_alerts(before, after) == ()


def test_breadth_crossing_half_fires_in_either_direction_only_when_it_crosses() -> None:
    # 8 members: 4/8 is exactly half, not a majority; 5/8 is.
    counts = [3, 4, 5, 6, 5, 4, 4]
    days = [
        briefing(n, breadth_items=[breadth("cyclicals", c, 8)]) for n, c in enumerate(counts, 1)
    ]

    fired = {
        n: [
            (a.key, a.message["direction"], a.before["above_200"], a.after["above_200"])
            for a in alerts
        ]
        for n, alerts in alerts_by_session(days).items()
    }

    assert fired == {
        2: [],
        3: [("breadth200:cyclicals", "above", 4, 5)],
        4: [],
        5: [],
        6: [("breadth200:cyclicals", "below", 5, 4)],
        7: [],
    }


def test_breadth_alert_reports_shares_in_percent() -> None:
    before = briefing(1, breadth_items=[breadth("sectors", 5, 11)])
    after = briefing(2, breadth_items=[breadth("sectors", 6, 11)])

    (alert,) = detect_alerts(before, after)

    assert alert.before["pct_above_200"] == pytest.approx(100 * 5 / 11)
    assert alert.after["pct_above_200"] == pytest.approx(100 * 6 / 11)
    assert alert.after["counted_200"] == 11


def test_every_record_close_of_a_benchmark_is_an_alert_on_its_session() -> None:
    records = [(), ("SPY",), ("SPY", "QQQ"), (), ("XLK",)]
    days = [briefing(n, record_highs=r) for n, r in enumerate(records, 1)]

    fired = {n: [a.key for a in alerts] for n, alerts in alerts_by_session(days).items()}

    # XLK is not in the benchmarks group, so its record is not an alert.
    assert fired == {2: ["record:SPY"], 3: ["record:SPY", "record:QQQ"], 4: [], 5: []}


def test_record_alert_carries_the_close_and_whether_it_extends_a_run() -> None:
    first = briefing(1, closes={"SPY": 600.0})
    second = briefing(2, record_highs=["SPY"], closes={"SPY": 603.0})
    third = briefing(3, record_highs=["SPY"], closes={"SPY": 605.5})

    (new,) = detect_alerts(first, second)
    (extended,) = detect_alerts(second, third)

    assert new.before == {"close": 600.0}
    assert new.after == {"close": 603.0, "change_pct": 0.5}
    assert new.message["extends_run"] is False
    assert extended.message["extends_run"] is True
    assert new.title == "SPY fund closed at a record high"


def test_keys_are_stable_across_runs_and_directions() -> None:
    up = (
        briefing(1, rotation=[line("RSP", "SPY", ratio_vs_50d=-1.0)]),
        briefing(2, rotation=[line("RSP", "SPY", ratio_vs_50d=1.0)]),
    )
    down = (
        briefing(3, rotation=[line("RSP", "SPY", ratio_vs_50d=1.0)]),
        briefing(4, rotation=[line("RSP", "SPY", ratio_vs_50d=-1.0)]),
    )

    assert detect_alerts(*up) == detect_alerts(*up)
    assert [a.key for a in detect_alerts(*up)] == [a.key for a in detect_alerts(*down)]
    assert [a.key for a in detect_alerts(*up)] == ["cross50:RSP/SPY"]


def test_alerts_come_in_a_fixed_order_of_kinds() -> None:
    before = briefing(
        1,
        rotation=[line("IWM", "SPY", ratio_vs_50d=-1.0, rrg=(99.0, 99.0))],
        sector_rotation=[line("XLE", "SPY", rrg=(101.0, 99.0))],
        breadth_items=[breadth("sectors", 5, 11)],
    )
    after = briefing(
        2,
        rotation=[line("IWM", "SPY", ratio_vs_50d=1.0, rrg=(99.0, 101.0))],
        sector_rotation=[line("XLE", "SPY", rrg=(99.0, 99.0))],
        breadth_items=[breadth("sectors", 6, 11)],
        record_highs=["SPY"],
    )

    keys = [a.key for a in detect_alerts(before, after)]

    assert keys == [
        "cross50:IWM/SPY",
        "quadrant:IWM/SPY",
        "quadrant:XLE",
        "breadth200:sectors",
        "record:SPY",
    ]


def test_no_change_means_no_alerts() -> None:
    def quiet_day(n: int) -> Briefing:
        return briefing(
            n,
            rotation=[line("IWM", "SPY", ratio_vs_50d=0.4, rrg=(101.0, 99.0))],
            sector_rotation=[line("XLU", "SPY", rrg=(98.0, 102.0))],
            breadth_items=[breadth("sectors", 7, 11)],
        )

    assert detect_alerts(quiet_day(1), quiet_day(2)) == ()


def test_briefings_out_of_order_or_from_different_sources_are_refused() -> None:
    first, second = briefing(1), briefing(2)

    with pytest.raises(AlertInputError, match="not before"):
        detect_alerts(second, first)
    with pytest.raises(AlertInputError, match="sources"):
        detect_alerts(first, replace(second, source="demo"))


def every_kind() -> tuple[Briefing, Briefing]:
    before = briefing(
        1,
        rotation=[line("IWM", "SPY", ratio_vs_50d=-0.5, rrg=(99.0, 99.0), name="Small vs large")],
        sector_rotation=[line("XLE", "SPY", rrg=(101.0, 99.0))],
        breadth_items=[breadth("sectors", 5, 11)],
        simulated=True,
    )
    after = briefing(
        2,
        rotation=[line("IWM", "SPY", ratio_vs_50d=0.5, rrg=(99.5, 101.5), name="Small vs large")],
        sector_rotation=[line("XLE", "SPY", rrg=(99.2, 98.7))],
        breadth_items=[breadth("sectors", 6, 11)],
        record_highs=["SPY"],
        closes={"SPY": 612.34},
        simulated=True,
    )
    return before, after


@pytest.mark.parametrize("template", ["alerts.html.j2", "alerts.txt.j2"])
def test_templates_state_every_alert_with_its_numbers_and_simulated(template: str) -> None:
    before, after = every_kind()
    alerts = detect_alerts(before, after)

    text = render_template(template, b=after, alerts=alerts)

    assert "simulated" in text.lower()
    assert session(2).isoformat() in text or "04 Nov 2025" in text
    for expected in (
        "-0.5%",
        "+0.5%",  # the ratio vs its 50-day average, before and after
        "RS-Ratio 99.0",
        "99.5",
        "5/11 (45%)",
        "6/11 (55%)",
        "612.34",
        "Lagging into Improving",
        "Weakening into Lagging",
    ):
        assert expected in text, expected


def test_html_template_escapes_names_and_says_when_nothing_changed() -> None:
    before, after = every_kind()
    hostile = replace(after, rotation=(line("IWM", "SPY", ratio_vs_50d=0.5, name="<b>x</b>"),))

    html = render_template("alerts.html.j2", b=hostile, alerts=detect_alerts(before, hostile))
    quiet = render_template("alerts.html.j2", b=after, alerts=())

    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "No regime changes" in quiet


def test_alerts_between_two_built_demo_sessions_carry_the_briefings_numbers() -> None:
    universe = load_universe()
    source = DemoSource()
    closes = source.fetch(universe.tickers, None, date(2025, 12, 11)).closes
    before, after = (
        build_briefing(closes, universe, as_of=day, source="demo", simulated=True, data_version="v")
        for day in (date(2025, 12, 10), date(2025, 12, 11))
    )

    alerts = detect_alerts(before, after)

    assert alerts, "the demo market rotates: this pair of sessions has regime changes"
    assert any(alert.kind == "quadrant" for alert in alerts)
    assert len({a.key for a in alerts}) == len(alerts)
    lines = {f"{x.lead}/{x.lag}": x for x in (*after.rotation, *after.sector_rotation)}
    old_lines = {f"{x.lead}/{x.lag}": x for x in (*before.rotation, *before.sector_rotation)}
    for alert in alerts:
        assert alert.session == date(2025, 12, 11)
        assert alert.previous_session == date(2025, 12, 10)
        if alert.kind == "quadrant":
            pair = f"{alert.message['lead']}/{alert.message['lag']}"
            new, old = lines[pair].rrg, old_lines[pair].rrg
            assert new is not None
            assert old is not None
            assert alert.after == {"rs_ratio": new.rs_ratio, "rs_momentum": new.rs_momentum}
            assert alert.before == {"rs_ratio": old.rs_ratio, "rs_momentum": old.rs_momentum}
            assert (alert.message["from_quadrant"], alert.message["to_quadrant"]) == (
                old.settled_quadrant,
                new.settled_quadrant,
            )
            assert new.settled_quadrant == new.quadrant
            assert new.held_sessions == QUADRANT_HOLD_SESSIONS
        if alert.kind == "record":
            assert alert.message["ticker"] in after.record_highs
            assert alert.message["ticker"] in universe.group("benchmarks").members
