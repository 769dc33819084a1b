"""Benchmark: what telling the story costs, and how the daily summary fits a phone.

Run: uv run python -m tests.perf.story [--all-sessions]
Prints figures, asserts nothing. Targets: the story (typical spreads in the analytics plus the
verdict, the day, takeaways and changes) adds under 5 ms to a briefing; with history (the
regime's age, the pairs' ranks, participation) under 20 ms once the data version's history is
loaded; the summary message is at most about 25 lines, each at most 40 characters.

Sessions: the demo market's last session, and real closes (../shared/market-data, or
$MARKETBRIEF_TEST_MARKET_DATA) on 2025-04-08, 2025-11-28 and 2025-12-11 when present; with
--all-sessions also the summary's size on every session of 2025-01-02 .. 2026-07-31.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from briefings.analytics.returns import window_base_date
from briefings.analytics.rotation import legs_frame, sector_pairs
from briefings.analytics.typical import typical_spreads, window_lengths
from briefings.build import SECTORS_GROUP, build_briefing, overview_legs
from briefings.history.book import HistoryBook
from briefings.members.book import MemberBook
from briefings.model import Briefing
from briefings.render.views import render_summary
from briefings.service import MarketService
from briefings.sources.base import PriceSource
from briefings.sources.csvdir import CsvDirectorySource
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.story import tell_story
from briefings.universe import load_universe
from briefings.windows import WINDOWS
from tests.conftest import MARKET_DATA
from tests.perf.analytics import timed

REAL_SESSIONS = (date(2025, 4, 8), date(2025, 11, 28), date(2025, 12, 11))
_TAG = re.compile(r"<[^>]+>")


def visible_lines(html: str) -> list[str]:
    """Return the summary's lines as a reader sees them: tags gone, entities decoded."""
    return [
        _TAG.sub("", line).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        for line in html.splitlines()
    ]


def open_service(source: PriceSource, workdir: Path, name: str) -> MarketService:
    service = MarketService(
        source,
        PriceStore(workdir / f"{name}.sqlite3"),
        load_universe(),
        clock=lambda: datetime(2026, 7, 31, 23, 0, tzinfo=UTC),
    )
    report = service.refresh()
    if report.error is not None:
        raise RuntimeError(report.error)
    return service


def typical_spreads_time(service: MarketService, briefing: Briefing) -> float:
    """Return the median time of the typical-spread analytics the story added to the build."""
    universe = service.universe
    closes = service.store.load(service.source_name).loc[: pd.Timestamp(briefing.as_of)]
    pairs = (*universe.pairs, *sector_pairs(universe, SECTORS_GROUP))
    legs = legs_frame(
        closes,
        universe,
        [
            *(leg for pair in pairs for leg in (pair.lead, pair.lag)),
            *overview_legs(universe),
        ],
    )
    session = pd.Timestamp(briefing.as_of)
    index = pd.DatetimeIndex(legs.index)

    def run() -> object:
        bases = {w: window_base_date(index, session, w) for w in WINDOWS}
        if briefing.since_low is not None:
            bases["since_low"] = pd.Timestamp(briefing.since_low.low_date)
        return typical_spreads(legs, pairs, session, window_lengths(index, session, bases))

    return timed(run, repeat=21)


def report(service: MarketService, session: date | None, label: str) -> None:
    snapshot = service.snapshot(as_of=session)
    current = snapshot.briefing
    previous_session = snapshot.previous_session()
    previous = None if previous_session is None else service.snapshot(as_of=previous_session)
    plain = replace(current, story=None)
    previous_plain = None if previous is None else previous.briefing
    story_s = timed(lambda: tell_story(plain, previous_plain), repeat=21)
    closes_all = service.store.load(service.source_name)

    def first_use() -> object:
        # A new book each time: the history's one-off cost per data version (regimes, ranks).
        return tell_story(plain, previous_plain, HistoryBook(closes_all, service.universe, "x"))

    one_off_s = timed(first_use, repeat=3)
    book = HistoryBook(closes_all, service.universe, "bench")
    members = service.member_book() if service.universe.member_indexes else None
    tell_story(plain, previous_plain, book, members)
    history_s = timed(lambda: tell_story(plain, previous_plain, book, members), repeat=21)

    def members_first_use() -> object:
        # A new members' book on the same closes: the top 50 gap's history for both windows.
        fresh = MemberBook(members.indexes if members else ())
        return tell_story(plain, previous_plain, book, fresh)

    members_s = max(timed(members_first_use, repeat=3) - history_s, 0.0)
    analytics_s = typical_spreads_time(service, current)
    lines = visible_lines(render_summary(current, "html"))
    story = current.story
    assert story is not None
    print(
        f"{label} ({current.as_of}): verdict {story.verdict.id}, {len(story.takeaways)} takeaways"
    )
    print(f"  summary message        {len(lines):4d} lines, longest {max(map(len, lines))} chars")
    print(f"  typical spreads        {analytics_s * 1e3:8.2f} ms (analytics, inside the build)")
    print(f"  verdict + takeaways    {story_s * 1e3:8.2f} ms (rules, templates, changes)")
    print(f"  story adds in all      {(analytics_s + story_s) * 1e3:8.2f} ms (target < 5 ms)")
    print(f"  story with history     {history_s * 1e3:8.2f} ms (book loaded; target < 20 ms)")
    print(f"  history's first use    {one_off_s * 1e3:8.2f} ms (once per data version)")
    print(f"  members' gap history   {members_s * 1e3:8.2f} ms (once per data version)")
    if previous_session is not None:
        closes = service.store.load(service.source_name)
        previous_s = timed(
            lambda: build_briefing(
                closes,
                service.universe,
                as_of=previous_session,
                source=service.source_name,
                simulated=service.simulated,
                data_version="bench",
            ),
            repeat=5,
        )
        print(f"  previous session build {previous_s * 1e3:8.2f} ms (once per session, cached)")


def sweep(service: MarketService, start: date, end: date) -> None:
    """Print the summary's line counts and longest lines over every session from start to end."""
    from collections import Counter

    from briefings.calendar import sessions_in_range

    counts: Counter[int] = Counter()
    widths: Counter[int] = Counter()
    verdicts: Counter[str] = Counter()
    sessions = sessions_in_range(start, end)
    for session in sessions:
        briefing = service.snapshot(as_of=session).briefing
        lines = visible_lines(render_summary(briefing, "html"))
        counts[len(lines)] += 1
        widths[max(map(len, lines))] += 1
        verdicts[briefing.story.verdict.id if briefing.story else "none"] += 1
    print(f"real closes, every session {start} .. {end} ({len(sessions)}):")
    print(f"  summary lines          {min(counts)}..{max(counts)}  {dict(sorted(counts.items()))}")
    print(f"  longest line           {min(widths)}..{max(widths)}  {dict(sorted(widths.items()))}")
    print(f"  verdicts               {dict(verdicts.most_common())}")


def main(real: bool = True, all_sessions: bool = False) -> None:
    """Print the figures for the demo market and (``real``, when present) the real closes."""
    with tempfile.TemporaryDirectory() as workdir:
        demo = open_service(DemoSource(), Path(workdir), "demo")
        report(demo, None, "demo market (simulated)")
        if not real:
            return
        if (MARKET_DATA / "SPY.csv").is_file():
            closes = open_service(CsvDirectorySource(MARKET_DATA), Path(workdir), "real")
            for session in REAL_SESSIONS:
                report(closes, session, "real closes")
            if all_sessions:
                sweep(closes, date(2025, 1, 2), date(2026, 7, 31))
        else:
            print(f"real closes: not found at {MARKET_DATA}; skipped")


if __name__ == "__main__":
    import sys

    main(all_sessions="--all-sessions" in sys.argv[1:])
