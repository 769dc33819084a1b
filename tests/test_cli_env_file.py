"""The console script reads a .env file in the working directory, when there is one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.real_data import REPO_ROOT


def brief_in(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETBRIEF_")}
    env["MARKETBRIEF_DATA_DIR"] = str(folder / "data")
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "brief"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_env_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MARKETBRIEF_SOURCE=nowhere\n", encoding="utf-8")

    done = brief_in(tmp_path)

    assert done.returncode == 2
    assert "nowhere" in done.stderr
