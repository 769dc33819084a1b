"""Schedule the daily briefing (one job per distinct time and zone), refreshes and catch-up.

Regime-change alerts are evaluated after each refresh, at start-up and with every catch-up
(which retries alerts a transient error held back); the outbox log makes repeats send nothing.

The job queue holds one ``run_daily`` job per (local time, time zone) that active subscriptions
use; the database stays the source of truth and ``sync_schedules`` makes the jobs match it. Each
job runs every day and decides itself whether to send: only when the New York date is an NYSE
session, and always the briefing of the last completed session.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Job, JobQueue

from bot.delivery.outbox import BRIEFING
from bot.delivery.sender import SendReport
from bot.services.context import BotContext
from bot.services.hub import BotApplication, get_services
from bot.store.chats import Schedule, Subscription
from briefings import (
    RefreshReport,
    is_session,
    last_completed_session,
    session_close,
    sessions_in_range,
)

log = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
BRIEF_JOB_PREFIX = "brief "
REFRESH_JOB = "refresh"
CATCH_UP_JOB = "catch-up"
STARTUP_JOB = "start-up"
#: How often pending deliveries (transient errors, data not ready) are retried.
CATCH_UP_INTERVAL = timedelta(minutes=10)
#: After a failed refresh job, try again this much later, at most REFRESH_RETRIES times.
REFRESH_RETRY_DELAY = timedelta(minutes=15)
REFRESH_RETRIES = 8


def job_options(grace: timedelta) -> dict[str, Any]:
    """Return APScheduler options: run late within ``grace``, once, and never twice at a time.

    APScheduler's default misfire grace is one second: a job due while the event loop was busy
    (or the machine asleep) would be skipped silently.
    """
    return {
        "misfire_grace_time": max(60, int(grace.total_seconds())),
        "coalesce": True,
        "max_instances": 1,
    }


def session_due(moment: datetime) -> date | None:
    """Return the session whose briefing a delivery at ``moment`` sends, None on a day off.

    Deliveries happen on days that are NYSE sessions in New York and carry the last completed
    session: at 08:00 on a Tuesday that is Monday's.
    """
    if not is_session(moment.astimezone(NEW_YORK).date()):
        return None
    return last_completed_session(moment)


def occurrences_before(schedule: Schedule, now: datetime, since: datetime) -> list[datetime]:
    """Return the schedule's local times from ``since`` up to ``now``, latest first."""
    zone = schedule.tzinfo
    day = now.astimezone(zone).date()
    found: list[datetime] = []
    while True:
        moment = datetime.combine(day, schedule.local_time, tzinfo=zone)
        if moment < since:
            return found
        if moment <= now:
            found.append(moment)
        day -= timedelta(days=1)


def next_delivery(schedule: Schedule, now: datetime) -> datetime | None:
    """Return the schedule's next local time after ``now`` that falls on a session day."""
    zone = schedule.tzinfo
    day = now.astimezone(zone).date()
    for offset in range(15):
        moment = datetime.combine(day + timedelta(days=offset), schedule.local_time, tzinfo=zone)
        if moment > now and session_due(moment) is not None:
            return moment
    return None


def missed_deliveries(
    subscriptions: Iterable[Subscription], now: datetime, window: timedelta
) -> Mapping[date, list[Subscription]]:
    """Group chats by the session they should have received within ``window`` before ``now``.

    For each chat the latest scheduled time in the window after it subscribed that fell on a
    New York session day counts; the outbox log then skips what was already sent.
    """
    due: dict[date, list[Subscription]] = defaultdict(list)
    for subscription in subscriptions:
        since = max(now - window, subscription.subscribed_at)
        for moment in occurrences_before(subscription.schedule, now, since):
            session = session_due(moment)
            if session is not None:
                due[session].append(subscription)
                break
    return due


def next_refresh_time(after: datetime, delay: timedelta) -> datetime:
    """Return the first session close + ``delay`` later than ``after`` (UTC)."""
    start = after.astimezone(NEW_YORK).date() - timedelta(days=1)
    for day in sessions_in_range(start, start + timedelta(days=21)):
        moment = session_close(day) + delay
        if moment > after:
            return moment
    raise RuntimeError(f"no NYSE session within three weeks of {after.isoformat()}")


def start_broadcast(
    application: BotApplication,
    session: date,
    chats: list[Subscription],
    recap_chats: list[Subscription] | None = None,
) -> None:
    """Run a broadcast as a background task of the application (never inside a handler).

    The recaps ending at the session follow the briefing, to ``recap_chats`` (default: ``chats``).
    """
    recap_chats = chats if recap_chats is None else recap_chats
    if not chats and not recap_chats:
        return
    services = get_services(application)

    async def briefing_then_recaps() -> SendReport:
        report = await services.briefings.broadcast(session, chats)
        await services.recaps.broadcast(session, recap_chats)
        return report

    task = application.create_task(briefing_then_recaps(), name=f"broadcast {session.isoformat()}")
    services.briefings.track(task)


async def push_now(
    application: BotApplication, chat_ids: Collection[int] | None = None
) -> SendReport:
    """Send the last completed session's briefing now to subscribed chats that lack it."""
    services = get_services(application)
    session = services.desk.expected_session()
    chats = await services.database.run(services.chats.active, chat_ids=chat_ids)
    return await services.briefings.broadcast(session, chats)


def _brief_job_name(schedule: Schedule) -> str:
    return BRIEF_JOB_PREFIX + schedule.key


async def sync_schedules(application: BotApplication) -> None:
    """Make the daily jobs match the distinct schedules of active subscriptions."""
    services = get_services(application)
    job_queue = _job_queue(application)
    schedules = await services.database.run(services.chats.schedules)
    wanted = {_brief_job_name(s): s for s in schedules}
    for job in job_queue.jobs():
        if job.name and job.name.startswith(BRIEF_JOB_PREFIX) and job.name not in wanted:
            job.schedule_removal()
    existing = {job.name for job in job_queue.jobs() if not job.removed}
    for name, schedule in wanted.items():
        if name in existing:
            continue
        # Every day of the week (PTB's default days): whether a day is a session day depends
        # on the date in New York, not in the chat's zone, so the job checks it when it runs.
        job_queue.run_daily(
            _deliver_schedule,
            time=time(schedule.local_time.hour, schedule.local_time.minute, tzinfo=schedule.tzinfo),
            data=schedule,
            name=name,
            job_kwargs=job_options(services.settings.catchup),
        )
        log.info("scheduled the daily briefing at %s", schedule.key)


def brief_jobs(application: BotApplication) -> list[Job[Any]]:
    """Return the daily briefing jobs currently scheduled."""
    return [
        job
        for job in _job_queue(application).jobs()
        if job.name and job.name.startswith(BRIEF_JOB_PREFIX) and not job.removed
    ]


async def _deliver_schedule(context: BotContext) -> None:
    """Send the due session's briefing to every chat on this job's schedule."""
    assert context.job is not None
    schedule: Schedule = context.job.data  # type: ignore[assignment]
    services = context.services
    now = services.clock()
    session = session_due(now)
    if session is None:
        log.info("%s: not an NYSE session day in New York; nothing sent", schedule.key)
        return
    chats = await services.database.run(services.chats.active, schedule)
    log.info("%s: sending the %s briefing to %d chats", schedule.key, session, len(chats))
    start_broadcast(context.application, session, chats)


async def catch_up(application: BotApplication) -> Mapping[date, int]:
    """Start broadcasts of what was missed within the catch-up window; return chats per session."""
    services = get_services(application)
    active = await services.database.run(services.chats.active)
    due = missed_deliveries(active, services.clock(), services.settings.catchup)
    started: dict[date, int] = {}
    for session, chats in sorted(due.items()):
        finished = await services.database.run(services.outbox.finished, session, BRIEFING)
        missing = [s for s in chats if s.chat_id not in finished]
        if missing:
            log.info("catching up %d deliveries of the %s briefing", len(missing), session)
            started[session] = len(missing)
        # Recaps of the session's week or month that a restart left unsent follow too.
        start_broadcast(application, session, missing, chats)
    return started


async def _catch_up_job(context: BotContext) -> None:
    await catch_up(context.application)
    start_alert_evaluation(context.application)


def start_alert_evaluation(application: BotApplication) -> None:
    """Push the latest session's alerts as a background task of the application."""
    alerts = get_services(application).alerts
    alerts.track(application.create_task(alerts.evaluate(), name="alerts"))


async def _startup_job(context: BotContext) -> None:
    """Bring the store up to date, then send what was missed while the bot was down."""
    services = context.services
    try:
        await services.desk.ensure_current(patient=True)
        await catch_up(context.application)
        start_alert_evaluation(context.application)
    finally:
        services.startup_complete.set()


def schedule_refresh(
    application: BotApplication, *, retries_left: int = REFRESH_RETRIES
) -> Job[Any]:
    """Schedule the next price refresh at the next session close plus the configured delay."""
    services = get_services(application)
    when = next_refresh_time(services.clock(), services.settings.refresh_delay)
    return _run_refresh_at(application, when, retries_left)


def _run_refresh_at(application: BotApplication, when: datetime, retries_left: int) -> Job[Any]:
    services = get_services(application)
    for job in _job_queue(application).get_jobs_by_name(REFRESH_JOB):
        job.schedule_removal()
    return _job_queue(application).run_once(
        _refresh_job,
        when=when,
        data=retries_left,
        name=REFRESH_JOB,
        job_kwargs=job_options(services.settings.catchup),
    )


async def refresh_after_close(application: BotApplication) -> RefreshReport:
    """Refresh the store, then (when that worked) push the new session's alerts."""
    report = await get_services(application).desk.refresh()
    if report.error is None:
        start_alert_evaluation(application)
    return report


async def _refresh_job(context: BotContext) -> None:
    """Refresh the store after the close; retry a failed refresh a few times."""
    assert context.job is not None
    services = context.services
    report = await refresh_after_close(context.application)
    retries_left = int(context.job.data)  # type: ignore[call-overload]
    if report.error is not None and retries_left > 0:
        _run_refresh_at(
            context.application, services.clock() + REFRESH_RETRY_DELAY, retries_left - 1
        )
    else:
        schedule_refresh(context.application)


async def start_jobs(application: BotApplication) -> None:
    """Schedule everything at start-up: daily briefings, refresh, catch-up now and periodically."""
    job_queue = _job_queue(application)
    await sync_schedules(application)
    schedule_refresh(application)
    job_queue.run_once(
        _startup_job, when=0, name=STARTUP_JOB, job_kwargs=job_options(CATCH_UP_INTERVAL)
    )
    job_queue.run_repeating(
        _catch_up_job,
        interval=CATCH_UP_INTERVAL,
        first=CATCH_UP_INTERVAL,
        name=CATCH_UP_JOB,
        job_kwargs=job_options(CATCH_UP_INTERVAL),
    )


def _job_queue(application: BotApplication) -> JobQueue[Any]:
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    return job_queue
