"""Back up the databases while the bot runs, with SQLite's online backup API.

The copies are private like the databases: a new backup folder is 0700, each copy 0600.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.config import BOT_DATABASE_NAME
from briefings import Settings, make_private_dirs

BUSY_TIMEOUT_SECONDS = 30.0


class BackupError(RuntimeError):
    """Raise when there is nothing to back up or the copy cannot be made; one line for stderr."""


@dataclass(frozen=True)
class BackedUp:
    """One database copied: from where, to where, how large."""

    source: Path
    target: Path
    size_bytes: int


@dataclass(frozen=True)
class NotBackedUp:
    """One database that could not be copied, and why (one line)."""

    source: Path
    reason: str


@dataclass(frozen=True)
class BackupReport:
    """What a backup copied and what it could not."""

    copied: list[BackedUp]
    not_copied: list[NotBackedUp]


def databases(settings: Settings) -> list[Path]:
    """Return the databases a data directory should hold: the price store and the bot's."""
    return [settings.store_path, settings.data_dir / BOT_DATABASE_NAME]


def backup_databases(settings: Settings, target_dir: Path) -> BackupReport:
    """Copy every database into ``target_dir`` (same file names), each a consistent snapshot.

    Each copy is one backup step (``pages=-1``): it reads one snapshot of the source, which in
    WAL mode never blocks the bot's writers, and is not restarted by their commits. The copy is
    written beside its final name, checked with ``PRAGMA integrity_check`` and renamed into
    place, so a file named like a database in ``target_dir`` is always a whole one. A database
    that is missing or cannot be copied is reported and the others are still copied; when
    none exists BackupError is raised.
    """
    expected = databases(settings)
    sources = [path for path in expected if path.is_file()]
    if not sources:
        raise BackupError(f"no databases to back up in {settings.data_dir}")
    try:
        make_private_dirs(target_dir)
    except OSError as exc:
        raise BackupError(f"cannot create {target_dir}: {exc.strerror}") from None
    if any(source.parent.resolve() == target_dir.resolve() for source in sources):
        raise BackupError("the backup folder must not be the data folder itself")
    copied: list[BackedUp] = []
    not_copied: list[NotBackedUp] = []
    for source in expected:
        if source not in sources:
            reason = f"{source} does not exist (is MARKETBRIEF_DATA_DIR the bot's?)"
            not_copied.append(NotBackedUp(source, reason))
            continue
        try:
            copied.append(_backup_one(source, target_dir / source.name))
        except BackupError as exc:
            not_copied.append(NotBackedUp(source, str(exc)))
    return BackupReport(copied, not_copied)


def _backup_one(source: Path, target: Path) -> BackedUp:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as origin, _connect(partial) as copy:
            origin.backup(copy, pages=-1)
            # A backup is one self-contained file: no -wal beside it to forget when restoring.
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy of {source.name} failed its integrity check: {verdict}")
        # Like the databases themselves: chat ids and titles are for the operator's eyes only.
        partial.chmod(0o600)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot back up {source}: {exc}") from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    return BackedUp(source, target, target.stat().st_size)


class _connect:
    """A connection closed on exit (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)

    def __enter__(self) -> sqlite3.Connection:
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        self._connection.close()
