"""The members' takeaways on tiny hand-built briefings: each fires exactly when its rule holds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from briefings.members.model import BreadthCounts, GroupSplit, IndexMembers, SectorFigures
from briefings.model import Briefing, Takeaway
from briefings.render.templates import fact_words
from briefings.story import takeaways
from tests.test_story import assert_numbers_are_figures, briefing, line

RESTING = GroupSplit(top_cap=0.2, rest_cap=0.2, top_equal=0.2, rest_equal=0.2)


def counts(above: int, counted: int) -> BreadthCounts:
    return BreadthCounts(
        members=counted,
        above_50d=above,
        above_200d=above,
        counted_50d=counted,
        counted_200d=counted,
        advancers=0,
        decliners=0,
        new_highs_52w=0,
        new_lows_52w=0,
    )


def sector(name: str, above: int, counted: int = 20) -> SectorFigures:
    return SectorFigures(
        sector=name, members=counted, returns={}, equal_returns={}, breadth=counts(above, counted)
    )


def members(
    *,
    month: GroupSplit = RESTING,
    day: GroupSplit = RESTING,
    cap_weighted: bool = True,
    sectors: tuple[SectorFigures, ...] = (sector("Energy", 10), sector("Utilities", 10)),
    index_above: int = 50,
) -> IndexMembers:
    return IndexMembers(
        index="sp500",
        name="S&P 500",
        weights_as_of=None,
        origin="test",
        simulated=False,
        count=491,
        with_data=491,
        missing=(),
        cap_weighted=cap_weighted,
        top_n=50,
        top_vs_rest={"MTD": month, "1D": day},
        sectors=sectors,
        breadth=counts(index_above, 100),
        movers={},
        index_return={},
    )


def told(figures: IndexMembers, *, typical: float = 1.0) -> dict[str, Takeaway]:
    b: Briefing = replace(briefing(typical=typical), members=(figures,))
    result = {t.id: t for t in takeaways(b)}
    for takeaway in result.values():
        assert_numbers_are_figures(takeaway)
    return result


def cap(top: float, rest: float) -> GroupSplit:
    return GroupSplit(top_cap=top, rest_cap=rest, top_equal=0.0, rest_equal=0.0)


# --- top N vs the rest ---------------------------------------------------------------------


def test_top_vs_rest_over_the_period_speaks_when_the_gap_is_meaningful() -> None:
    result = told(members(month=cap(-0.4, 1.4)))
    assert fact_words(result["top_vs_rest_mtd"]) == (
        "Month to date: top 50 of the S&P 500 -0.4%, the other 441 +1.4%"
    )
    assert result["top_vs_rest_mtd"].figures["gap_pp"] == -1.8


@pytest.mark.parametrize(
    ("top", "rest", "typical", "fires"),
    [
        (0.5, 1.5, 1.0, True),  # 1.0 pp, significance 1.0: both at the threshold
        (0.5, 1.4, 1.0, False),  # 0.9 pp: too small
        (2.0, 0.5, 1.6, False),  # 1.5 pp but under its typical 1.6 pp
        (2.0, 0.5, 1.5, True),
    ],
)
def test_top_vs_rest_thresholds_over_the_period(
    top: float, rest: float, typical: float, fires: bool
) -> None:
    assert ("top_vs_rest_mtd" in told(members(month=cap(top, rest)), typical=typical)) is fires


@pytest.mark.parametrize(
    ("top", "rest", "typical", "fires"),
    [
        (0.0, 0.5, 0.25, True),  # 0.5 pp, significance 2
        (0.0, 0.4, 0.1, False),  # 0.4 pp: too small however unusual
        (0.0, 0.6, 0.31, False),  # significance under 2
    ],
)
def test_top_vs_rest_thresholds_on_the_day(
    top: float, rest: float, typical: float, fires: bool
) -> None:
    result = told(members(day=cap(top, rest)), typical=typical)
    assert ("top_vs_rest_1d" in result) is fires
    if fires:
        assert fact_words(result["top_vs_rest_1d"]).startswith("On the day: top 50 of the S&P 500")


def test_top_vs_rest_speaks_once_in_its_most_significant_window() -> None:
    result = told(members(month=cap(0.0, 1.5), day=cap(0.0, 3.0)))
    assert "top_vs_rest_1d" in result
    assert "top_vs_rest_mtd" not in result


def test_top_vs_rest_without_weights_is_equal_weighted_and_says_so() -> None:
    split = GroupSplit(top_cap=None, rest_cap=None, top_equal=3.0, rest_equal=1.0)
    result = told(members(month=split, cap_weighted=False))
    assert fact_words(result["top_vs_rest_mtd"]).endswith(
        "+3.0%, the other 441 +1.0% (equal-weighted)"
    )


def test_top_vs_rest_never_contradicts_the_sign() -> None:
    text = fact_words(told(members(month=cap(3.0, -1.0)))["top_vs_rest_mtd"])
    assert "top 50 of the S&P 500 +3.0%, the other 441 -1.0%" in text


def test_no_member_takeaways_without_members() -> None:
    assert not {t.id for t in takeaways(briefing())} & {"top_vs_rest_mtd", "sector_breadth"}


# --- a sector's breadth --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("above", "index_above", "fires"),
    [
        (13, 50, True),  # 65 %, 15 pp over the index
        (12, 50, False),  # 60 %: not wide enough
        (14, 61, False),  # 70 % but only 9 pp over the index's 61 %
        (14, 60, True),
        (7, 50, True),  # 35 %: narrow
        (8, 50, False),  # 40 %
    ],
)
def test_sector_breadth_thresholds(above: int, index_above: int, fires: bool) -> None:
    figures = members(
        sectors=(sector("Health Care", above), sector("Energy", 10)), index_above=index_above
    )
    assert ("sector_breadth" in told(figures)) is fires


def test_sector_breadth_names_the_sector_and_the_index() -> None:
    figures = members(sectors=(sector("Health Care", 15), sector("Energy", 9)), index_above=55)
    result = told(figures)["sector_breadth"]
    assert fact_words(result) == (
        "75% of Health Care members are above their 200-day average (S&P 500 55%)"
    )


def test_sector_breadth_tells_the_sector_further_from_half() -> None:
    figures = members(sectors=(sector("Health Care", 14), sector("Real Estate", 2)))
    result = told(figures)["sector_breadth"]
    assert fact_words(result).startswith("10% of Real Estate members are above")


def test_sector_breadth_says_none_and_all_in_words() -> None:
    narrow = told(members(sectors=(sector("Materials", 0), sector("Energy", 10))))
    assert fact_words(narrow["sector_breadth"]).startswith(
        "None of the 20 Materials members is above"
    )
    wide = told(members(sectors=(sector("Utilities", 20), sector("Energy", 10))))
    assert fact_words(wide["sector_breadth"]).startswith("All 20 Utilities members are above")


def test_sector_breadth_ignores_sectors_with_few_members() -> None:
    figures = members(sectors=(sector("Tiny", 9, counted=9), sector("Energy", 10)))
    assert "sector_breadth" not in told(figures)


# --- ranking -------------------------------------------------------------------------------


def test_member_takeaways_take_the_last_places_when_ranked_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("briefings.story.MAX_TAKEAWAYS", 6)  # crowded under a smaller cap
    crowded = briefing(
        records=("SPY",),
        highs=("IWM",),
        lines=(
            line("small", 5.0),
            line("equal", 0.0, 3.0),
            line("value", 4.0),
            line("cyclicals", 3.0),
        ),
        sectors=(("XLK", 5.0), ("XLU", -4.0)),
    )
    others = [t.id for t in takeaways(crowded)]
    assert len(others) == 6
    figures = members(
        month=cap(0.0, 1.2), sectors=(sector("Health Care", 14), sector("Energy", 10))
    )
    told_ids = [t.id for t in takeaways(replace(crowded, members=(figures,)))]
    assert told_ids == [*others[:4], "top_vs_rest_mtd", "sector_breadth"]


def test_the_gap_is_measured_from_unrounded_figures() -> None:
    # 1.54 - 0.08 = 1.46: the gap is 1.5, not 1.5 - 0.1 = 1.4 (the shown figures' difference).
    result = told(members(month=cap(1.54, 0.08)))["top_vs_rest_mtd"]
    assert result.figures["gap_pp"] == 1.5
    assert (result.figures["top_pct"], result.figures["rest_pct"]) == (1.5, 0.1)
