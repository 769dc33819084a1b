"""Per-user request limits of the Lab's JSON endpoints: a sliding window per user."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

#: Requests one user may make in a window (a full Lab visit makes about a dozen).
DEFAULT_MAX_REQUESTS = 60
DEFAULT_WINDOW_SECONDS = 60.0
#: Users remembered at once; past this the oldest window is forgotten (bounded memory).
MAX_TRACKED_USERS = 10_000


class RequestLimiter:
    """Allow each user ``max_requests`` per ``window`` seconds; say how long to wait past that."""

    def __init__(
        self,
        clock: Callable[[], float],
        max_requests: int = DEFAULT_MAX_REQUESTS,
        window: float = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self._clock = clock
        self._max = max_requests
        self._window = window
        self._seen: dict[str, deque[float]] = {}

    def wait_for(self, user: str) -> float:
        """Count a request of ``user``; return 0 when allowed, else the seconds to wait."""
        now = self._clock()
        times = self._seen.pop(user, None) or deque()
        while times and now - times[0] >= self._window:
            times.popleft()
        self._seen[user] = times  # re-inserted: the dict's order is least recently seen first
        if len(self._seen) > MAX_TRACKED_USERS:
            del self._seen[next(iter(self._seen))]
        if len(times) >= self._max:
            return self._window - (now - times[0])
        times.append(now)
        return 0.0
