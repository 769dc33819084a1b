"""Injected failures: queued per method (and optionally chat), consumed one hit at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

FaultKind = Literal[
    "retry_after", "forbidden", "server_error", "bad_gateway", "timeout", "bad_request"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
DEFAULT_TIMEOUT_DELAY = 6.0  # just over PTB's default 5 s read timeout


@dataclass(frozen=True)
class FaultHit:
    """The answer one consumed fault gives: status, description, parameters and a delay."""

    kind: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    delay: float


@dataclass
class _Fault:
    method: str
    chat_id: str | None
    kind: str
    remaining: int
    retry_after: int
    description: str | None
    delay: float


class FaultQueue:
    """Faults in insertion order; the first one matching a request answers it."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []

    def add(
        self,
        method: str,
        chat_id: int | str | None,
        kind: str,
        times: int,
        retry_after: int,
        description: str | None,
        delay: float,
    ) -> None:
        """Queue a fault for `times` matching requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        self._faults.append(
            _Fault(
                method.lower(),
                None if chat_id is None else str(chat_id),
                kind,
                times,
                retry_after,
                description,
                delay,
            )
        )

    def take(self, method: str, chat_id: object) -> FaultHit | None:
        """Consume one hit of the first fault matching `method` and `chat_id`."""
        wanted_chat = None if chat_id is None else str(chat_id)
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != wanted_chat:
                continue
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
            return _hit(fault)
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)


def _hit(fault: _Fault) -> FaultHit:
    """Return the Bot API answer for one fault kind."""
    if fault.kind == "retry_after":
        default = f"Too Many Requests: retry after {fault.retry_after}"
        return FaultHit(
            fault.kind,
            429,
            fault.description or default,
            {"retry_after": fault.retry_after},
            0.0,
        )
    status, default = {
        "forbidden": (403, "Forbidden: bot was blocked by the user"),
        "server_error": (500, "Internal Server Error"),
        "bad_gateway": (502, "Bad Gateway"),
        "timeout": (502, "Bad Gateway"),
        "bad_request": (400, "Bad Request: injected fault"),
    }[fault.kind]
    delay = fault.delay if fault.kind == "timeout" else 0.0
    return FaultHit(fault.kind, status, fault.description or default, None, delay)
