"""The console script's entry runs ``main`` as a process, with the collector set for one."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.real_data import REPO_ROOT

#: Runs a command through the entry, then reports how the collector was left for the command.
PROBE = """
import gc, sys
import bot.cli
seen = {}
def main():
    seen["enabled"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    return 3
bot.cli.main = main
from bot.entry import console
status = console()
print(status, seen["enabled"], seen["frozen"] > 10_000, gc.get_freeze_count() >= seen["frozen"])
"""


def run(arguments: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETBRIEF_")}
    env.update(MARKETBRIEF_DATA_DIR=str(folder / "data"), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, *arguments], cwd=folder, env=env, capture_output=True, text=True
    )


def test_the_console_script_is_the_entry() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["marketbrief"] == "bot.entry:console"


def test_a_command_runs_with_the_collector_on_and_the_loaded_modules_frozen(
    tmp_path: Path,
) -> None:
    done = run(["-c", PROBE], tmp_path)

    assert done.returncode == 0, done.stderr
    # main's status comes back; the collector runs during the command, the modules are frozen
    assert done.stdout.split() == ["3", "True", "True", "True"]


def test_bad_input_through_the_entry_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run(["-m", "bot.entry", "brief", "--source", "nowhere"], tmp_path)

    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "nowhere" in done.stderr
