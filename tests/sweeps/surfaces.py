"""Sweep: every surface tells one story, the same facts in the same order, in each language.

Run: uv run python -m tests.sweeps.surfaces [--from 2025-01-02] [--to 2026-07-31]
It sweeps every real session of the span (skipped without ../shared/market-data) and every
demo session of the year to the span's end. Per session, through the public rendering
functions (``check_surfaces``):

1. every fact the summary shows or counts is told in every full surface (CLI text, HTML, JSON),
   in both languages;
2. the English and Chinese summaries show the same fact ids in the same order;
3. CLI text, HTML, JSON and the summary (HTML and text) carry the same ids; the full surfaces
   and JSON tell history's facts too, in the story's order;
4. no view prints the same table twice, and text table columns always parse apart;
5. every phone summary line is at most 40 columns, at most 26 lines, in both languages.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from briefings.calendar import sessions_in_range
from briefings.i18n import LANGUAGES
from briefings.model import Briefing, Fact, SinceDate
from briefings.render.layout import PHONE_WIDTH, display_width
from briefings.render.selection import SUMMARY_MAX_LINES, select_summary
from briefings.render.templates import fact_words
from briefings.render.views import render_briefing, render_summary
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.real_data import has_market_data, real_market_service
from tests.sweeps._runner import Check, SweepResult, report, sweep

SPAN = (date(2025, 1, 2), date(2026, 7, 31))
_TAG = re.compile(r"<[^>]+>")
#: Two figures run together: "+51.0%+122.9%" or "+1.0-2.0" with no space between (a date's
#: "2025-12-11" has no decimal point, so it does not match).
_RUN_TOGETHER = re.compile(r"%[+\-–\d]|\.\d[+\-–]\d")


def _visible(text: str) -> str:
    """Return Telegram HTML as the reader sees it: no tags, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def _squeezed(text: str) -> str:
    """Return ``text`` without any whitespace, so wrapped sentences compare whole."""
    return "".join(text.split())


def _positions(text: str, facts: Sequence[Fact], language: str) -> list[int]:
    """Return where each fact's sentence starts in ``text`` (-1 when it is not there)."""
    squeezed = _squeezed(text)
    return [squeezed.find(_squeezed(fact_words(fact, language))) for fact in facts]


def assert_in_order(text: str, facts: Sequence[Fact], language: str, where: str) -> None:
    found = _positions(text, facts, language)
    missing = [f.id for f, at in zip(facts, found, strict=True) if at < 0]
    assert not missing, f"{where} ({language}) lacks {missing}"
    order = [f.id for f in facts]
    assert found == sorted(found), f"{where} ({language}) shows {order} out of order"


def assert_tables_once(text: str, where: str) -> None:
    """No block of three or more table rows appears twice in ``text``."""
    blocks = [block.splitlines()[1:] for block in re.split(r"\n\s*\n", text)]
    bodies = [tuple(body) for body in blocks if len(body) >= 3]
    repeated = {body[0] for body in bodies if bodies.count(body) > 1}
    assert not repeated, f"{where} prints a table twice: {sorted(repeated)}"


def assert_columns_apart(text: str, where: str) -> None:
    run = [line for line in text.splitlines() if _RUN_TOGETHER.search(line)]
    assert not run, f"{where}: columns run together in {run[:3]}"


def check_surfaces(briefing: Briefing) -> None:
    """Check one briefing's surfaces (the module doc's five properties); raise if off."""
    story = briefing.story
    assert story is not None, "no story"
    pick = select_summary(briefing)
    shown = [*pick.takeaways, *pick.changes]
    counted = [*pick.unshown_takeaways, *pick.unshown_changes]
    every_fact = list(story.facts)
    assert {f.id for f in [*shown, *counted]} <= {f.id for f in every_fact}

    payload = json.loads(render_briefing(briefing, "json"))
    assert payload["summary"] == {"shown": list(pick.ids), "counted": list(pick.counted_ids)}
    json_ids = [t["id"] for t in payload["takeaways"]] + [c["id"] for c in payload["changes"]]
    assert json_ids == [f.id for f in every_fact], "JSON ids differ from the story's"
    history_ids = [f["id"] for f in payload["history"]]
    assert history_ids == [f.id for f in story.history], "JSON history differs from the story's"

    for language in LANGUAGES:
        full_text = render_briefing(briefing, "text", language)
        full_html = _visible(render_briefing(briefing, "html", language))
        for name, full in (("full text", full_text), ("full HTML", full_html)):
            assert_in_order(full, list(story.takeaways), language, name)
            assert_in_order(full, list(story.changes), language, name)
            assert_in_order(full, list(story.history), language, name)
            assert_tables_once(full, f"{name} ({language})")
        assert_columns_apart(full_text, f"full text ({language})")

        phone = render_summary(briefing, "html", language)
        lines = [_visible(line) for line in phone.splitlines()]
        assert len(lines) <= SUMMARY_MAX_LINES, f"{len(lines)} summary lines ({language})"
        widest = max(lines, key=display_width)
        assert display_width(widest) <= PHONE_WIDTH, f"too wide ({language}): {widest!r}"
        terminal = render_summary(briefing, "text", language)
        for name, summary in (("summary", "\n".join(lines)), ("text summary", terminal)):
            assert_in_order(summary, shown, language, name)
            told_but_unpicked = [
                f.id
                for f, at in zip(counted, _positions(summary, counted, language), strict=True)
                if at >= 0 and not _said_by_shown(f, shown)
            ]
            assert not told_but_unpicked, f"{name} ({language}) tells {told_but_unpicked}"


def _said_by_shown(fact: Fact, shown: Sequence[Fact]) -> bool:
    """Return whether a shown fact's sentence happens to contain ``fact``'s (a shorter one)."""
    return any(fact.id in s.supersedes for s in shown)


def check_since_the_low(service: MarketService, session: date) -> None:
    """With --since equal to the low's date, the full views do not print the table twice."""
    briefing = service.snapshot(as_of=session).briefing
    low = briefing.since_low
    if low is None or low.sessions_since == 0:
        return
    since = SinceDate(start=low.low_date, returns=low.returns, highlights=low.highlights)
    doubled = dataclasses.replace(briefing, since=since)
    for language in LANGUAGES:
        for fmt in ("text", "html"):
            assert_tables_once(
                _visible(render_briefing(doubled, fmt, language)), f"{fmt} --since the low"
            )


def surfaces_check(service: MarketService) -> Check:
    """Return the surfaces check of one session on ``service``."""

    def check(session: date) -> None:
        check_surfaces(service.snapshot(as_of=session).briefing)
        check_since_the_low(service, session)

    return check


def demo_service(store_path: Path, last: date) -> MarketService:
    """Return the demo market refreshed through ``last`` (a clock on its evening)."""
    market = MarketService(
        DemoSource(),
        PriceStore(store_path),
        load_universe(),
        clock=lambda: datetime(last.year, last.month, last.day, 23, 0, tzinfo=UTC),
    )
    error = market.refresh().error
    if error is not None:
        raise RuntimeError(f"the demo refresh failed: {error}")
    return market


def demo_sessions(last: date) -> list[date]:
    """Return the demo sessions of the year to ``last``."""
    return sessions_in_range(last - timedelta(days=364), last)


def run(argv: Sequence[str] | None = None) -> int:
    """Sweep the surfaces check over the real sessions and the demo year; return the status."""
    args = list(sys.argv[1:] if argv is None else argv)
    start, end = SPAN
    if "--from" in args:
        start = date.fromisoformat(args[args.index("--from") + 1])
    if "--to" in args:
        end = date.fromisoformat(args[args.index("--to") + 1])
    failed = False
    with tempfile.TemporaryDirectory(prefix="marketbrief-sweep-") as workdir:
        runs: list[tuple[str, MarketService, list[date]]] = []
        demo = demo_service(Path(workdir) / "demo.sqlite3", end)
        runs.append(("surfaces (demo)", demo, demo_sessions(end)))
        if has_market_data():
            real = real_market_service(Path(workdir) / "real.sqlite3")
            runs.append(("surfaces (real)", real, sessions_in_range(start, end)))
        else:
            print("surfaces (real): skipped, real market data not found")
        for name, service, sessions in runs:
            result: SweepResult = sweep(sessions, surfaces_check(service))
            print(report(name, result))
            failed = failed or bool(result.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
