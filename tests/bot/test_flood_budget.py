"""One flood budget per token: processes on one machine share it, replies before broadcasts.

The budget's bookkeeping is tested on a file with a clock the test moves; the whole path with
real ``marketbrief push`` processes against a local Bot API server that enforces the limits.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.delivery.flood_budget import (
    LEASE,
    REPLIES_ACTIVE,
    FloodBudget,
    Pool,
    budget_path,
    bulk_headroom,
)
from localapi import LocalApiControl
from tests.bot.conftest import TOKEN
from tests.bot.push_processes import (  # noqa: F401 (the fixture)
    api_url,
    bot_env,
    prepare_data_dir,
    run_pushes,
    subscribe_private_chats,
)
from tests.perf import replies_during_push

PERIOD = 1.0


class SteppedClock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return budget_path(tmp_path, TOKEN)


@pytest.fixture
def budgets(path: Path, clock: SteppedClock) -> Iterator[list[FloodBudget]]:
    """Two handles on one budget file: two processes of one token, as the file sees them."""
    handles = [FloodBudget(path, clock=clock), FloodBudget(path, clock=clock)]
    assert all(handle.usable() for handle in handles)
    yield handles
    for handle in handles:
        handle.close()


def test_the_file_is_named_by_a_hash_of_the_token_never_the_token(tmp_path: Path) -> None:
    path = budget_path(tmp_path, TOKEN)
    assert path.parent == tmp_path
    assert TOKEN.split(":")[1] not in path.name
    assert TOKEN.split(":")[0] not in path.name
    assert budget_path(tmp_path, TOKEN + "x") != path


async def test_two_processes_share_the_seats_of_one_rate(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    bot, push = budgets
    assert bot.take(Pool.FREE, 10, replies=0, bulk=6).bulk == 6
    second = push.take(Pool.FREE, 10, replies=0, bulk=6)
    assert second.bulk == 4
    assert push.take(Pool.FREE, 10, replies=0, bulk=1).bulk == 0
    for _ in range(6):
        bot.acknowledged(Pool.FREE)
    bot.flush()
    # Acknowledged seats stay taken for a period after the acknowledgement.
    clock.now += PERIOD - 0.01
    held = push.take(Pool.FREE, 10, replies=0, bulk=1)
    assert held.bulk == 0
    assert held.retry_at == pytest.approx(clock.now + 0.01)
    clock.now += 0.01
    assert push.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 6


async def test_the_paid_rate_is_a_pool_of_its_own(budgets: list[FloodBudget]) -> None:
    bot, push = budgets
    assert push.take(Pool.PAID, 100, replies=0, bulk=90).bulk == 90
    assert bot.take(Pool.FREE, 10, replies=3, bulk=0).replies == 3


async def test_a_reply_waiting_in_one_process_holds_back_the_broadcast_of_another(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    bot, push = budgets
    assert push.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
    for _ in range(10):
        push.acknowledged(Pool.FREE)
    push.flush()
    waiting = bot.take(Pool.FREE, 10, replies=2, bulk=0)
    assert waiting.replies == 0
    assert waiting.retry_at == pytest.approx(clock.now + PERIOD)
    clock.now = waiting.retry_at
    # The seats are free again, but the reply asked first: the broadcast waits for its turn.
    held_back = push.take(Pool.FREE, 10, replies=0, bulk=10)
    assert held_back.bulk == 0
    assert held_back.retry_at > clock.now
    assert bot.take(Pool.FREE, 10, replies=2, bulk=0).replies == 2
    clock.now = held_back.retry_at
    assert push.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 8


async def test_while_people_ask_broadcasts_leave_headroom_that_replies_may_use(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    bot, push = budgets
    limit = 30
    assert bulk_headroom(limit) == 1
    assert push.take(Pool.FREE, limit, replies=0, bulk=10).bulk == 10  # a quiet broadcast
    assert bot.take(Pool.FREE, limit, replies=1, bulk=0).replies == 1  # someone asks
    assert push.take(Pool.FREE, limit, replies=0, bulk=limit).bulk == limit - 12
    assert bot.take(Pool.FREE, limit, replies=1, bulk=0).replies == 1
    assert bot.take(Pool.FREE, limit, replies=1, bulk=0).replies == 0


async def test_a_quiet_broadcast_uses_every_seat(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    bot, push = budgets
    assert bot.take(Pool.FREE, 30, replies=1, bulk=0).replies == 1
    bot.acknowledged(Pool.FREE)
    bot.flush()
    clock.now += REPLIES_ACTIVE
    assert push.take(Pool.FREE, 30, replies=0, bulk=30).bulk == 30


async def test_a_process_that_died_with_messages_in_flight_stops_counting_after_its_lease(
    path: Path, clock: SteppedClock
) -> None:
    dead = FloodBudget(path, clock=clock)
    alive = FloodBudget(path, clock=clock)
    try:
        assert dead.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
        blocked = alive.take(Pool.FREE, 10, replies=1, bulk=0)
        assert blocked.replies == 0
        assert blocked.retry_at <= clock.now + LEASE  # no later than the lease's end
        clock.now += LEASE
        assert alive.take(Pool.FREE, 10, replies=1, bulk=9).replies == 1
    finally:
        alive.close()


async def test_a_live_process_renews_its_lease_while_its_messages_are_in_flight(
    path: Path, clock: SteppedClock
) -> None:
    slow = FloodBudget(path, clock=clock, heartbeat=0.01)
    other = FloodBudget(path, clock=clock)
    try:
        assert slow.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
        for _ in range(3):
            clock.now += LEASE * 0.9
            await asyncio.sleep(0.05)  # a few heartbeats of real time; nothing else happens
            assert other.take(Pool.FREE, 10, replies=1, bulk=0).replies == 0
    finally:
        slow.close()
        other.close()


async def test_a_retry_after_in_one_process_pauses_the_others(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    bot, push = budgets
    bot.pause(2.5)
    paused = push.take(Pool.FREE, 30, replies=1, bulk=5)
    assert (paused.replies, paused.bulk) == (0, 0)
    assert paused.retry_at == pytest.approx(clock.now + 2.5)
    clock.now += 2.5
    assert push.take(Pool.FREE, 30, replies=1, bulk=5).bulk == 5


async def test_a_file_left_from_before_a_reboot_is_reset(path: Path, clock: SteppedClock) -> None:
    before = FloodBudget(path, clock=clock)
    assert before.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
    before.pause(60.0)
    with path.open("r+b") as file:  # the boot id, as after a reboot
        file.seek(8)
        file.write(b"\x55" * 16)
    after = FloodBudget(path, clock=SteppedClock(5.0))  # the monotonic clock restarted
    try:
        assert after.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
    finally:
        after.close()
        before.close()


async def test_a_process_killed_while_holding_the_lock_does_not_wedge_the_others(
    path: Path, clock: SteppedClock
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.communicate(timeout=10)
    budget = FloodBudget(path, clock=clock)
    try:
        assert budget.take(Pool.FREE, 10, replies=1, bulk=0).replies == 1
    finally:
        budget.close()


async def test_the_file_is_private(path: Path, budgets: list[FloodBudget]) -> None:
    budgets[0].take(Pool.FREE, 10, replies=1, bulk=0)
    assert path.stat().st_mode & 0o777 == 0o600


async def test_without_a_usable_file_a_process_says_so_once_and_paces_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.config import RateLimits
    from bot.delivery.ratelimit import FloodLimiter

    budget = FloodBudget(tmp_path / "missing" / "flood.budget")
    limiter = FloodLimiter(RateLimits(overall_per_second=5), budget=budget)
    sent: list[float] = []

    async def request(*args: object, **kwargs: object) -> bool:
        sent.append(asyncio.get_running_loop().time())
        return True

    with caplog.at_level(logging.WARNING, logger="bot.delivery.flood_budget"):
        for chat in range(3):
            await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert len(sent) == 3
    warnings = [r for r in caplog.records if "flood budget" in r.getMessage()]
    assert len(warnings) == 1
    assert "paces itself alone" in warnings[0].getMessage()
    assert not os.path.exists(tmp_path / "missing")


# ----- the whole path: two `marketbrief push` processes on one token -------------------------


@pytest.mark.parametrize(
    ("chats", "paid_rate"),
    [
        pytest.param(150, 0, id="free 30/s"),
        pytest.param(400, 100, id="paid 100/s"),
    ],
)
def test_two_push_processes_each_set_to_the_full_rate_keep_it_together(
    api_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
    demo_store: Path,
    chats: int,
    paid_rate: int,
) -> None:
    data_dir = prepare_data_dir(tmp_path, demo_store)
    chat_ids = list(range(810_001, 810_001 + chats))
    with LocalApiControl(api_url) as control:
        control.reset()
        control.set_flood_limits({"paid_per_second": paid_rate or 1000})
        subscribe_private_chats(data_dir, control, chat_ids)
        # Each process is told the whole rate: only the shared budget keeps them inside it.
        env = {**bot_env(api_url, data_dir), "MARKETBRIEF_PAID_BROADCAST_RATE": str(paid_rate)}
        outputs = run_pushes(env)
        per_chat = Counter(message["chat_id"] for message in control.bot_messages())
        rejections = control.flood_rejections()

    sent = [int(re.search(r"(\d+) sent", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    print(f"\ntwo pushes at {paid_rate or 30}/s each: sent {sent}, 429s: {rejections}")
    assert rejections == 0
    assert sorted(per_chat) == chat_ids  # every chat served
    assert set(per_chat.values()) == {1}  # once (the demo briefing is one message)
    assert sum(sent) == chats
    assert min(sent) > 0, outputs  # both processes sent, at the same time


def test_replies_beside_a_push_wait_at_most_a_second_longer_than_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bot in this process and `marketbrief push` in another, one token, the server
    # enforcing 30/s: 60 users ask at once, first with nothing else sending, then during the
    # broadcast. Sharing alone would halve the replies' rate (about 2 s more for the last).
    result = replies_during_push.main(["--chats", "200", "--users", "60"])

    print(capsys.readouterr().out)
    assert result.rejections == 0
    assert result.push.exit_code == 0
    assert (result.push.delivered, result.push.lost, result.push.duplicated) == (200, 0, 0)
    assert result.during.count == result.quiet.count == 60
    assert result.added_median <= replies_during_push.TARGET_ADDED
    assert result.added_p99 <= replies_during_push.TARGET_ADDED


async def test_a_process_that_closes_leaves_its_last_messages_counted_for_a_period(
    budgets: list[FloodBudget], clock: SteppedClock
) -> None:
    push, bot = budgets
    assert push.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10
    for _ in range(4):
        push.acknowledged(Pool.FREE)
    push.close()  # 4 answered, 6 still in flight: all count until a period from now
    assert bot.take(Pool.FREE, 10, replies=1, bulk=0).replies == 0
    clock.now += PERIOD
    assert bot.take(Pool.FREE, 10, replies=10, bulk=0).replies == 10


async def test_a_budget_file_that_fails_later_is_given_up_in_one_line(
    path: Path,
    clock: SteppedClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    budget = FloodBudget(path, clock=clock)
    assert budget.take(Pool.FREE, 10, replies=0, bulk=10).bulk == 10

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)  # as on a file system that lost its locks
    with caplog.at_level(logging.WARNING, logger="bot.flood_budget"):
        grant = budget.take(Pool.FREE, 10, replies=2, bulk=3)
        budget.pause(1.0)
        budget.close()
    assert (grant.replies, grant.bulk) == (2, 3)  # pacing alone from now on
    assert not budget.usable()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "paces itself alone" in warnings[0]
