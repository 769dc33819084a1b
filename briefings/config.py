"""Settings of the domain layer, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_SOURCE = "yfinance"


class SettingError(ValueError):
    """Raise when a MARKETBRIEF_* setting cannot be used; the message is one line."""


def expand_home(text: str, name: str) -> Path:
    """Return ``text`` as a path with ``~`` or ``~user`` expanded, or raise SettingError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~user of a user that does not exist, or no home at all
        raise SettingError(f"{name}: cannot expand {text!r}: no such home directory") from None


@dataclass(frozen=True)
class Settings:
    """Where data lives, which source feeds it and which universe it covers."""

    data_dir: Path
    source: str = DEFAULT_SOURCE
    universe_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Read MARKETBRIEF_DATA_DIR, MARKETBRIEF_SOURCE and MARKETBRIEF_UNIVERSE.

        Raise SettingError for a path whose ``~user`` cannot be expanded.
        """
        data_dir = env.get("MARKETBRIEF_DATA_DIR") or platformdirs.user_data_dir("marketbrief")
        universe = env.get("MARKETBRIEF_UNIVERSE")
        return cls(
            data_dir=expand_home(data_dir, "MARKETBRIEF_DATA_DIR"),
            source=env.get("MARKETBRIEF_SOURCE") or DEFAULT_SOURCE,
            universe_path=expand_home(universe, "MARKETBRIEF_UNIVERSE") if universe else None,
        )

    @property
    def store_path(self) -> Path:
        """Return the path of the SQLite price store."""
        return self.data_dir / "prices.sqlite3"
