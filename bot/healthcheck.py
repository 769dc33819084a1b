"""`marketbrief health`: ask the running bot's /healthz (for Docker's HEALTHCHECK, monitors).

``python -m bot.runtime.healthcheck [HOST:PORT]`` does the same in 0.05 s: it imports no Telegram, no
pandas (the console script loads the domain commands, about 1 s), which matters for a check
that runs every 30 seconds.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
from collections.abc import Mapping, Sequence

from bot.config import ConfigError
from bot.runtime.webconfig import DEFAULT_LISTEN, ListenAddress, parse_listen

TIMEOUT_SECONDS = 5.0
_ANY_HOST = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (webhook mode behind a reverse proxy)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT_SECONDS)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT_SECONDS)
        self.sock.connect(self._path)


def health_target(text: str | None, env: Mapping[str, str] = os.environ) -> ListenAddress:
    """Return where /healthz listens: ``text``, else the webhook's or the polling address."""
    if not text:
        if env.get("MARKETBRIEF_WEBHOOK_URL", "").strip():
            text = env.get("MARKETBRIEF_LISTEN", "").strip()
        else:
            text = env.get("MARKETBRIEF_HEALTH", "").strip()
    try:
        return parse_listen(text or DEFAULT_LISTEN)
    except ValueError as exc:
        raise ConfigError(f"health address: {exc}") from None


def check_health(address: ListenAddress) -> tuple[int, str]:
    """GET /healthz; return the HTTP status (0 when unreachable) and a one-line summary."""
    connection: http.client.HTTPConnection
    if address.unix_path is not None:
        connection = _UnixConnection(str(address.unix_path))
    else:
        host = _ANY_HOST.get(address.host, address.host)
        connection = http.client.HTTPConnection(host, address.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        body = response.read()
    except OSError as exc:
        return 0, f"unreachable at {address}: {exc.strerror or exc}"
    finally:
        connection.close()
    try:
        status = str(json.loads(body).get("status", "?"))
    except (ValueError, AttributeError):
        status = "not a health answer"
    return response.status, f"{response.status} {status}"


def main(argv: Sequence[str] | None = None) -> int:
    """Check /healthz at ``argv[0]`` (or the configured address); 0 when healthy, else 1."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        target = health_target(arguments[0] if arguments else None)
    except ConfigError as exc:
        print(f"marketbrief: error: {exc}", file=sys.stderr)
        return 2
    status, summary = check_health(target)
    print(f"marketbrief: {summary}", file=sys.stdout if status == 200 else sys.stderr)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
