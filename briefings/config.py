"""Settings of the domain layer, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_SOURCE = "yfinance"


@dataclass(frozen=True)
class Settings:
    """Where data lives, which source feeds it and which universe it covers."""

    data_dir: Path
    source: str = DEFAULT_SOURCE
    universe_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Read MARKETBRIEF_DATA_DIR, MARKETBRIEF_SOURCE and MARKETBRIEF_UNIVERSE."""
        data_dir = env.get("MARKETBRIEF_DATA_DIR") or platformdirs.user_data_dir("marketbrief")
        universe = env.get("MARKETBRIEF_UNIVERSE")
        return cls(
            data_dir=Path(data_dir).expanduser(),
            source=env.get("MARKETBRIEF_SOURCE") or DEFAULT_SOURCE,
            universe_path=Path(universe).expanduser() if universe else None,
        )

    @property
    def store_path(self) -> Path:
        """Return the path of the SQLite price store."""
        return self.data_dir / "prices.sqlite3"
