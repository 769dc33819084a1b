"""The summary's session close as a date_time entity, with the date as the text fallback."""

from __future__ import annotations

from briefings import session_close
from tests.bot.conftest import Harness

ANN = 2002


async def test_the_summary_footer_shows_the_close_in_the_readers_zone(bot: Harness) -> None:
    chat = bot.private_chat(ANN)
    [summary] = await bot.say(chat, "/brief")
    session = (await bot.services.desk.snapshot()).briefing.as_of
    [moment] = [e for e in summary.entities if e["type"] == "date_time"]
    shown = summary.shown_text.encode("utf-16-le")
    fallback = shown[moment["offset"] * 2 : (moment["offset"] + moment["length"]) * 2]
    assert fallback.decode("utf-16-le") == session.isoformat()  # what older clients show
    assert moment["unix_time"] == int(session_close(session).timestamp())
    assert moment["date_time_format"] == "wDT"
    assert f"close {session.isoformat()}" in summary.shown_text  # the domain's words, unchanged
