"""Property: whatever a person types, the bot answers and no handler raises."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot.conftest import Harness

COMMANDS = [
    "start", "help", "brief", "rotation", "sectors", "since", "pair", "subscribe",
    "unsubscribe", "settings", "stats", "rrg", "chart", "alerts", "frobnicate", "Brief", "x",
]  # fmt: skip

argument = st.one_of(
    st.sampled_from(["1M", "ytd", "5Y", "2025-04-08", "2025-02-30", "IWM", "spy", "^gspc",
                     "08:00", "25:61", "Europe/Paris", "Mars/Base", "-1", "<b>", "&amp;",
                     "sectors", "pairs", "chart", "rrg", "on", "off"]),
    st.text(min_size=1, max_size=30).filter(lambda s: not s.isspace()),
)  # fmt: skip
command_text = st.builds(
    lambda name, args, mention: f"/{name}{'@marketbrief_bot' if mention else ''} " + " ".join(args),
    st.sampled_from(COMMANDS),
    st.lists(argument, max_size=4),
    st.booleans(),
)
any_text = st.text(min_size=1, max_size=200).filter(lambda s: s.strip() != "")
chat_ids = itertools.count(700_000)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(command_text, any_text))
async def test_every_input_gets_an_answer(
    bot: Harness, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    chat = bot.private_chat(next(chat_ids))
    with caplog.at_level(logging.ERROR):
        replies = await bot.say(chat, text)
    assert replies, text
    assert all("Something went wrong" not in r.shown_text for r in replies), text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], text
