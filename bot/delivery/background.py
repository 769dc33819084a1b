"""Background tasks a component starts and can later wait for (broadcasts, alert pushes)."""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

Result = TypeVar("Result")


class BackgroundTasks(Generic[Result]):
    """Remember running tasks of one kind; ``wait_idle`` awaits them all."""

    def __init__(self, result_type: type[Result]) -> None:
        self._result_type = result_type
        self._tasks: set[asyncio.Task[Result]] = set()

    def track(self, task: asyncio.Task[Result]) -> None:
        """Remember ``task`` until it finishes."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> list[Result]:
        """Wait for every tracked task (and any started meanwhile); return their results."""
        results: list[Result] = []
        while self._tasks:
            done = await asyncio.gather(*list(self._tasks), return_exceptions=True)
            results.extend(r for r in done if isinstance(r, self._result_type))
        return results
