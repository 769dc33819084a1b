"""The summary's facts: one selection under the phone budget, the same in every language."""

from __future__ import annotations

from dataclasses import dataclass

from briefings.i18n import LANGUAGES
from briefings.model import Briefing, Change, Takeaway
from briefings.render.templates import render_template

#: The phone budget: the daily summary's most lines (each at most PHONE_WIDTH columns).
SUMMARY_MAX_LINES = 26
SUMMARY_MIN_TAKEAWAYS = 3
SUMMARY_MIN_CHANGES = 1
SUMMARY_MAX_CHANGES = 4


@dataclass(frozen=True)
class SummarySelection:
    """The facts the summary tells, in order, and how many more the full briefing holds."""

    takeaways: tuple[Takeaway, ...] = ()
    changes: tuple[Change, ...] = ()
    unshown_takeaways: tuple[Takeaway, ...] = ()
    unshown_changes: tuple[Change, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        """Return the ids of the facts shown, in the order shown."""
        return tuple(fact.id for fact in (*self.takeaways, *self.changes))

    @property
    def counted_ids(self) -> tuple[str, ...]:
        """Return the ids of the facts the summary counts but leaves to the full briefing."""
        return tuple(fact.id for fact in (*self.unshown_takeaways, *self.unshown_changes))

    @property
    def more(self) -> int:
        """Return how many facts the "+N more in the full briefing" line counts."""
        return len(self.unshown_takeaways) + len(self.unshown_changes)


def summary_changes(briefing: Briefing) -> list[Change]:
    """Return the changes a summary may show: not those a takeaway says as well (supersedes)."""
    story = briefing.story
    if story is None:
        return []
    said = {fact_id for t in story.takeaways for fact_id in t.supersedes}
    return [c for c in story.changes if c.id not in said]


def _selection(briefing: Briefing, told: int, shown: int) -> SummarySelection:
    story = briefing.story
    assert story is not None
    changes = summary_changes(briefing)
    return SummarySelection(
        takeaways=story.takeaways[:told],
        changes=tuple(changes[:shown]),
        unshown_takeaways=story.takeaways[told:],
        unshown_changes=tuple(changes[shown:]),
    )


def _fits(briefing: Briefing, selection: SummarySelection) -> bool:
    """Return whether the phone summary of ``selection`` fits the budget in every language."""
    return all(
        render_template(
            "summary.html.j2", language, b=briefing, s=briefing.story, pick=selection
        ).count("\n")
        <= SUMMARY_MAX_LINES
        for language in LANGUAGES
    )


def select_summary(briefing: Briefing) -> SummarySelection:
    """Choose the summary's facts once for every language and format, under the phone budget.

    The most takeaways (at least SUMMARY_MIN_TAKEAWAYS) with at least SUMMARY_MIN_CHANGES
    changes, then as many changes (up to SUMMARY_MAX_CHANGES) as still fit, measured on the
    phone layout of each language: the selection fits the longest of them. When even that is
    too long, the changes are only counted, and then fewer takeaways are told.
    """
    story = briefing.story
    if story is None:
        return SummarySelection()
    changes = summary_changes(briefing)
    fewest_takeaways = min(SUMMARY_MIN_TAKEAWAYS, len(story.takeaways))
    most_changes = min(SUMMARY_MAX_CHANGES, len(changes))
    fewest_changes = min(SUMMARY_MIN_CHANGES, most_changes)
    selection = SummarySelection()
    # Long sentences (a rank, a count since the low) may leave room for fewer: then down to one.
    for floor in dict.fromkeys((fewest_takeaways, min(1, fewest_takeaways))):
        for least in (fewest_changes, 0):
            for told in range(len(story.takeaways), floor - 1, -1):
                for shown in range(most_changes, least - 1, -1):
                    selection = _selection(briefing, told, shown)
                    if _fits(briefing, selection):
                        return selection
    return selection
