"""One story on every surface: sampled sessions of the demo and the real market.

The full sweep over every session is ``python -m tests.sweeps.surfaces`` (run by .ci/run);
these tests run its check on a sample, and show that the check fails when a surface drifts.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from briefings.model import SinceDate
from briefings.render.selection import select_summary
from briefings.render.templates import fact_words
from briefings.render.views import render_briefing, render_summary
from briefings.service import MarketService
from tests.sweeps.surfaces import (
    assert_columns_apart,
    assert_in_order,
    assert_tables_once,
    check_since_the_low,
    check_surfaces,
)

REAL_SAMPLE = [date(2025, 4, 8), date(2025, 12, 11), date(2026, 3, 31), date(2026, 7, 31)]
DEMO_SAMPLE = [date(2025, 11, 14), date(2025, 11, 20)]


@pytest.mark.parametrize("session", DEMO_SAMPLE)
def test_demo_sessions_tell_one_story_on_every_surface(
    golden_service: MarketService, session: date
) -> None:
    check_surfaces(golden_service.snapshot(as_of=session).briefing)
    check_since_the_low(golden_service, session)


@pytest.mark.parametrize("session", REAL_SAMPLE)
def test_real_sessions_tell_one_story_on_every_surface(
    real_service: MarketService, session: date
) -> None:
    check_surfaces(real_service.snapshot(as_of=session).briefing)
    check_since_the_low(real_service, session)


def test_english_and_chinese_summaries_show_the_same_facts_in_order(
    real_service: MarketService,
) -> None:
    briefing = real_service.snapshot(as_of=date(2025, 12, 11)).briefing
    pick = select_summary(briefing)
    assert len(pick.takeaways) >= 3
    for language in ("en", "zh"):
        summary = render_summary(briefing, "text", language)
        assert_in_order(summary, pick.takeaways, language, "text summary")
    payload = json.loads(render_briefing(briefing, "json"))
    assert payload["summary"]["shown"] == list(pick.ids)


def test_the_full_html_briefing_holds_what_the_summary_counts(
    golden_service: MarketService,
) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    assert briefing.story is not None
    full = render_briefing(briefing, "html", "zh")
    for fact in briefing.story.facts:
        assert fact_words(fact, "zh") in full


def test_the_check_catches_a_surface_that_drops_or_reorders_a_fact(
    golden_service: MarketService,
) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    assert briefing.story is not None
    facts = list(briefing.story.takeaways)
    full = render_briefing(briefing, "text")
    assert_in_order(full, facts, "en", "full text")
    dropped = full.replace(fact_words(facts[-1]), "")
    with pytest.raises(AssertionError, match="lacks"):
        assert_in_order(dropped, facts, "en", "full text")
    with pytest.raises(AssertionError, match="out of order"):
        assert_in_order(full, facts[::-1], "en", "full text")


def test_the_table_check_catches_a_table_printed_twice() -> None:
    table = "Since the low\n  A  +1.0%\n  B  +2.0%\n  C  +3.0%\n"
    with pytest.raises(AssertionError, match="twice"):
        assert_tables_once(table + "\n" + table.replace("low", "date"), "text")
    assert_tables_once(table, "text")


def test_the_column_check_catches_figures_run_together() -> None:
    with pytest.raises(AssertionError):
        assert_columns_apart("SPY   S&P 500   +51.0%+122.9%+129.5%", "text")
    assert_columns_apart("SPY   S&P 500   +51.0% +123% +129%  2025-12-11", "text")


def test_since_the_low_date_prints_one_table(golden_service: MarketService) -> None:
    briefing = golden_service.snapshot(as_of=date(2025, 11, 20)).briefing
    low = briefing.since_low
    assert low is not None
    since = SinceDate(start=low.low_date, returns=low.returns, highlights=low.highlights)
    text = render_briefing(dataclasses.replace(briefing, since=since), "text")
    assert "the same as since the low, above" in text
    assert_tables_once(text, "text")
