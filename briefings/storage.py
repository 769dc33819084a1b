"""The data directory and its SQLite files: created private, faults named in one line.

Both databases (the price store and the bot's) hold what users would not want shared (chat
ids, titles, who subscribed), so the directory is created 0700 and the files 0600. A storage
fault (a full disk, a read-only or locked file, a corrupt one) becomes a StorageFault whose
message names the file and what to do; ``fault_kind`` sorts it for replies to chat users.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Literal

from briefings.private_files import make_private

DIR_MODE = 0o700
FILE_MODE = 0o600
#: The first bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: How long a start-up check waits for another process's write lock before giving up.
PROBE_TIMEOUT_SECONDS = 2.0
LOCK_FILE = "run.lock"

FaultKind = Literal["full", "read_only", "busy", "corrupt", "io"]

_FULL = {sqlite3.SQLITE_FULL}
_READ_ONLY = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN}
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_SCHEMA}
_IO = {sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PROTOCOL}


class StorageFault(RuntimeError):
    """Raise when a data file cannot be used; the message is one line naming it and the fix.

    ``usage`` marks faults of the configuration (the data directory is a file): exit code 2.
    """

    def __init__(self, message: str, *, kind: FaultKind | None = None, usage: bool = False):
        super().__init__(message)
        self.kind = kind
        self.usage = usage


def fault_kind(error: BaseException) -> FaultKind | None:
    """Return what kind of storage fault ``error`` is, or None when it is none."""
    if isinstance(error, StorageFault):
        return error.kind
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(error).lower()
        if code in _FULL or "disk is full" in text:
            return "full"
        if code in _READ_ONLY or "readonly" in text or "read-only" in text:
            return "read_only"
        if code in _BUSY or "locked" in text:
            return "busy"
        if code in _CORRUPT or "not a database" in text or "malformed" in text:
            return "corrupt"
        if code in _IO or "i/o" in text:
            return "io"
        return None
    if isinstance(error, OSError):
        by_errno: dict[int, FaultKind] = {
            errno.ENOSPC: "full",
            errno.EDQUOT: "full",
            errno.EFBIG: "full",
            errno.EROFS: "read_only",
            errno.EACCES: "read_only",
            errno.EPERM: "read_only",
            errno.EIO: "io",
        }
        return by_errno.get(error.errno or 0)
    return None


_ADVICE: dict[FaultKind, str] = {
    "full": "the disk is full; free some space and try again",
    "read_only": "it is read-only; make it writable or set MARKETBRIEF_DATA_DIR",
    "busy": "another process holds a lock on it; try again when it is done",
    "corrupt": "damaged or not a marketbrief database; move it aside or restore a backup",
    "io": "the disk reported an I/O error; check the disk",
}


def describe(path: Path, error: BaseException, doing: str = "use") -> StorageFault:
    """Return the one-line StorageFault for ``error`` met while ``doing`` something to ``path``."""
    kind = fault_kind(error)
    if kind in ("io", "read_only", None) and _disk_is_full(path):
        kind = "full"  # SQLite reports a full disk as an I/O error when mapping its -shm file
    if kind is None:
        detail = getattr(error, "strerror", None) or str(error)
        return StorageFault(f"cannot {doing} {path}: {detail}")
    return StorageFault(f"cannot {doing} {path}: {_ADVICE[kind]}", kind=kind)


def _disk_is_full(path: Path) -> bool:
    """Return True when the file system holding ``path`` has no free block left."""
    for candidate in (path, *path.parents):
        try:
            stats = os.statvfs(candidate)
        except OSError:
            continue
        return stats.f_bavail == 0 and stats.f_blocks > 0
    return False


def prepare_data_dir(path: Path) -> Path:
    """Create the data directory (mode 0700) if missing; raise StorageFault if it cannot be."""
    try:
        if path.is_dir():
            return path
        if path.exists():
            raise StorageFault(
                f"the data directory {path} is a file; set MARKETBRIEF_DATA_DIR to a directory "
                "or move the file away",
                usage=True,
            )
        path.mkdir(parents=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    except FileExistsError:
        pass  # another process made it meanwhile
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
            raise StorageFault(
                f"cannot create the data directory {_short(path)}: {exc.strerror}; set "
                "MARKETBRIEF_DATA_DIR to a directory",
                usage=True,
            ) from None
        raise describe(path, exc, "create the data directory") from None
    return path


def _short(path: Path, limit: int = 120) -> str:
    text = str(path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def prepare_database_file(path: Path) -> Path:
    """Make sure ``path`` can be a database: its directory exists, a new file is mode 0600.

    The directory and the databases already in it are made private too (older releases left
    them readable by all). Raise StorageFault when the path is a directory or the file cannot
    be created.
    """
    prepare_data_dir(path.parent)
    make_private(path.parent)
    if path.is_dir():
        raise StorageFault(
            f"{path} is a directory, not a database; move it away (a new file is created)",
            usage=True,
        )
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
        except OSError as exc:
            raise describe(path, exc, "create") from None
    return path


def check_sqlite_header(path: Path) -> None:
    """Raise StorageFault when a non-empty ``path`` is not an SQLite database."""
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise describe(path, exc, "read") from None
    if header and header != SQLITE_HEADER:
        raise StorageFault(f"cannot use {path}: {_ADVICE['corrupt']}", kind="corrupt")


def probe_database(path: Path, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
    """Check at start-up that ``path`` opens, is an SQLite file and takes a write lock soon.

    Raise StorageFault (naming the file and the fix) at once instead of a traceback later.
    """
    prepare_database_file(path)
    check_sqlite_header(path)
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise describe(path, exc) from None


class DataDirLock:
    """An exclusive lock on a data directory (flock on its ``run.lock``), held while open.

    The lock file holds the holder's process id, so a second process can name it. The kernel
    drops the lock when the process exits, however it exits.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = prepare_data_dir(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, what: str = "marketbrief run") -> None:
        """Take the lock, or raise StorageFault naming the process that holds it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise describe(self.path, exc, "create the lock file") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StorageFault(
                f"another {what} (process {holder}) is using {self.path.parent}; stop it "
                "first, or set MARKETBRIEF_DATA_DIR to another directory",
                kind="busy",
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # a full disk: even the few bytes of a process id find no room
            os.close(fd)
            raise describe(self.path, exc, "write the lock file") from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
