"""Sweep: every real session tells a consistent story that fits a phone.

Run: uv run python -m tests.sweeps.story [--from 2025-01-02] [--to 2026-07-31]
Per session: three to six takeaways whose every number is one of their figures; a broadening
(narrow) verdict has at least three key pairs a point or more broad (narrow) over the month; a
takeaway on a pair names the winner its spread's sign favours; the summary is at most 26 lines
of at most 40 characters; history's facts say only their figures, and an analogs count stands
on 8 or more listed episodes a month or more apart.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta

from briefings.render.views import render_summary
from briefings.service import MarketService
from briefings.story import slug
from briefings.verdict_rule import KEY_PAIRS
from tests.sweeps._runner import Check, main
from tests.test_story import assert_numbers_are_figures

SPAN = (date(2025, 1, 2), date(2026, 7, 31))
_TAG = re.compile(r"<[^>]+>")


def check_story(service: MarketService, session: date) -> None:
    """Check the story and the summary of ``session``; raise AssertionError if off."""
    briefing = service.snapshot(as_of=session).briefing
    story = briefing.story
    assert story is not None, "no story"
    assert 3 <= len(story.takeaways) <= 9, f"{len(story.takeaways)} takeaways"
    lines = {line.name: line for line in briefing.rotation}
    month = [
        line.spread["1M"] or 0.0 for line in briefing.rotation if (line.lead, line.lag) in KEY_PAIRS
    ]
    if story.verdict.id == "broadening":
        assert sum(v >= 1.0 for v in month) >= 3, ("broadening", month)
    if story.verdict.id == "narrow":
        assert sum(v <= -1.0 for v in month) >= 3, ("narrow", month)
    for takeaway in story.takeaways:
        assert_numbers_are_figures(takeaway)
        if takeaway.kind in ("pair_month", "pair_day"):
            # The winner the sentence names is the one the spread's sign favours.
            spread = takeaway.figures["spread_pp"]
            line = next(item for name, item in lines.items() if takeaway.id.startswith(slug(name)))
            window = "1M" if takeaway.id.endswith("_month") else "1D"
            assert (spread > 0) == ((line.spread[window] or 0.0) > 0), takeaway
    for fact in story.history:
        assert_numbers_are_figures(fact)
        if fact.kind == "analogs":
            # Said only on enough episodes, each listed, a month or more apart.
            assert fact.figures["episodes"] == len(fact.episodes) >= 8, fact.id
            days = [episode.session for episode in fact.episodes]
            assert all(b >= a + timedelta(days=28) for a, b in itertools.pairwise(days)), fact.id
    html = render_summary(briefing, "html")
    visible = [_TAG.sub("", line).replace("&amp;", "&") for line in html.splitlines()]
    assert len(visible) <= 26, f"{len(visible)} summary lines"
    assert max(len(line) for line in visible) <= 40, max(visible, key=len)


def story_check(service: MarketService) -> Check:
    """Return the story check of one session on ``service``."""
    return lambda session: check_story(service, session)


def run(argv: Sequence[str] | None = None) -> int:
    """Sweep the story check; return the exit status."""
    return main("story", argv, SPAN, story_check)


if __name__ == "__main__":
    sys.exit(run())
