"""Telegram-style flood control: sliding windows per bot, per private chat and per group.

A message with ``allow_paid_broadcast`` skips the free overall limit and counts against the
paid one instead; every message counts against the paid limit, Telegram's ceiling for a bot
(1,000 a second). Per-chat and per-group limits apply to every message. Stars are not billed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Send limits: 30/s per bot (1,000/s paid), ~1/s per private chat, 20/min per group."""

    global_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    paid_per_second: float = 1000.0


class SlidingWindow:
    """At most `capacity` events in any `seconds`-long window."""

    def __init__(self, capacity: int, seconds: float) -> None:
        self.capacity = max(1, capacity)
        self.seconds = seconds
        self.events: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Return seconds until one more event fits: oldest blocking event + window - now."""
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        if len(self.events) < self.capacity:
            return 0.0
        blocking = self.events[len(self.events) - self.capacity]
        return blocking + self.seconds - now

    def record(self, now: float) -> None:
        """Count one event at `now`."""
        self.events.append(now)


class FloodGate:
    """Admit sends under FloodLimits, answering how long to wait when a window is full."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self.global_window = SlidingWindow(round(limits.global_per_second), 1.0)
        self.paid_window = SlidingWindow(round(limits.paid_per_second), 1.0)
        self.chat_windows: dict[int, SlidingWindow] = {}

    def admit(
        self, chat_id: int, is_private: bool, now: float, *, paid: bool = False
    ) -> int | None:
        """Record one send and return None, or return retry_after = ceil(longest wait) >= 1.

        A paid broadcast (``paid``) is held to the paid window, any other send to the free
        overall one too; both to the chat's.
        """
        windows = [self.paid_window, self._chat_window(chat_id, is_private)]
        if not paid:
            windows.append(self.global_window)
        wait = max(window.wait_needed(now) for window in windows)
        if wait > 0:
            return max(1, math.ceil(wait))
        for window in windows:
            window.record(now)
        return None

    def _chat_window(self, chat_id: int, is_private: bool) -> SlidingWindow:
        window = self.chat_windows.get(chat_id)
        if window is None:
            if is_private:
                burst = self.limits.per_chat_burst
                window = SlidingWindow(burst, burst / self.limits.per_chat_per_second)
            else:
                window = SlidingWindow(self.limits.per_group_per_minute, 60.0)
            self.chat_windows[chat_id] = window
        return window
