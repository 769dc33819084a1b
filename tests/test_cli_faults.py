"""Bad input and storage faults on the command line: one line on stderr, the right exit code.

One table of argv / environment / files -> exit code and message, run in-process through the
console script's ``main``; then faults that need a second process or a mount (a held lock, a
read-only directory, a full disk), and the data directory's permissions.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from bot.cli import main
from briefings.config import Settings
from briefings.service import MarketService
from briefings.storage import DataDirLock
from briefings.store import PriceStore
from tests.conftest import fill_disk

TOKEN = "123456789:AAHlocalTestTokenForMarketbriefBot01"
UNREACHABLE_API = "http://127.0.0.1:9/bot"
GROUP = '[groups.sectors]\nmembers = { XLK = "Technology" }\n'

Setup = Callable[[Path], None]


@pytest.fixture
def demo_prices(demo_store: Path) -> Path:
    """Return the demo price store refreshed once for the run (tests copy it)."""
    return demo_store


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def universe(text: str | bytes) -> Setup:
    def write(root: Path) -> None:
        path = root / "universe.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return write


def universe_dir(root: Path) -> None:
    (root / "universe.toml").mkdir()


def data_dir_is_a_file(root: Path) -> None:
    (root / "data").write_text("not a directory")


def prices(content: bytes) -> Setup:
    def write(root: Path) -> None:
        (root / "data").mkdir()
        (root / "data" / "prices.sqlite3").write_bytes(content)

    return write


def prices_of_another_schema(root: Path) -> None:
    (root / "data").mkdir()
    with sqlite3.connect(root / "data" / "prices.sqlite3") as connection:
        connection.execute("CREATE TABLE closes (day TEXT, value REAL)")


def prices_of_a_later_layout(root: Path) -> None:
    (root / "data").mkdir()
    with sqlite3.connect(root / "data" / "prices.sqlite3") as connection:
        connection.execute("PRAGMA user_version=7")


def prices_is_a_directory(root: Path) -> None:
    (root / "data" / "prices.sqlite3").mkdir(parents=True)


def bot_database(content: bytes) -> Setup:
    def write(root: Path) -> None:
        (root / "data").mkdir(exist_ok=True)
        (root / "data" / "bot.sqlite3").write_bytes(content)

    return write


def bot_database_dir(root: Path) -> None:
    (root / "data" / "bot.sqlite3").mkdir(parents=True)


def bot_database_of_another_layout(root: Path) -> None:
    """A file that says the current schema version over a chats table without brief_time."""
    from bot.store.schema import CHATS, OUTBOX, SCHEMA_VERSION

    (root / "data").mkdir(exist_ok=True)
    with sqlite3.connect(root / "data" / "bot.sqlite3") as connection:
        connection.executescript(CHATS + OUTBOX)
        connection.execute("DROP INDEX chats_schedule")
        connection.execute("ALTER TABLE chats DROP COLUMN brief_time")
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def csv_prices(root: Path) -> None:
    folder = root / "csv"
    folder.mkdir()
    days = pd.bdate_range("2025-01-02", "2025-03-31")
    for ticker in ("XLK", "SPY"):
        closes = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": range(1, len(days) + 1)})
        closes.to_csv(folder / f"{ticker}.csv", index=False)
    (root / "universe.toml").write_text(
        '[groups.sectors]\nmembers = { XLK = "Technology", NOPE = "Misspelt" }\n'
        '[groups.benchmarks]\nmembers = { SPY = "S&P 500", SPYX = "Misspelt benchmark" }\n'
        '[settings]\nbenchmark = "SPY"\nlow_benchmark = "SPYX"\n'
    )


@dataclass(frozen=True)
class Case:
    argv: list[str]
    code: int
    message: str
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None


BRIEF = ["brief", "--source", "demo"]
CHART = ["chart", "pairs", "-o", "{root}/chart.png", "--source", "demo"]
BOT_ENV = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": UNREACHABLE_API}
UNIVERSE_ENV = {"MARKETBRIEF_UNIVERSE": "{root}/universe.toml"}

CASES: dict[str, Case] = {
    # Extreme dates: outside what the data (or a timestamp) can hold.
    "as-of 9999-12-31": Case([*BRIEF, "--as-of", "9999-12-31"], 2, "no data for 9999-12-31"),
    "as-of 0001-01-01": Case([*BRIEF, "--as-of", "0001-01-01"], 2, "on or before 0001-01-01"),
    "as-of 1677-09-21": Case([*BRIEF, "--as-of", "1677-09-21"], 2, "on or before 1677-09-21"),
    "since 0001-01-01": Case([*BRIEF, "--since", "0001-01-01"], 2, "on or before 0001-01-01"),
    "since 9999-12-31": Case([*BRIEF, "--since", "9999-12-31"], 2, "after the session"),
    "chart since 0001-01-01": Case([*CHART, "--since", "0001-01-01"], 2, "0001-01-01"),
    "chart as-of 9999-12-31": Case([*CHART, "--as-of", "9999-12-31"], 2, "9999-12-31"),
    "as-of not a date": Case([*BRIEF, "--as-of", "31/12/2025"], 2, "YYYY-MM-DD"),
    # A universe of the wrong shape.
    "pairs = 5": Case(BRIEF, 2, "pairs must be", UNIVERSE_ENV, universe(f"pairs = 5\n{GROUP}")),
    "pairs = 'abc'": Case(
        BRIEF, 2, "pairs must be", UNIVERSE_ENV, universe(f"pairs = 'a'\n{GROUP}")
    ),
    "settings = 5": Case(
        BRIEF, 2, "settings must be", UNIVERSE_ENV, universe(f"settings = 5\n{GROUP}")
    ),
    "breadth_baskets = 5": Case(
        BRIEF,
        2,
        "breadth_baskets must be an array",
        UNIVERSE_ENV,
        universe(f"{GROUP}[settings]\nbreadth_baskets = 5\n"),
    ),
    "members = 5": Case(
        BRIEF,
        2,
        "groups.sectors.members must be",
        UNIVERSE_ENV,
        universe("[groups.sectors]\nmembers = 5\n"),
    ),
    "misspelt key": Case(
        BRIEF,
        2,
        "unknown key settings.benchmak",
        UNIVERSE_ENV,
        universe(f"{GROUP}[settings]\nbenchmak = 'SPY'\n"),
    ),
    "lookback = true": Case(
        BRIEF,
        2,
        "low_lookback_sessions must be",
        UNIVERSE_ENV,
        universe(f"{GROUP}[settings]\nlow_lookback_sessions = true\n"),
    ),
    "universe not UTF-8": Case(BRIEF, 2, "not UTF-8", UNIVERSE_ENV, universe(b"\xff\xfe[groups]")),
    "universe is a directory": Case(BRIEF, 2, "is a directory", UNIVERSE_ENV, universe_dir),
    # Settings with a documented range.
    "catch-up inf": Case(
        ["run"], 2, "MARKETBRIEF_CATCHUP_HOURS", {**BOT_ENV, "MARKETBRIEF_CATCHUP_HOURS": "inf"}
    ),
    "catch-up 1e308": Case(
        ["run"], 2, "from 0 to 168", {**BOT_ENV, "MARKETBRIEF_CATCHUP_HOURS": "1e308"}
    ),
    "refresh delay 1e20": Case(
        ["push"],
        2,
        "MARKETBRIEF_REFRESH_DELAY_MINUTES",
        {**BOT_ENV, "MARKETBRIEF_REFRESH_DELAY_MINUTES": "1e20"},
    ),
    "api url of a bad port": Case(
        ["push"], 2, "TELEGRAM_API_URL", {**BOT_ENV, "TELEGRAM_API_URL": "http://[::1"}
    ),
    "push to a huge chat id": Case(["push", "--chat", "9" * 30], 2, "is not a chat id", BOT_ENV),
    "admin id 1e20": Case(["run"], 2, "not a user id", {**BOT_ENV, "MARKETBRIEF_ADMINS": "1e20"}),
    # Storage faults: each names the file and what to do.
    "data dir is a file": Case(
        BRIEF, 2, "is a file; set MARKETBRIEF_DATA_DIR", setup=data_dir_is_a_file
    ),
    "data dir inside a file": Case(
        BRIEF,
        2,
        "Not a directory; set MARKETBRIEF_DATA_DIR",
        {"MARKETBRIEF_DATA_DIR": "{root}/data/inner"},
        data_dir_is_a_file,
    ),
    "data dir of no home": Case(
        BRIEF, 2, "MARKETBRIEF_DATA_DIR: cannot expand", {"MARKETBRIEF_DATA_DIR": "~nobody-x/d"}
    ),
    "universe of no home": Case(
        BRIEF, 2, "MARKETBRIEF_UNIVERSE: cannot expand", {"MARKETBRIEF_UNIVERSE": "~nobody-x/u"}
    ),
    "csv of no home": Case(["brief", "--source", "csv:~nobody-x/p"], 2, "cannot expand"),
    "prices corrupt": Case(BRIEF, 1, "prices.sqlite3: damaged", setup=prices(os.urandom(4096))),
    "prices truncated": Case(
        BRIEF, 1, "prices.sqlite3", setup=prices(b"SQLite format 3\x00" + b"\x07" * 300)
    ),
    "prices of another schema": Case(
        BRIEF, 1, "not a marketbrief price store", setup=prices_of_another_schema
    ),
    "prices of a later layout": Case(BRIEF, 1, "store layout 7", setup=prices_of_a_later_layout),
    "prices is a directory": Case(
        BRIEF, 2, "prices.sqlite3 is a directory", setup=prices_is_a_directory
    ),
    "bot.sqlite3 corrupt": Case(
        ["push", "--source", "demo"],
        1,
        "bot.sqlite3: damaged",
        BOT_ENV,
        bot_database(b"\x00junk" * 999),
    ),
    "bot.sqlite3 of another layout": Case(
        ["push", "--source", "demo"],
        1,
        "but not its layout (its chats table lacks brief_time)",
        BOT_ENV,
        bot_database_of_another_layout,
    ),
    "bot.sqlite3 is a directory": Case(
        ["push", "--source", "demo"], 2, "bot.sqlite3 is a directory", BOT_ENV, bot_database_dir
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_and_faults_are_one_line_with_the_exit_code(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(tmp_path / "data"))
    for name, value in case.env.items():
        monkeypatch.setenv(name, value.format(root=tmp_path))
    if case.setup is not None:
        case.setup(tmp_path)
    code, _, err = run_cli(capsys, [arg.format(root=tmp_path) for arg in case.argv])
    assert code == case.code, err
    assert case.message in err
    assert TOKEN not in err
    assert_one_line(err)


def test_tickers_the_source_lacks_are_named_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_prices(tmp_path)
    monkeypatch.setenv("MARKETBRIEF_UNIVERSE", str(tmp_path / "universe.toml"))
    code, _, err = run_cli(capsys, ["brief", "--source", f"csv:{tmp_path / 'csv'}"])
    assert code == 0, err
    assert "Traceback" not in err
    assert "SPYX (benchmark), NOPE" in err


# --- faults that need real files, a second process or a mount ---------------------------------


def stale_store(data_dir: Path) -> PriceStore:
    """Fill ``data_dir`` with demo closes through an earlier session, so a briefing refreshes."""
    settings = Settings(data_dir=data_dir, source="demo")
    service = MarketService.from_settings(settings)
    past = MarketService(
        service.source,
        service.store,
        service.universe,
        clock=lambda: datetime(2026, 6, 1, 12, tzinfo=UTC),
    )
    assert past.refresh().error is None
    return service.store


def snapshot_of(path: Path) -> tuple[str, pd.DataFrame]:
    store = PriceStore(path)
    try:
        return store.data_version("demo"), store.load("demo")
    finally:
        store.close()


def test_a_full_disk_still_serves_stored_data_and_loses_nothing(
    mount_point: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Room for the demo store with its 500 index members (about 25 MiB), then filled up.
    data_dir = mount_point("-t", "tmpfs", "-o", "size=64m", "tmpfs") / "data"
    stale_store(data_dir).close()
    before = snapshot_of(data_dir / "prices.sqlite3")
    fill_disk(data_dir.parent)
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))

    code, out, err = run_cli(capsys, ["brief", "--source", "demo"])
    assert code == 0, err
    assert "close of" in out
    assert "could not refresh" in err
    assert "disk is full" in err
    assert "showing stored data as of 2026-05-29" in err
    assert_one_line(err)

    code, _, err = run_cli(capsys, ["refresh", "--source", "demo"])
    assert code == 1
    assert "prices.sqlite3: the disk is full" in err
    assert_one_line(err)

    (data_dir.parent / "filler").unlink()
    after = snapshot_of(data_dir / "prices.sqlite3")
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])


def test_a_read_only_data_directory_serves_reads(
    tmp_path: Path,
    mount_point: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "writable"
    stale_store(source).close()
    read_only = mount_point("--bind", "-o", "ro", str(source))
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(read_only))

    code, out, err = run_cli(capsys, ["brief", "--source", "demo"])
    assert code == 0, err
    assert "close of" in out
    assert "read-only" in err
    assert "showing stored data" in err
    assert_one_line(err)

    code, _, err = run_cli(capsys, ["refresh", "--source", "demo"])
    assert code == 1
    assert "read-only" in err
    assert_one_line(err)

    for name, value in BOT_ENV.items():
        monkeypatch.setenv(name, value)
    code, _, err = run_cli(capsys, ["push", "--source", "demo"])
    assert code == 1
    assert "bot.sqlite3: it is read-only" in err
    assert_one_line(err)


HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA locking_mode=EXCLUSIVE" if sys.argv[2] == "exclusive" else "SELECT 1")
connection.execute("BEGIN EXCLUSIVE" if sys.argv[2] == "exclusive" else "BEGIN IMMEDIATE")
connection.execute("DELETE FROM refreshes")
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def lock_holder() -> Iterator[Callable[[Path, str], None]]:
    """Hold a write lock on a database from a second process until the test ends."""
    processes: list[subprocess.Popen[str]] = []

    def hold(path: Path, how: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path), how],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"

    yield hold
    for process in processes:
        process.communicate(input="", timeout=10)


def test_a_writer_in_another_process_does_not_stop_a_briefing(
    tmp_path: Path,
    demo_prices: Path,
    lock_holder: Callable[[Path, str], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_prices, data_dir / "prices.sqlite3")
    lock_holder(data_dir / "prices.sqlite3", "immediate")
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))
    code, out, err = run_cli(capsys, ["brief", "--source", "demo"])
    assert code == 0, err
    assert "close of" in out


def test_an_exclusive_lock_at_start_is_one_line_within_seconds(
    tmp_path: Path,
    demo_prices: Path,
    lock_holder: Callable[[Path, str], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_prices, data_dir / "prices.sqlite3")
    lock_holder(data_dir / "prices.sqlite3", "exclusive")
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))
    started = time.monotonic()
    code, _, err = run_cli(capsys, ["brief", "--source", "demo"])
    waited = time.monotonic() - started
    assert code == 1
    assert "prices.sqlite3: another process holds a lock" in err
    assert_one_line(err)
    print(f"exclusive lock reported after {waited:.1f} s")  # the read timeout: 2 s


def test_a_locked_bot_database_at_start_is_one_line(
    tmp_path: Path,
    demo_prices: Path,
    lock_holder: Callable[[Path, str], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(demo_prices, data_dir / "bot.sqlite3")  # any database with a refreshes table
    shutil.copy(demo_prices, data_dir / "prices.sqlite3")
    lock_holder(data_dir / "bot.sqlite3", "immediate")
    for name, value in {**BOT_ENV, "MARKETBRIEF_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    code, _, err = run_cli(capsys, ["push", "--source", "demo"])
    assert code == 1
    assert "bot.sqlite3: another process holds a lock" in err
    assert_one_line(err)


HOLD_RUN_LOCK = """
import sys
from pathlib import Path
from briefings.storage import DataDirLock
lock = DataDirLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_second_run_on_a_data_directory_exits_at_once_naming_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN_LOCK, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        for name, value in {**BOT_ENV, "MARKETBRIEF_DATA_DIR": str(data_dir)}.items():
            monkeypatch.setenv(name, value)
        code, _, err = run_cli(capsys, ["run", "--source", "demo"])
        assert code == 1
        assert f"another marketbrief run (process {holder.pid})" in err
        assert_one_line(err)
        # push beside a running bot is allowed: it gets as far as the (unreachable) Bot API.
        code, _, err = run_cli(capsys, ["push", "--source", "demo"])
        assert code == 1
        assert "cannot reach" in err
        assert "another" not in err
    finally:
        holder.communicate(input="", timeout=10)
    lock = DataDirLock(data_dir)
    lock.acquire()  # free again once the first process is gone
    lock.release()


def test_the_data_directory_and_databases_are_private(tmp_path: Path) -> None:
    from bot.store.database import Database

    previous = os.umask(0o022)
    try:
        data_dir = tmp_path / "fresh" / "data"
        PriceStore(data_dir / "prices.sqlite3").close()
        Database(data_dir / "bot.sqlite3").close()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "prices.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "bot.sqlite3").stat().st_mode) == 0o600


def test_a_shared_folder_given_as_the_data_directory_is_left_open(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp: every user writes there, the sticky bit guards their files
    with caplog.at_level(logging.WARNING):
        PriceStore(shared / "prices.sqlite3").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # others are not locked out
    assert stat.S_IMODE((shared / "prices.sqlite3").stat().st_mode) == 0o600
    assert "is a shared folder" in caplog.text


def test_files_an_older_release_left_readable_are_made_private_on_open(
    tmp_path: Path,
    demo_prices: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    data_dir = tmp_path / "data"
    backups = data_dir / "backups" / "2025-11-20"
    backups.mkdir(parents=True)
    shutil.copy(demo_prices, data_dir / "prices.sqlite3")
    shutil.copy(demo_prices, backups / "prices.sqlite3")
    # The bot of an older release, still running: its database has a -wal and a -shm beside it.
    bot_database = sqlite3.connect(data_dir / "bot.sqlite3")
    bot_database.execute("PRAGMA journal_mode=WAL")
    bot_database.execute("CREATE TABLE chats (chat_id INTEGER PRIMARY KEY)")
    bot_database.commit()
    loose = [
        data_dir / name
        for name in ("prices.sqlite3", "bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm")
    ]
    for path in [*loose, backups / "prices.sqlite3"]:
        path.chmod(0o644)
    for folder in (data_dir, data_dir / "backups", backups):
        folder.chmod(0o755)
    (data_dir / "notes.txt").write_text("the operator's own file")
    (data_dir / "notes.txt").chmod(0o644)

    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(data_dir))
    caplog.set_level(logging.INFO, logger="briefings.private_files")
    code, _, err = run_cli(capsys, ["brief", "--source", "demo"])
    assert code == 0, err
    assert err == ""  # an INFO line is for the bot's log, not for the terminal

    for folder in (data_dir, data_dir / "backups", backups):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in [*loose, backups / "prices.sqlite3"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((data_dir / "notes.txt").stat().st_mode) == 0o644  # not a database
    (line,) = [r.getMessage() for r in caplog.records if r.name == "briefings.private_files"]
    assert line.startswith(f"made {data_dir} private")
    assert "the folder 0755->0700" in line
    assert "prices.sqlite3 0644->0600" in line
    assert "bot.sqlite3-wal 0644->0600" in line
    assert "and 2 more" in line  # of eight: the backup folders and the backup
    bot_database.close()

    caplog.clear()
    code, _, err = run_cli(capsys, ["brief", "--source", "demo"])
    assert code == 0, err
    assert [r for r in caplog.records if r.name == "briefings.private_files"] == []


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_writes_past_a_file_size_limit_fail_alone_without_a_mount(tmp_path: Path) -> None:
    """The full-disk case where no file system can be mounted: RLIMIT_FSIZE in a subprocess."""
    data_dir = tmp_path / "data"
    stale_store(data_dir).close()
    store_file = data_dir / "prices.sqlite3"
    before = snapshot_of(store_file)
    env = {**os.environ, "MARKETBRIEF_DATA_DIR": str(data_dir), "MARKETBRIEF_SOURCE": "demo"}
    command = [sys.executable, "-m", "bot.cli"]
    result = subprocess.run(
        [*command, "brief"],
        env=env,
        capture_output=True,
        text=True,
        # Below one WAL frame: the refresh's write fails however few closes it appends (a
        # limit of the store's own size no longer stops a write that rewrites one year a ticker).
        preexec_fn=_limit_file_size(4096),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "close of" in result.stdout
    assert "could not refresh" in result.stderr
    assert "cannot update the price store" in result.stderr
    assert_one_line(result.stderr)
    after = snapshot_of(store_file)
    assert after[0] == before[0]
    pd.testing.assert_frame_equal(after[1], before[1])


# --- a full disk under run, brief and push (the yfinance source, its cache included) -------

#: ``marketbrief`` in a fresh process (yfinance's caches are set up once per process) with
#: Yahoo's host unresolvable (the .invalid domain, RFC 2606): the one fake, at the network edge.
OFFLINE_MARKETBRIEF = """
import sys
import briefings.sources.yahoo as yahoo
yahoo.YAHOO_HOST = "marketbrief-test.invalid"
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


@dataclass(frozen=True)
class FullDiskCase:
    argv: list[str]
    message: str
    """What stderr says when the data directory is new."""
    message_when_stocked: str
    """What it says when the data directory already holds a store, a lock file and caches."""


FULL_DISK: dict[str, FullDiskCase] = {
    "run": FullDiskCase(
        ["run", "--source", "yfinance"],
        "run.lock: the disk is full; free some space",
        "bot.sqlite3: the disk is full; free some space",
    ),
    "brief": FullDiskCase(
        ["brief", "--source", "yfinance"],
        "prices.sqlite3: the disk is full; free some space",
        "no market data yet: Yahoo Finance could not be reached",
    ),
    "push": FullDiskCase(
        ["push", "--source", "yfinance"],
        "prices.sqlite3: the disk is full; free some space",
        "bot.sqlite3: the disk is full; free some space",
    ),
}


def run_offline(
    argv: list[str], data_dir: Path, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **BOT_ENV, "MARKETBRIEF_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-c", OFFLINE_MARKETBRIEF, *argv],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=preexec,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def stocked_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a data directory as a bot leaves it: both databases, run.lock, yfinance's caches."""
    from bot.store.database import Database

    data_dir = tmp_path_factory.mktemp("stocked") / "data"
    PriceStore(data_dir / "prices.sqlite3").close()
    Database(data_dir / "bot.sqlite3").close()
    lock = DataDirLock(data_dir)
    lock.acquire()  # leaves run.lock with a process id
    lock.release()
    made = run_offline(["brief", "--source", "yfinance"], data_dir)  # makes yfinance's caches
    assert "Traceback" not in made.stderr
    assert (data_dir / "cache" / "yfinance" / "tkr-tz.db").is_file()
    return data_dir


@pytest.mark.parametrize("stocked", [False, True], ids=["new", "stocked"])
@pytest.mark.parametrize("case", list(FULL_DISK.values()), ids=list(FULL_DISK))
def test_a_full_disk_is_one_line_under_run_brief_and_push(
    case: FullDiskCase,
    stocked: bool,
    stocked_data_dir: Path,
    mount_point: Callable[..., Path],
) -> None:
    disk = mount_point("-t", "tmpfs", "-o", "size=4m", "tmpfs")
    data_dir = disk / "data"
    if stocked:
        shutil.copytree(stocked_data_dir, data_dir)
    fill_disk(disk)
    result = run_offline(case.argv, data_dir)
    assert result.returncode == 1, result.stderr
    assert (case.message_when_stocked if stocked else case.message) in result.stderr
    assert_one_line(result.stderr)


@pytest.mark.parametrize("case", list(FULL_DISK.values()), ids=list(FULL_DISK))
def test_no_room_to_write_is_one_line_without_a_mount(case: FullDiskCase, tmp_path: Path) -> None:
    """The same faults where no file system can be mounted: no file may grow (RLIMIT_FSIZE)."""
    result = run_offline(case.argv, tmp_path / "data", preexec=_limit_file_size(0))
    assert result.returncode == 1, result.stderr
    # SQLite reports a write past the limit as an I/O error, not as a full disk.
    named = case.message.split(":")[0]
    assert f"{named}: the disk" in result.stderr
    assert_one_line(result.stderr)
