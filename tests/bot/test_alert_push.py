"""/alerts and the push after a refresh: one message per chat and session, never twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.jobs import refresh_after_close
from bot.delivery.sender import Outcome
from briefings.config import Settings
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from localapi import LocalBotApi
from tests.bot.conftest import Harness, running_bot

NY = ZoneInfo("America/New_York")
#: On the demo market, Monday 10 Nov 2025 is the session the value/growth pair moves into
#: Leading (the one pushed alert).
FRIDAY, MONDAY = date(2025, 11, 7), date(2025, 11, 10)
MONDAY_MORNING = datetime(2025, 11, 10, 10, 0, tzinfo=NY)
MONDAY_AFTER_CLOSE = datetime(2025, 11, 10, 16, 30, tzinfo=NY)
USER, QUIET, LATE, ADMIN, MEMBER = 8301, 8302, 8303, 8304, 8305
GROUP = -8300


class MovableClock:
    """A clock the test moves; the bot and the market service both read it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)


def demo_service(data_dir: Path, clock: MovableClock) -> MarketService:
    """Return the demo market service on an empty store, with the test's clock."""
    store = PriceStore(Settings(data_dir=data_dir, source="demo").store_path)
    return MarketService(DemoSource(), store, load_universe(), clock=clock)


async def run_refresh_job(bot: Harness) -> None:
    """Do what the refresh job does after the close; wait for the alerts it starts."""
    report = await refresh_after_close(bot.application)
    assert report.error is None
    await bot.services.alerts.wait_idle()


async def test_a_new_session_with_a_regime_change_is_pushed_once(
    server: LocalBotApi, tmp_path: Path
) -> None:
    clock = MovableClock(MONDAY_MORNING)
    data_dir = tmp_path / "data"
    async with running_bot(server, data_dir, clock, service=demo_service(data_dir, clock)) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        assert bot.services.desk.service.freshness().last_session == FRIDAY
        user = bot.private_chat(USER)
        quiet = bot.private_chat(QUIET, name="Quiet")
        group = bot.group(GROUP, admins=(ADMIN,), members=(MEMBER,))

        state = await bot.say_one(user, "/alerts")
        assert "Regime-change alerts: off" in state.shown_text
        turned_on = await bot.say_one(user, "/alerts ON")
        assert "Alerts on" in turned_on.shown_text
        assert "/alerts off" in turned_on.shown_text
        refused = await bot.say_one(group, "/alerts on", user_id=MEMBER)
        assert "Only this group's administrators can turn its alerts" in refused.shown_text
        assert bot.services.chats.alerts(GROUP) is None
        assert "Alerts on" in (await bot.say_one(group, "/alerts on", user_id=ADMIN)).shown_text
        await bot.say_one(quiet, "/alerts on")
        assert "Alerts off" in (await bot.say_one(quiet, "/alerts off")).shown_text
        usage = await bot.say_one(user, "/alerts maybe")
        assert "neither on nor off" in usage.shown_text
        assert "Usage: /alerts [on|off]" in usage.shown_text
        seen = {chat: len(server.bot_messages(chat)) for chat in (user, quiet, group)}

        clock.moment = MONDAY_AFTER_CLOSE
        await run_refresh_job(bot)
        assert bot.services.desk.service.freshness().last_session == MONDAY
        for chat in (user, group):
            (alert,) = server.bot_messages(chat)[seen[chat] :]
            assert alert.parse_mode == "HTML"
            assert "Regime changes" in alert.shown_text
            assert "Close of Mon 10 Nov 2025 vs Nov 7" in alert.shown_text
            assert "Value vs growth moved from Improving into Leading" in alert.shown_text
            assert "Simulated data" in alert.shown_text
        assert len(server.bot_messages(quiet)) == seen[quiet]  # alerts off: nothing
        assert bot.services.outbox.counts(MONDAY, alerts=True) == {"sent": 2}  # 2 chats x 1 alert

        # A chat that opts in after the close does not get that session's alerts.
        late = bot.private_chat(LATE, name="Late")
        await bot.say_one(late, "/alerts on")
        again = await bot.services.alerts.evaluate()
        assert again.session == MONDAY
        assert set(again.outcomes.values()) == {Outcome.SKIPPED}
        assert len(server.bot_messages(late)) == 1  # the /alerts reply only
    pushed = {chat: len(server.bot_messages(chat)) for chat in (USER, GROUP, LATE)}

    # A restart evaluates again at start-up and sends nothing more.
    async with running_bot(server, data_dir, clock, service=demo_service(data_dir, clock)) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        await bot.services.alerts.wait_idle()
        assert bot.services.chats.alert_count() == 3
    assert {chat: len(server.bot_messages(chat)) for chat in (USER, GROUP, LATE)} == pushed


async def test_a_blocked_chat_loses_its_alerts_and_a_stale_store_pushes_nothing(
    server: LocalBotApi, tmp_path: Path
) -> None:
    clock = MovableClock(MONDAY_MORNING)
    data_dir = tmp_path / "data"
    async with running_bot(server, data_dir, clock, service=demo_service(data_dir, clock)) as bot:
        await asyncio.wait_for(bot.services.startup_complete.wait(), 15)
        blocked = bot.private_chat(USER)
        await bot.say_one(blocked, "/alerts on")
        server.block_chat(blocked)
        # The source has nothing new yet: the stored Friday is not the last completed session.
        clock.moment = MONDAY_AFTER_CLOSE
        stale = await bot.services.alerts.evaluate()
        assert stale.reason is not None
        assert "is not the last one" in stale.reason
        await run_refresh_job(bot)
        setting = bot.services.chats.alerts(blocked)
        assert setting is not None
        assert not setting.enabled
        assert setting.disabled_reason is not None
        assert "forbidden" in setting.disabled_reason
        assert bot.services.outbox.counts(MONDAY, alerts=True) == {"failed": 1}
