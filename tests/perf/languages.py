"""Benchmark: what the second language costs: the catalog's load, the story, each rendering.

Run: uv run python -m tests.perf.languages
Prints figures, asserts nothing. Targets: reading and compiling the Chinese catalog at load
under 100 ms; a Chinese summary or briefing renders within 1.5x of the English one; the story
(its sentences now told in both languages) stays under 5 ms (see tests/perf/story.py).
"""

from __future__ import annotations

import functools
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

from briefings import i18n
from briefings.render.templates import environment
from briefings.render.views import render_briefing, render_summary
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.story import tell_story
from briefings.universe import load_universe
from tests.perf.analytics import timed

AS_OF = date(2025, 11, 20)


def main() -> None:
    """Print the figures."""
    start = time.perf_counter()
    i18n.translations("zh")
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    environment("zh")
    env_ms = (time.perf_counter() - start) * 1000
    print(f"zh catalog read and compiled from the .po: {load_ms:.1f} ms (once per process)")
    print(f"zh Jinja environment built: {env_ms:.1f} ms (once per process)")
    with tempfile.TemporaryDirectory() as folder:
        service = MarketService(
            DemoSource(),
            PriceStore(Path(folder) / "prices.sqlite3"),
            load_universe(),
            clock=lambda: datetime(2025, 11, 21, 22, 0, tzinfo=UTC),
        )
        service.refresh()
        snapshot = service.snapshot(as_of=AS_OF)
        previous = service.snapshot(as_of=date(2025, 11, 19)).briefing
    briefing = snapshot.briefing
    story_ms = timed(lambda: tell_story(briefing, previous), repeat=21) * 1000
    # What the story cost when it told its sentences in English only.
    with mock.patch("briefings.story.LANGUAGES", (i18n.DEFAULT_LANGUAGE,)):
        english_ms = timed(lambda: tell_story(briefing, previous), repeat=21) * 1000
    print(
        f"story (verdict, the day, takeaways, changes): {english_ms:.2f} ms in English only, "
        f"{story_ms:.2f} ms with every sentence in {len(i18n.LANGUAGES)} languages"
    )
    for name, render in (("summary", render_summary), ("briefing", render_briefing)):
        figures = {
            lang: timed(functools.partial(render, briefing, "html", lang), repeat=21) * 1000
            for lang in i18n.LANGUAGES
        }
        print(
            f"{name} (html): en {figures['en']:.2f} ms, zh {figures['zh']:.2f} ms "
            f"= {figures['zh'] / figures['en']:.2f}x"
        )


if __name__ == "__main__":
    main()
