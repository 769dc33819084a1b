"""Who may read the Lab's data: Telegram's signed initData, or a one-time token on loopback.

A request names itself in its Authorization header: ``tma <initData>`` inside Telegram, or
``Bearer <session>`` in the standalone ``marketbrief lab``, whose session is handed out once in
exchange for the one-time token printed in its URL.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.lab.auth import DEFAULT_MAX_AGE_SECONDS, InitDataError, validate_init_data


@dataclass(frozen=True)
class Visitor:
    """Whoever a request comes from: a key for the request limits, and their language if known."""

    key: str
    language_code: str | None = None


class Gate(Protocol):
    """Decide who a request's Authorization header belongs to."""

    def visitor(self, authorization: str) -> Visitor | None:
        """Return the visitor, or None to refuse the request (401)."""
        ...


class TelegramGate:
    """Accept requests carrying initData Telegram signed for this bot, fresh enough."""

    def __init__(
        self, bot_token: str, clock: Callable[[], float], max_age: float = DEFAULT_MAX_AGE_SECONDS
    ) -> None:
        self._token = bot_token
        self._clock = clock
        self._max_age = max_age

    def visitor(self, authorization: str) -> Visitor | None:
        """Return the signed user, None unless the header is ``tma <valid initData>``."""
        scheme, _, init_data = authorization.partition(" ")
        if scheme != "tma":
            return None
        try:
            user = validate_init_data(
                init_data, self._token, now=self._clock(), max_age=self._max_age
            )
        except InitDataError:
            return None
        return Visitor(f"user:{user.user_id}", user.language_code)


class TokenGate:
    """Hand out one session for a one-time token, then accept requests carrying that session."""

    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(18)
        self._token_used = False
        self._sessions: set[str] = set()

    def exchange(self, token: str) -> str | None:
        """Return a new session for the one-time token (once), None for anything else."""
        if self._token_used or not hmac.compare_digest(token.encode(), self.token.encode()):
            return None
        self._token_used = True
        session = secrets.token_urlsafe(24)
        self._sessions.add(session)
        return session

    def visitor(self, authorization: str) -> Visitor | None:
        """Return the desktop visitor for ``Bearer <session>``, None for anything else."""
        scheme, _, session = authorization.partition(" ")
        if scheme != "Bearer":
            return None
        if any(hmac.compare_digest(session.encode(), s.encode()) for s in self._sessions):
            return Visitor("desktop")
        return None
