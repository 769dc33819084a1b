"""The story's rules on tiny hand-built briefings: each fires exactly when its condition holds."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from briefings.alerts import detect_alerts, worth_pushing
from briefings.analytics.breadth import Breadth
from briefings.analytics.leaders import SectorRow
from briefings.analytics.rotation import RotationLine
from briefings.analytics.rrg import RelativeRotation
from briefings.model import Briefing, GroupBlock, SinceLow, Takeaway, TickerLine, Verdict
from briefings.render.briefing_json import briefing_to_json
from briefings.render.layout import phone_lines
from briefings.render.templates import fact_words
from briefings.story import takeaways, tell_story, the_day, verdict
from briefings.windows import WINDOWS

SESSION = date(2025, 12, 11)
PAIRS = {
    "small": ("Small vs large", "IWM", "SPY"),
    "micro": ("Micro vs large", "IWC", "SPY"),
    "equal": ("Equal vs cap weight", "RSP", "SPY"),
    "value": ("Value vs growth", "IWD", "IWF"),
    "cyclicals": ("Cyclicals vs mega-cap tech", "basket:cyclicals", "basket:megacap_tech"),
}
NAMES = {
    "SPY": "S&P 500 (SPY)",
    "QQQ": "Nasdaq-100 (QQQ)",
    "RSP": "S&P 500 Equal Weight (RSP)",
    "IWM": "Russell 2000 (IWM)",
    "IWC": "Micro caps (IWC)",
    "IWD": "Russell 1000 Value (IWD)",
    "IWF": "Russell 1000 Growth (IWF)",
    "^GSPC": "S&P 500 index",
    "XLK": "Technology",
    "XLU": "Utilities",
    "XLE": "Energy",
    "basket:cyclicals": "Cyclical industries",
    "basket:megacap_tech": "Mega-cap tech",
}
VERDICT_PAIRS = ("small", "equal", "value", "cyclicals")
GROUPS = {"benchmarks": ("SPY", "RSP", "QQQ", "^GSPC"), "size": ("IWM", "IWC")}


def line(
    key: str, spread_1m: float | None = 0.0, spread_1d: float = 0.0, quadrant: str = "Leading"
) -> RotationLine:
    name, lead, lag = PAIRS[key]
    spreads: dict[str, float | None] = dict.fromkeys(WINDOWS, 0.0)
    spreads.update({"1M": spread_1m, "1D": spread_1d})
    return RotationLine(
        name=name,
        lead=lead,
        lag=lag,
        lead_name=NAMES[lead],
        lag_name=NAMES[lag],
        spread=spreads,
        ratio_vs_50d=1.0,
        rrg=RelativeRotation(101.0, 101.0, quadrant),
    )


def sector_line(ticker: str, spread: float) -> RotationLine:
    return RotationLine(
        name=f"{ticker} vs SPY",
        lead=ticker,
        lag="SPY",
        lead_name=NAMES[ticker],
        lag_name=NAMES["SPY"],
        spread=dict.fromkeys(WINDOWS, spread),
        ratio_vs_50d=1.0,
        rrg=RelativeRotation(101.0, 101.0, "Leading"),
    )


def briefing(
    *,
    lines: tuple[RotationLine, ...] | None = None,
    typical: float = 1.0,
    records: tuple[str, ...] = (),
    highs: tuple[str, ...] = (),
    sectors: tuple[tuple[str, float], ...] = (("XLK", 1.0), ("XLU", 0.5)),
    spy_return: float = 0.5,
    breadth_above: int = 6,
    since_low: dict[str, float] | None = None,
    sessions_since_low: int = 10,
    as_of: date = SESSION,
) -> Briefing:
    """Return a briefing with just the figures the story reads; the rest stays neutral."""
    rotation = lines if lines is not None else tuple(line(key) for key in VERDICT_PAIRS)
    sector_rotation = tuple(sector_line(t, r - spy_return) for t, r in sectors)
    typical_spreads = {
        f"{item.lead}/{item.lag}": {**dict.fromkeys(WINDOWS, typical), "since_low": typical}
        for item in (*rotation, *sector_rotation)
    }
    returns = {t: dict.fromkeys(WINDOWS, 0.1) for t in NAMES if not t.startswith("basket:")}
    returns["SPY"] = dict.fromkeys(WINDOWS, spy_return)
    board = tuple(SectorRow(t, NAMES[t], r) for t, r in sorted(sectors, key=lambda item: -item[1]))
    groups = tuple(
        GroupBlock(
            key,
            key.title(),
            tuple(TickerLine(t, NAMES[t], returns[t], close=100.0 + i) for i, t in enumerate(m)),
        )
        for key, m in GROUPS.items()
    )
    low = None
    if since_low is not None:
        low = SinceLow(
            benchmark="^GSPC",
            benchmark_name="S&P 500 index",
            low_date=date(2025, 11, 20),
            low_close=6500.0,
            lookback_sessions=63,
            returns=tuple(SectorRow(t, NAMES[t], r) for t, r in since_low.items()),
            sessions_since=sessions_since_low,
        )
    return Briefing(
        as_of=as_of,
        source="test",
        simulated=False,
        data_version="v1",
        period="MTD",
        groups=groups,
        returns=returns,
        leaderboards=dict.fromkeys(WINDOWS, board),
        rotation=rotation,
        sector_rotation=sector_rotation,
        since_low=low,
        since=None,
        record_highs=records,
        highs_52w=highs,
        streaks=(),
        breadth=(Breadth("sectors", "Sectors", 10, breadth_above, 5, 10, 10),),
        stale=(),
        names=NAMES,
        typical_spreads=typical_spreads,
    )


NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def assert_numbers_are_figures(takeaway: Takeaway | Verdict) -> None:
    """Every measured number in the sentence (not a date, not "50-day") is one of its figures."""
    text = re.sub(
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d+", "", fact_words(takeaway)
    )
    text = re.sub(r"\d+-(?:day|week)|S&P 500|Nasdaq-100|Russell 2000|MidCap 400", "", text)
    figures = {abs(v) for v in takeaway.figures.values()}
    for number in NUMBER.findall(text):
        assert abs(float(number)) in figures, (number, takeaway)


def ids(items: tuple[Takeaway, ...]) -> list[str]:
    return [t.id for t in items]


# --- verdict -------------------------------------------------------------------------------


def test_broadening_when_three_key_pairs_lean_broad_and_none_narrow() -> None:
    b = briefing(
        lines=(line("small", 2.0), line("equal", 1.5), line("value", 3.0), line("cyclicals", 0.0))
    )
    result = verdict(b)
    assert result.id == "broadening"
    # The widest margins first, at most three, each one of the verdict's figures.
    assert fact_words(result) == (
        "Broadening: value +3.0 pp, small caps +2.0 pp, equal weight +1.5 pp over the month"
    )
    assert_numbers_are_figures(result)


def test_narrow_when_three_lean_narrow_and_none_broad() -> None:
    lines = tuple(line(key, -2.0) for key in VERDICT_PAIRS)
    result = verdict(briefing(lines=lines))
    assert result.id == "narrow"
    assert fact_words(result) == (
        "Narrow: large caps +2.0 pp, cap weight +2.0 pp, growth +2.0 pp over the month"
    )


def test_one_narrow_pair_makes_a_broad_month_mixed() -> None:
    lines = (line("small", 2.0), line("equal", 2.0), line("value", 2.0), line("cyclicals", -2.0))
    result = verdict(briefing(lines=lines))
    assert result.id == "mixed"
    assert "mega-cap tech over cyclicals" in fact_words(result)
    assert "small caps over large caps" in fact_words(result)


@pytest.mark.parametrize(
    ("spread", "typical", "leans"),
    [
        (1.0, 1.0, True),  # at both thresholds
        (0.9, 0.5, False),  # under 1.0 pp
        (1.5, 3.0, True),  # exactly half the typical move
        (1.5, 3.1, False),  # less than half the typical move
    ],
)
def test_a_pair_leans_only_past_both_thresholds(spread: float, typical: float, leans: bool) -> None:
    lines = tuple(line(key, spread) for key in VERDICT_PAIRS)
    result = verdict(briefing(lines=lines, typical=typical))
    assert result.id == ("broadening" if leans else "mixed")
    if not leans:
        assert fact_words(result) == "Mixed: no clear lead this month"


def test_no_verdict_with_fewer_than_three_key_pairs() -> None:
    lines = (line("small", 2.0), line("equal", 2.0), line("value", None))
    assert verdict(briefing(lines=lines)).id == "no_verdict"


# --- takeaways -----------------------------------------------------------------------------


def test_records_name_indices_and_funds_once_names_before_tickers_without_sectors() -> None:
    b = briefing(records=("SPY", "^GSPC", "IWM", "XLK"), lines=(line("small", 5.0),))
    result = takeaways(b)
    assert result[0].id == "records"
    assert result[0].subjects == ("SPY", "^GSPC", "IWM")
    assert fact_words(result[0]) == "S&P 500 and Russell 2000 closed at records"
    assert fact_words(result[0], "zh") == "标普500和罗素2000收盘创历史新高"
    only_index = takeaways(briefing(records=("^GSPC", "XLK")))
    assert fact_words(only_index[0]) == "S&P 500 closed at a record"
    assert "records" not in ids(takeaways(briefing(records=("XLK",))))


def test_a_52_week_high_that_is_not_a_record_is_its_own_takeaway() -> None:
    result = takeaways(briefing(records=("SPY",), highs=("SPY", "QQQ")))
    assert ids(result)[:2] == ["records", "highs_52w"]
    assert fact_words(result[1]) == "At a 52-week high: Nasdaq-100"


@pytest.mark.parametrize(
    ("spread", "typical", "fires"),
    [(1.0, 1.0, True), (0.9, 0.5, False), (2.0, 2.1, False), (-3.0, 1.0, True)],
)
def test_a_month_spread_speaks_past_1pp_and_its_typical_size(
    spread: float, typical: float, fires: bool
) -> None:
    result = takeaways(briefing(lines=(line("small", spread),), typical=typical))
    assert ("small_vs_large_month" in ids(result)) is fires


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_winner_named_is_the_one_the_sign_favours(sign: float) -> None:
    (told,) = [
        t for t in takeaways(briefing(lines=(line("value", 2.5 * sign),))) if "month" in t.id
    ]
    winner, loser = ("value", "growth") if sign > 0 else ("growth", "value")
    assert fact_words(told) == f"Over the past month {winner} beat {loser} by 2.5 pp"
    assert told.figures == {"spread_pp": 2.5 * sign, "margin_pp": 2.5}


def test_a_day_spread_needs_twice_its_typical_size() -> None:
    quiet = takeaways(briefing(lines=(line("small", 0.0, 0.6),), typical=0.31))
    loud = takeaways(briefing(lines=(line("small", 0.0, 0.6),), typical=0.3))
    assert "small_vs_large_day" not in ids(quiet)
    assert "small_vs_large_day" in ids(loud)


def test_since_the_low_pairs_with_one_lag_share_a_sentence() -> None:
    since = {"IWM": 12.5, "RSP": 6.9, "SPY": 5.6, "IWD": 6.5, "IWF": 6.3}
    result = takeaways(
        briefing(since_low=since, lines=(line("small"), line("equal"), line("value")))
    )
    told = {t.id: t for t in result}
    assert fact_words(told["since_low_vs_spy"]) == (
        "Since the Nov 20 low: small caps +12.5%, equal weight +6.9%, the S&P 500 +5.6%"
    )
    assert "since_low_vs_iwf" not in told  # 0.2 pp is not news
    assert_numbers_are_figures(told["since_low_vs_spy"])


def test_since_the_low_waits_for_five_sessions() -> None:
    since = {"IWM": 3.0, "SPY": 1.0}
    early = takeaways(briefing(since_low=since, sessions_since_low=4, lines=(line("small"),)))
    assert not any(t.id.startswith("since_low") for t in early)
    later = takeaways(briefing(since_low=since, sessions_since_low=5, lines=(line("small"),)))
    assert any(t.id.startswith("since_low") for t in later)


def test_sector_leader_and_laggard_need_a_lead_of_1pp_over_the_benchmark() -> None:
    result = takeaways(
        briefing(sectors=(("XLK", 3.0), ("XLE", 0.0), ("XLU", -2.0)), spy_return=0.5)
    )
    told = {t.id: t for t in result}
    assert (
        fact_words(told["sector_leader"])
        == "Best sector month to date: Technology +3.0%, SPY +0.5%"
    )
    assert (
        fact_words(told["sector_laggard"])
        == "Worst sector month to date: Utilities -2.0%, SPY +0.5%"
    )
    close = takeaways(
        briefing(
            sectors=(("XLK", 1.4), ("XLU", -0.4)),
            spy_return=0.5,
            lines=(line("small", 5.0), line("value", 5.0), line("cyclicals", 5.0)),
        )
    )
    assert "sector_leader" not in ids(close)
    assert "sector_laggard" not in ids(close)


@pytest.mark.parametrize(("above", "fires"), [(8, True), (7, False), (2, True), (3, False)])
def test_breadth_speaks_at_80_or_20_percent(above: int, fires: bool) -> None:
    lines = (line("small", 5.0), line("value", 5.0), line("cyclicals", 5.0))
    result = takeaways(briefing(breadth_above=above, lines=lines))
    assert ("breadth" in ids(result)) is fires


def test_quiet_days_still_get_three_takeaways_and_busy_days_at_most_nine() -> None:
    quiet = takeaways(briefing(sectors=(("XLK", 0.6), ("XLU", 0.4))))
    assert ids(quiet) == ["sector_leader", "sector_laggard", "breadth"]
    busy = briefing(
        lines=tuple(line(key, 4.0, 3.0) for key in VERDICT_PAIRS),
        records=("SPY",),
        highs=("QQQ",),
        breadth_above=10,
        sectors=(("XLK", 5.0), ("XLU", -5.0)),
    )
    result = takeaways(busy)
    assert len(result) == 8  # every fact that passes: under the nine
    assert result[0].id == "records"
    significance = [t.significance for t in result]
    assert significance == sorted(significance, reverse=True)


def test_every_number_in_every_sentence_is_a_figure() -> None:
    since = {"IWM": 12.5, "RSP": 6.9, "SPY": 5.6}
    b = briefing(
        lines=(line("small", 4.6, 1.1), line("equal", -2.2), line("value", 3.1)),
        since_low=since,
        sectors=(("XLK", 3.0), ("XLU", -2.0)),
        breadth_above=9,
        records=("IWM",),
    )
    for takeaway in takeaways(b):
        assert_numbers_are_figures(takeaway)


# --- the day and what changed --------------------------------------------------------------


def test_the_day_holds_the_benchmarks_and_the_movers_each_way() -> None:
    b = briefing()
    b = replace(
        b,
        returns={
            **b.returns,
            "SPY": {"1D": 0.2},
            "QQQ": {"1D": -0.3},
            "XLK": {"1D": 2.0},
            "XLE": {"1D": -1.5},
            "XLU": {"1D": 0.01},
            "^GSPC": {"1D": 5.0},
        },
    )
    day = the_day(b)
    assert [r.ticker for r in day.benchmarks] == ["SPY", "QQQ", "IWM", "RSP"]
    assert day.up[0].ticker == "XLK"
    assert day.down[0].ticker == "XLE"
    assert "^GSPC" not in {r.ticker for r in (*day.up, *day.down)}
    assert "XLU" not in {r.ticker for r in (*day.up, *day.down)}  # rounds to +0.0%


def test_what_changed_is_the_alert_comparisons() -> None:
    before = briefing(as_of=date(2025, 12, 10), lines=(line("small", quadrant="Improving"),))
    after = briefing(records=("SPY",), lines=(line("small", quadrant="Leading"),))
    story = tell_story(after, before).story
    assert story is not None
    assert {c.id for c in story.changes} == {a.key for a in detect_alerts(before, after)}
    assert [c.id for c in story.changes][:2] == ["record:SPY", "quadrant:IWM/SPY"]
    assert fact_words(story.changes[1]) == "Small vs large: ahead and gaining (Leading)"
    assert story.previous_session == date(2025, 12, 10)


def test_the_json_carries_verdict_takeaways_and_changes_in_order() -> None:
    told = tell_story(briefing(records=("SPY",)), briefing(as_of=date(2025, 12, 10)))
    payload = briefing_to_json(told)
    assert list(payload)[4:7] == ["verdict", "takeaways", "day"]
    assert payload["verdict"]["id"] == told.story.verdict.id  # type: ignore[union-attr]
    assert [t["id"] for t in payload["takeaways"]] == ids(told.story.takeaways)  # type: ignore[union-attr]
    assert payload["changes"][0] == {
        "id": "record:SPY",
        "kind": "record",
        "text": "SPY closed at a record",
        "subjects": ["SPY"],
    }
    assert payload["takeaways"][0]["supersedes"] == ["record:SPY"]


def test_phone_lines_keep_numbers_with_their_labels() -> None:
    lines = phone_lines(
        "Since the Nov 20 low: micro caps +15.6%, small caps +12.5%, the S&P 500 +5.6%", 38
    )
    assert all(len(text) <= 38 for text in lines)
    assert "micro caps +15.6%," in lines[1]
    assert lines[-1].endswith("the S&P 500 +5.6%")


def test_a_sector_rank_move_of_three_places_is_a_change_two_is_not() -> None:
    three = (("XLK", 3.0), ("XLE", 2.0), ("XLU", 1.0), ("IWC", 0.0))
    before = briefing(as_of=date(2025, 12, 10), sectors=three)
    moved = briefing(sectors=(("IWC", 4.0), ("XLK", 3.0), ("XLE", 2.0), ("XLU", 1.0)))
    keys = [a.key for a in detect_alerts(before, moved) if a.kind == "rank"]
    assert keys == ["rank:IWC"]
    nudged = briefing(sectors=(("XLK", 3.0), ("IWC", 2.5), ("XLE", 2.0), ("XLU", 1.0)))
    assert not [a for a in detect_alerts(before, nudged) if a.kind == "rank"]
    story = tell_story(moved, before).story
    assert story is not None
    assert "Micro caps (IWC) up from #4 to #1 (1M)" in {fact_words(c) for c in story.changes}


def test_a_new_52_week_high_is_a_change_once_and_a_record_is_not_one() -> None:
    before = briefing(as_of=date(2025, 12, 10))
    after = briefing(highs=("QQQ", "SPY"), records=("SPY",))
    assert [a.key for a in detect_alerts(before, after) if a.kind == "high52"] == ["high52:QQQ"]
    again = briefing(as_of=date(2025, 12, 12), highs=("QQQ",))
    assert not [a for a in detect_alerts(after, again) if a.kind == "high52"]


def test_rank_moves_and_52_week_highs_are_not_pushed() -> None:
    before = briefing(as_of=date(2025, 12, 10))
    after = briefing(highs=("QQQ",))
    (high,) = [a for a in detect_alerts(before, after) if a.kind == "high52"]
    assert not worth_pushing(high)


def test_of_pairs_sharing_a_lag_only_the_strongest_speaks_for_a_window() -> None:
    lines = (line("small", 0.0, 0.8), line("micro", 0.0, 1.2), line("value", 0.0, 0.9))
    result = takeaways(briefing(lines=lines, typical=0.3))
    assert "micro_vs_large_day" in ids(result)
    assert "small_vs_large_day" not in ids(result)
    assert "value_vs_growth_day" in ids(result)  # another lag: it speaks too


def test_a_busy_summary_keeps_three_takeaways_a_change_and_26_lines() -> None:
    from briefings.render.views import render_summary

    before = briefing(
        as_of=date(2025, 12, 10),
        lines=tuple(line(key, quadrant="Improving") for key in PAIRS),
    )
    after = briefing(
        lines=tuple(line(key, 4.0, 3.0, quadrant="Leading") for key in PAIRS),
        records=("SPY", "RSP", "IWM", "IWC", "QQQ"),
        highs=("SPY",),
        breadth_above=10,
        sectors=(("XLK", 5.0), ("XLE", 1.0), ("XLU", -5.0)),
        since_low={"IWM": 12.5, "IWC": 15.0, "RSP": 6.9, "SPY": 5.6},
    )
    told = tell_story(after, before)
    assert told.story is not None
    assert len(told.story.takeaways) >= 6
    lines = render_summary(told, "html").splitlines()
    assert len(lines) <= 26
    bullets = [line for line in lines if line.startswith("• ")]
    changed = lines.index("<b>Changed since Dec 10</b>")
    assert len([b for b in bullets if lines.index(b) < changed]) >= 3
    assert lines[changed + 1].startswith("• ")
    assert "more in the full briefing" in "\n".join(lines)


def test_at_most_two_takeaways_tell_the_stretch_since_the_low() -> None:
    since = {"IWM": 12.5, "SPY": 5.6, "IWD": 1.0, "IWF": 9.0, "basket:cyclicals": 15.0}
    since["basket:megacap_tech"] = 2.0
    lines = (line("small"), line("value"), line("cyclicals"))
    result = takeaways(briefing(since_low=since, lines=lines))
    assert len([t for t in result if t.id.startswith("since_low_")]) == 2
