"""/rrg and /chart through the local Bot API: PNG photos, captions, usage, one render per chart."""

from __future__ import annotations

import asyncio
import time

from briefings.charts import Provenance, pairs_chart_data, rrg_chart_data, sectors_chart_data
from localapi import SentMessage
from tests.bot.conftest import Harness

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USER = 8001


def assert_chart(message: SentMessage, *captions: str) -> None:
    assert message.kind == "photo"
    assert message.photo is not None
    assert message.photo.startswith(PNG_SIGNATURE)
    assert message.parse_mode == "HTML"
    for caption in captions:
        assert caption in message.shown_text, message.shown_text
    # Every caption names the session and says the demo market is simulated.
    assert "Close of " in message.shown_text
    assert "simulated data" in message.shown_text
    assert len(message.caption or "") <= 1024


async def test_each_chart_command_sends_a_png_with_its_caption(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    latest = bot.services.desk.service.freshness().last_session
    assert latest is not None
    rrg = await bot.say_one(chat, "/rrg")
    assert_chart(rrg, "Sector rotation vs SPY", "Relative rotation graph")
    assert f"{latest:%d %b %Y}" in rrg.shown_text
    assert_chart(await bot.say_one(chat, "/rrg PAIRS"), "Rotation pairs", "lead vs lag")
    assert_chart(await bot.say_one(chat, "/chart"), "price ratios", "start of the 3M window")
    assert_chart(await bot.say_one(chat, "/chart sectors ytd"), "Sector returns, year to date")
    assert_chart(await bot.say_one(chat, "/chart 1w"), "Sector returns, the past week (1W)")
    assert bot.services.charts.cache.stats().renders == 5


def caption_lines(message: SentMessage) -> dict[str, str]:
    """Return the caption's "Label: rest" lines by label (a leading mark dropped)."""
    lines = {}
    for line in message.shown_text.splitlines():
        label, colon, rest = line.partition(": ")
        if colon:
            lines[label.split(" ")[-1]] = rest
    return lines


async def test_rrg_captions_name_the_legs_in_each_quadrant(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    snapshot = await bot.services.desk.snapshot()
    provenance = Provenance.of(snapshot.briefing)
    for command, kind in (("/rrg", "sectors"), ("/chart rrg pairs", "pairs")):
        data = rrg_chart_data(snapshot.closes, snapshot.universe, kind, provenance)  # type: ignore[arg-type]
        lines = caption_lines(await bot.say_one(chat, command))
        named = {}
        for quadrant in ("Leading", "Weakening", "Lagging", "Improving"):
            for name in lines.get(quadrant, "").split(", ") if quadrant in lines else []:
                named[name] = quadrant
        expected = {
            (f"{t.name} ({t.label})" if kind == "sectors" else t.label): t.head.quadrant
            for t in data.trails
        }
        assert named == expected, command
        if kind == "sectors":
            assert len(set(expected.values())) >= 2  # the fixture spreads the sectors out


async def test_bar_and_ratio_captions_name_the_best_and_worst(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    snapshot = await bot.services.desk.snapshot()
    bars = sectors_chart_data(snapshot.briefing, "1W", snapshot.universe.benchmark)
    best, worst, spy = bars.rows[0], bars.rows[-1], bars.benchmark_return_pct
    assert spy is not None
    beating = sum(row.return_pct > spy for row in bars.rows)

    lines = (await bot.say_one(chat, "/chart sectors 1w")).shown_text.splitlines()
    assert f"Best: {best.return_pct:+.1f}% {best.name} ({best.ticker})" in lines
    assert f"Worst: {worst.return_pct:+.1f}% {worst.name} ({worst.ticker})" in lines
    assert f"SPY {spy:+.1f}% (dashed line): {beating} of {len(bars.rows)} sectors beat it" in lines

    ratios = pairs_chart_data(snapshot.closes, snapshot.universe, Provenance.of(snapshot.briefing))
    moves = sorted((line.values[-1] - 100, line.name) for line in ratios.lines)
    lines = (await bot.say_one(chat, "/chart pairs")).shown_text.splitlines()
    assert f"Best: {moves[-1][0]:+.1f}% {moves[-1][1]}" in lines
    assert f"Worst: {moves[0][0]:+.1f}% {moves[0][1]}" in lines


async def test_bad_chart_arguments_get_a_usage_reply(bot: Harness) -> None:
    chat = bot.private_chat(USER)
    cases = {
        "/rrg bananas": ("is not an RRG", "Usage: /rrg [sectors|pairs]"),
        "/rrg sectors pairs": ("Too many arguments", "Usage: /rrg"),
        "/chart pairs 1M": ("always starts at the 3M window", "Usage: /chart"),
        "/chart sectors 5Y": (
            "is not a window",
            "Usage: /chart [pairs|sectors|breadth] [window]",
        ),
        "/chart breadth 1M": ("takes no window", "Usage: /chart"),
        "/chart <b>": ("“<b>” is not a chart; use rrg, pairs, sectors or breadth", "Usage: /chart"),
        "/chart rrg bananas": ("is not an RRG", "Usage: /chart"),
        "/chart sectors 1M 3M": ("Too many arguments", "Usage: /chart"),
    }
    for text, expected in cases.items():
        reply = await bot.say_one(chat, text)
        assert reply.kind == "text"
        for part in expected:
            assert part in reply.shown_text, (text, reply.shown_text)
        assert len(reply.shown_text) < 500
    assert bot.server.calls("sendPhoto") == []


async def test_ten_people_asking_at_once_cost_one_render_and_one_upload(bot: Harness) -> None:
    chats = [bot.private_chat(USER + i) for i in range(10)]
    for chat in chats:
        bot.server.send_text(chat, chat, "/chart sectors 3M")
    photos = [(await bot.server.wait_for_messages(chat, 1, 15))[0] for chat in chats]
    for photo in photos:
        assert_chart(photo, "Sector returns, the past 3 months")
    assert len({photo.photo for photo in photos}) == 1
    stats = bot.services.charts.cache.stats()
    assert (stats.renders, stats.entries) == (1, 1)
    # The first send uploads the bytes; the other nine reuse Telegram's file_id.
    by_id = [c for c in bot.server.calls("sendPhoto") if isinstance(c.params.get("photo"), str)]
    assert len(by_id) == 9


async def test_start_is_answered_while_ten_charts_are_drawn(bot: Harness) -> None:
    requests = [f"/chart sectors {w}" for w in ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y")]
    requests += ["/rrg sectors", "/rrg pairs", "/chart pairs"]
    chats = [bot.private_chat(USER + i) for i in range(len(requests))]
    waiter = bot.private_chat(USER + 100, name="Bea")
    await bot.say_one(waiter, "/help")  # the idle round trip warms up the handler path
    started = time.perf_counter()
    for chat, text in zip(chats, requests, strict=True):
        bot.server.send_text(chat, chat, text)
    await asyncio.sleep(0.05)  # the chart requests are in the bot before /start is
    bot.server.send_text(waiter, waiter, "/start")
    await bot.server.wait_for_messages(waiter, 2, 10)
    start_latency = time.perf_counter() - started
    charts_done = sum(len(bot.server.bot_messages(chat)) for chat in chats)
    assert "Market rotation briefings" in bot.server.bot_messages(waiter)[1].shown_text
    assert charts_done < len(requests)  # /start did not wait for the renders
    for chat in chats:
        assert_chart((await bot.server.wait_for_messages(chat, 1, 20))[0])
    total = time.perf_counter() - started
    assert start_latency < total / 2, (start_latency, total)
    assert bot.services.charts.cache.stats().renders == len(requests)


async def test_a_chinese_chat_gets_its_chart_drawn_and_captioned_in_chinese(bot: Harness) -> None:
    english = await bot.say_one(bot.private_chat(USER), "/chart sectors")
    chat = bot.private_chat(USER + 1)
    assert "简体中文" in (await bot.say_one(chat, "/language zh")).shown_text
    chinese = await bot.say_one(chat, "/chart sectors")
    assert chinese.kind == "photo"
    assert chinese.photo is not None
    assert chinese.photo.startswith(PNG_SIGNATURE)
    assert "板块" in chinese.shown_text, chinese.shown_text
    assert "Sector returns" not in chinese.shown_text
    # The language is part of the chart's key: a picture of its own, not the English one's.
    assert chinese.photo != english.photo
    assert bot.services.charts.cache.stats().renders == 2
