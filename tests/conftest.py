"""Shared fixtures: the real-market-data folder (skipped when absent) and isolated data dirs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefings.config import Settings
from briefings.service import MarketService
from briefings.sources.demo import DemoSource
from briefings.store import PriceStore
from briefings.universe import load_universe
from tests.real_data import MARKET_DATA, REPO_ROOT, has_market_data, real_market_service

# Tests import these from here.
__all__ = ["MARKET_DATA", "REPO_ROOT"]

# The sweeps' checks run inside tests too: rewrite their asserts so a failure shows its values.
pytest.register_assert_rewrite("tests.sweeps")


@pytest.fixture
def market_data_dir() -> Path:
    """Return ../shared/market-data, or skip the test when a clone lacks it."""
    if not has_market_data():
        pytest.skip(f"real market data not found at {MARKET_DATA}")
    return MARKET_DATA


@pytest.fixture(scope="session")
def real_service(tmp_path_factory: pytest.TempPathFactory) -> MarketService:
    """Return a service on ../shared/market-data, refreshed once per test run (else skip)."""
    if not has_market_data():
        pytest.skip(f"real market data not found at {MARKET_DATA}")
    return real_market_service(tmp_path_factory.mktemp("real") / "prices.sqlite3")


@pytest.fixture(scope="session")
def golden_service(tmp_path_factory: pytest.TempPathFactory) -> MarketService:
    """Return the demo market refreshed through 2025-11-21 (a fixed clock), once per test run."""
    market = MarketService(
        DemoSource(),
        PriceStore(tmp_path_factory.mktemp("golden") / "prices.sqlite3"),
        load_universe(),
        clock=lambda: datetime(2025, 11, 21, 22, 0, tzinfo=UTC),
    )
    assert market.refresh().error is None
    return market


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Refresh the demo market once per test session; tests copy the resulting store."""
    data_dir = tmp_path_factory.mktemp("demo-store")
    service = MarketService.from_settings(Settings(data_dir=data_dir, source="demo"))
    report = service.refresh()
    assert report.error is None, report.error
    return Settings(data_dir=data_dir).store_path


@pytest.fixture
def demo_data(tmp_path: Path, demo_store: Path) -> Path:
    """Put the refreshed demo market in the test's data dir (MARKETBRIEF_DATA_DIR); return it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    shutil.copy(demo_store, Settings(data_dir=data_dir).store_path)
    return data_dir


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point every test at its own data directory and away from the user's settings."""
    monkeypatch.setenv("MARKETBRIEF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MARKETBRIEF_CACHE_DIR", str(tmp_path / "cache"))
    for name in (
        "MARKETBRIEF_SOURCE",
        "MARKETBRIEF_UNIVERSE",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # PTB 22 warns when it builds a RetryAfter unless timedelta periods are opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount file systems under tmp_path (tmpfs, read-only binds); skip where not permitted."""
    mounted: list[Path] = []

    def mount(*options: str) -> Path:
        target = tmp_path / f"mount{len(mounted)}"
        target.mkdir()
        result = subprocess.run(
            ["mount", *options, str(target)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount here: {result.stderr.strip() or 'not permitted'}")
        mounted.append(target)
        return target

    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def fill_disk(folder: Path) -> None:
    """Write zeros into ``folder`` until its file system is full."""
    with (folder / "filler").open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError:
            pass
