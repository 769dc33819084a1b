"""Keep the data directory private: 0700 for it, 0600 for its databases and their backups.

New files are created private (``briefings.storage``), but a data directory made by an older
release, restored from a copy or created by hand may still be readable by every user of the
machine, and its databases hold chat ids, titles and who subscribed. So each time a database
is opened the directory, the databases beside it (with their -wal, -shm and -journal files)
and the backups under its ``backups`` folder lose any permission for group and others; one
INFO line says what changed. Nothing is ever loosened.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
#: The folder of the data directory the shipped backup timer writes its copies to.
BACKUPS_DIR = "backups"
#: What SQLite keeps beside a database file.
DATABASE_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal")
#: Most files named in the log line; the rest are counted.
NAMED_IN_LOG = 6
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


@dataclass(frozen=True)
class Tightened:
    """One file or folder whose group and other permissions were taken away."""

    path: Path
    before: int
    after: int


def make_private(data_dir: Path) -> list[Tightened]:
    """Take group and other permissions off the data dir, its databases and their backups.

    Return what changed (and log it on one INFO line). A file that cannot be changed is left
    as it is: silently on a read-only medium, with a WARNING when another user owns it.
    """
    changed: list[Tightened] = []
    if _shared_folder(data_dir):
        # A shared folder such as /tmp (sticky bit): tightening it would lock others out.
        log.warning(
            "%s is a shared folder; keep marketbrief's data in a folder of its own", data_dir
        )
        return changed
    _tighten(data_dir, changed)
    try:
        entries = sorted(os.scandir(data_dir), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.name.endswith(DATABASE_SUFFIXES) and entry.is_file():
            _tighten(Path(entry.path), changed)
    backups = data_dir / BACKUPS_DIR
    if backups.is_dir():
        for folder, _, files in os.walk(backups):
            _tighten(Path(folder), changed)
            for name in files:
                _tighten(Path(folder, name), changed)
    if changed:
        log.info(
            "made %s private (no access for group or others): %s",
            data_dir,
            _describe(data_dir, changed),
        )
    return changed


def make_private_dirs(path: Path) -> Path:
    """Create ``path`` and each missing parent with mode 0700 (mkdir's mode meets the umask)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made by another process meanwhile
        os.chmod(folder, DIR_MODE)
    return path


def _shared_folder(path: Path) -> bool:
    """Return True for a folder that several users share (its sticky bit is set, as /tmp's)."""
    try:
        return bool(path.stat().st_mode & stat.S_ISVTX)
    except OSError:
        return False


def _tighten(path: Path, changed: list[Tightened]) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if not mode & _OTHERS:
            return
        os.chmod(path, mode & ~_OTHERS)
    except OSError as exc:
        if exc.errno == errno.EPERM:
            log.warning(
                "cannot make %s private: another user owns it; chmod go-rwx it as its owner",
                path,
            )
        # A read-only medium cannot be changed, nor can a file removed meanwhile.
        return
    changed.append(Tightened(path, mode, mode & ~_OTHERS))


def _describe(data_dir: Path, changed: list[Tightened]) -> str:
    """Return "the folder 0755->0700, prices.sqlite3 0644->0600, ..." (paths inside it)."""
    named = [
        f"{_name(data_dir, item.path)} {item.before:04o}->{item.after:04o}" for item in changed
    ]
    more = len(named) - NAMED_IN_LOG
    return ", ".join(named[:NAMED_IN_LOG]) + (f" and {more} more" if more > 0 else "")


def _name(data_dir: Path, path: Path) -> str:
    return "the folder" if path == data_dir else str(path.relative_to(data_dir))
