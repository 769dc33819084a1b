"""Logging that never shows the bot token (httpx logs request URLs, which contain it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

REDACTED = "[bot token]"

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def protect_secret(secret: str) -> None:
    """Redact ``secret`` from every log record from now on, whichever logger emits it.

    A record factory is used, not a filter: filters attached to a logger do not see records
    of its child loggers, and handlers (pytest's caplog among them) are added by others.
    """
    global _installed
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        if not _installed:
            logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
            _installed = True
    # httpx logs every request URL at INFO; they are noise as well as a leak.
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def redact(text: str) -> str:
    """Return ``text`` with every protected secret replaced."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redacting_factory(
    base: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        if not _secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return record
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    return factory


def configure_logging(level: int = logging.INFO, *, verbose: bool = False) -> None:
    """Log to stderr with timestamps (the console-script default).

    APScheduler logs two lines per job run ("Running job", "executed successfully") and one per
    job added, PTB a few per start and stop; they are kept at WARNING unless ``verbose``, so
    the bot's own start-up line is the one INFO line at start.
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    chatter = logging.INFO if verbose else logging.WARNING
    for name in ("apscheduler", "telegram.ext"):
        logging.getLogger(name).setLevel(chatter)
    logging.getLogger("telegram.ext").addFilter(one_line_network_errors)


def one_line_network_errors(record: logging.LogRecord) -> bool:
    """Turn PTB's traceback for a network failure (Bot API unreachable) into one WARNING line."""
    from telegram.error import NetworkError

    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, NetworkError):
        record.msg, record.args = f"{record.getMessage()} ({error})", None
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True
