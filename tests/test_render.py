"""Rendering edge cases the golden files do not cover."""

from __future__ import annotations

import dataclasses
from datetime import date

from bot.desk.split import split_message
from briefings.build import build_briefing
from briefings.model import Briefing, Change, Sentence, SinceLow, Takeaway
from briefings.render.layout import display_width, phone_lines, words_file
from briefings.render.templates import fact_words
from briefings.render.views import render_briefing, render_summary
from briefings.sources.demo import DemoSource
from briefings.story import tell_story
from briefings.universe import load_universe


def demo_briefing(source: str = "demo") -> Briefing:
    universe = load_universe()
    closes = DemoSource().fetch(universe.tickers, None, date(2025, 11, 21)).closes
    return build_briefing(
        closes, universe, as_of=None, source=source, simulated=False, data_version="v"
    )


def test_long_lists_are_capped_so_one_line_stays_short() -> None:
    many = tuple(f"T{i:03d}" for i in range(40))
    briefing = dataclasses.replace(demo_briefing(), record_highs=many, stale=many)
    html = render_briefing(briefing, "html")
    assert "T007" in html
    assert "T008" not in html
    assert html.count("and 32 more") == 2
    assert max(len(line) for line in html.splitlines()) < 400


def test_a_universe_without_sectors_shows_no_empty_heading() -> None:
    briefing = dataclasses.replace(demo_briefing(), leaderboards={})
    assert "Sectors, " not in render_briefing(briefing, "html")
    assert "Sectors, " not in render_briefing(briefing, "text")


def test_chat_footer_does_not_reveal_the_operators_csv_path() -> None:
    html = render_briefing(demo_briefing("csv:/home/ann/prices"), "html")
    assert "/home/ann" not in html
    assert "<i>CSV files · close 2025-11-21</i>" in html


def test_names_are_escaped_in_html_and_left_alone_in_text() -> None:
    briefing = demo_briefing()
    briefing = dataclasses.replace(briefing, record_highs=("<b>&",))
    html = render_briefing(briefing, "html")
    assert "&lt;b&gt;&amp;" in html
    assert "<b>&" in render_briefing(briefing, "text")
    assert all(len(chunk) <= 4096 for chunk in split_message(html))


def test_the_terminal_briefing_fits_80_columns() -> None:
    many = tuple(f"T{i:03d}" for i in range(40))
    briefing = dataclasses.replace(
        demo_briefing(),
        record_highs=many,
        highs_52w=many,
        stale=many,
        stale_last_close={t: date(2025, 11, 7) for t in many[:20]},
    )
    text = render_briefing(briefing, "text")
    assert "Trend and relative rotation" in text
    assert [line for line in text.splitlines() if len(line) > 80] == []
    # The wrapped stale statement still names every ticker and the last close date once.
    behind = " ".join(text[text.index("Behind, no close") :].split("\n\n")[0].split())
    assert behind.count("(last close 2025-11-07)") == 1
    assert all(ticker in behind for ticker in many)


def test_long_story_lines_wrap_within_80_columns() -> None:
    briefing = tell_story(demo_briefing(), None)
    assert briefing.story is not None
    legs = [("SPY", 10.0), ("RSP", 3.7), ("IWM", -4.6), ("IWC", -5.1), ("MDY", 1.2), ("IWD", 2.0)]
    low = SinceLow(
        benchmark="SPY",
        benchmark_name="S&P 500",
        low_date=date(2025, 9, 14),
        low_close=1.0,
        lookback_sessions=60,
        returns=(),
    )
    long = Sentence("since_low", {"low": low, "legs": legs, "names": {t: t for t, _ in legs}})
    words = fact_words(Takeaway(id="long", kind="since_low", sentence=long))
    assert len(words) > 80
    story = dataclasses.replace(
        briefing.story,
        verdict=dataclasses.replace(briefing.story.verdict, sentence=long),
        takeaways=(Takeaway(id="long", kind="since_low", sentence=long, significance=1.0),),
        changes=(Change(id="long", kind="rank", sentence=long),),
        previous_session=date(2025, 11, 20),
    )
    text = render_briefing(dataclasses.replace(briefing, story=story), "text")
    assert [line for line in text.splitlines() if len(line) > 80] == []
    shown = " ".join(text.split())
    assert words in shown
    assert shown.count(f"- {words}") == 2  # the takeaway and the change, whole


def test_the_stale_line_breaks_between_phrases_on_a_phone() -> None:
    briefing = dataclasses.replace(
        tell_story(demo_briefing(), None),
        stale=("^GSPC", "^NDX", "MDY"),
        stale_last_close={"^GSPC": date(2025, 11, 7), "^NDX": date(2025, 11, 7)},
    )
    for language, phrase in (("en", "no data for MDY"), ("zh", "MDY无数据")):
        lines = render_summary(briefing, "html", language).splitlines()
        assert f"<i>{phrase}</i>" in lines, lines


def test_chinese_lines_never_cut_a_word_of_the_glossary() -> None:
    text = "近一个月低波动跑赢其他所有因子（-8.1%）；高贝塔垫底（-18.1%）；标普500 -13.5%"
    for width in range(20, 41):
        lines = phone_lines(text, width)
        assert all(display_width(line) <= width for line in lines), (width, lines)
        joined = "|".join(lines)
        for word in ("所有", "因子", "高贝塔", "标普500"):
            assert word in joined, (width, lines)
    # The last line's orphan takes the line before's last word whole, not half of it.
    assert phone_lines("近一个月周期股跑赢超大盘科技股 7.0 个百分点，为2024年8月以来最大", 34)[
        -1
    ] == ("以来最大")


def test_the_glossary_lists_each_word_once_and_only_chinese() -> None:
    lines = words_file().read_text(encoding="utf-8").splitlines()
    words = [line for line in lines if line and not line.startswith("#")]
    assert len(words) == len(set(words))
    assert all(_is_chinese(word) for word in words)


def _is_chinese(word: str) -> bool:
    return all("\u4e00" <= char <= "\u9fff" for char in word)
