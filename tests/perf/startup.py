"""Benchmark: how long `marketbrief brief --source demo` takes to start, from a warm store.

Run: uv run python -m tests.perf.startup [--runs N] [--settings cached uncached]
Prints figures, asserts nothing. Each command runs as a fresh process; the figure is the median
wall time. Target: brief at most 1.5x `python -c "import pandas"`, with bytecode cached
(Python's in PYTHONPYCACHEPREFIX, the templates' in the cache folder, both filled by a warm-up
run).

"bytecode cached" runs with PYTHONPYCACHEPREFIX pointing at a folder filled by a warm-up run;
"no bytecode" with PYTHONDONTWRITEBYTECODE=1 and an empty prefix, so every module is compiled
on every run (what a checkout without __pycache__ pays). The calendar's session table is
cached on disk as well; "cold calendar" rows give it an empty cache folder each run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: What the console script runs (``bot.entry``), so the collector's set-up is part of it.
BRIEF = ("-m", "bot.entry", "brief", "--source", "demo")
#: The collector as ``bot.entry`` sets it for a process: paused while modules load, then the
#: loaded objects frozen (and frozen again at exit).
PAUSED, RESUMED = "import gc; gc.disable(); ", "; gc.enable(); gc.freeze()"
#: What brief imports before it does any work, with the collector as brief sets it: its
#: libraries, then every module it loads.
LIBRARIES = (
    f"{PAUSED}import pandas, jinja2, babel.dates, babel.numbers, sqlite3, tomllib, platformdirs"
    f"{RESUMED}"
)
MODULES = (
    f"{PAUSED}import bot.cli, briefings.cli, briefings.build, briefings.service,"
    f" briefings.render.views{RESUMED}"
)
COMMANDS: dict[str, tuple[str, ...]] = {
    "python -c pass": ("-c", "pass"),
    'python -c "import pandas"': ("-c", "import pandas"),
    "brief --source demo": BRIEF,
    "import bot.runtime.operations (run, push)": ("-c", "import bot.runtime.operations"),
}


#: The CPU rows: user + system seconds, brief and the import run alternately.
CPU_BRIEF, CPU_PANDAS = "CPU: brief --source demo", 'CPU: python -c "import pandas"'
#: CPU rows of brief's imports alone: the floor no work brief does can go below.
CPU_LIBRARIES, CPU_MODULES = "CPU: brief's libraries", "CPU: brief's imports (all)"
#: Like for like: ``import pandas`` with the collector set as ``bot.entry`` sets it.
CPU_PANDAS_PAUSED = "CPU: import pandas, collector as brief's"
PANDAS_PAUSED = f"{PAUSED}import pandas{RESUMED}"

#: The settings, by the name ``--settings`` takes: what the rows call them.
SETTINGS = {"cached": "bytecode cached", "uncached": "no bytecode"}


@dataclass(frozen=True)
class Row:
    """One command's median start-up time in one setting."""

    setting: str
    command: str
    seconds: float


def run_once(arguments: Sequence[str], env: Mapping[str, str]) -> float:
    """Return the wall time of one fresh interpreter running ``arguments``."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO,
        env=dict(env),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def cpu_once(arguments: Sequence[str], env: Mapping[str, str]) -> float:
    """Return the CPU seconds (user + system) of one fresh interpreter running ``arguments``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_once(arguments, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_ratio(env: Mapping[str, str], runs: int) -> dict[str, float]:
    """Return median CPU seconds of brief, importing pandas, and brief's imports alone, run
    alternately."""
    arguments = {
        CPU_BRIEF: BRIEF,
        CPU_PANDAS: COMMANDS['python -c "import pandas"'],
        CPU_LIBRARIES: ("-c", LIBRARIES),
        CPU_MODULES: ("-c", MODULES),
        CPU_PANDAS_PAUSED: ("-c", PANDAS_PAUSED),
    }
    seconds: dict[str, list[float]] = {name: [] for name in arguments}
    for _ in range(runs):
        for name, command in arguments.items():
            seconds[name].append(cpu_once(command, env))
    return {name: statistics.median(values) for name, values in seconds.items()}


def median_time(arguments: Sequence[str], env: Mapping[str, str], runs: int) -> float:
    """Return the median of ``runs`` fresh runs."""
    return statistics.median(run_once(arguments, env) for _ in range(runs))


def measure(runs: int, root: Path, settings: Sequence[str] = tuple(SETTINGS)) -> list[Row]:
    """Time every command in each of ``settings``, calendar cache warm or cold."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("PYTHONPYCACHE")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    base.update(MARKETBRIEF_DATA_DIR=str(root / "data"), MARKETBRIEF_CACHE_DIR=str(root / "cal"))
    cached = {**base, "PYTHONPYCACHEPREFIX": str(root / "pyc")}
    uncached = {
        **base,
        "PYTHONPYCACHEPREFIX": str(root / "empty-pyc"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run_once(BRIEF, cached)  # fills the store, the calendar cache and the bytecode cache
    run_once(COMMANDS["import bot.runtime.operations (run, push)"], cached)
    chosen = [
        (SETTINGS[name], env)
        for name, env in (("cached", cached), ("uncached", uncached))
        if name in settings
    ]
    rows = []
    for setting, env in chosen:
        for name, arguments in COMMANDS.items():
            rows.append(Row(setting, name, median_time(arguments, env, runs)))
    for setting, env in chosen:
        times = []
        for index in range(runs):
            cold = {**env, "MARKETBRIEF_CACHE_DIR": str(root / f"cold-{setting}-{index}")}
            times.append(run_once(BRIEF, cold))
        rows.append(Row(setting, "brief, cold calendar", statistics.median(times)))
    for setting, env in chosen:
        for name, cpu in cpu_ratio(env, runs).items():
            rows.append(Row(setting, name, cpu))
    return rows


def report(rows: Sequence[Row]) -> str:
    """Format the rows with brief's ratio to importing pandas in each setting."""
    lines = [f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores"]
    lines.append(f"{'setting':<16} {'command':<36} {'median s':>8}")
    for row in rows:
        lines.append(f"{row.setting:<16} {row.command:<36} {row.seconds:>8.3f}")
    for setting in dict.fromkeys(row.setting for row in rows):
        of = {row.command: row.seconds for row in rows if row.setting == setting}
        ratio = of["brief --source demo"] / of['python -c "import pandas"']
        lines.append(f"{setting}: brief ÷ import pandas = {ratio:.2f}x wall (target ≤ 1.5x)")
        if CPU_BRIEF in of and CPU_PANDAS in of:
            pandas = of[CPU_PANDAS]
            cpu = of[CPU_BRIEF] / pandas
            lines.append(f"{setting}: brief ÷ import pandas = {cpu:.2f}x CPU, run alternately")
            if CPU_PANDAS_PAUSED in of:
                like = of[CPU_PANDAS_PAUSED]
                lines.append(
                    f"{setting}: like for like, import pandas with the collector as brief's:"
                    f" brief {of[CPU_BRIEF] / like:.2f}x; its libraries alone"
                    f" {of[CPU_LIBRARIES] / like:.2f}x, all its imports"
                    f" {of[CPU_MODULES] / like:.2f}x, the work"
                    f" {(of[CPU_BRIEF] - of[CPU_MODULES]) / like:.2f}x (CPU)"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    """Measure and print; return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument(
        "--settings", nargs="+", choices=tuple(SETTINGS), default=list(SETTINGS), help="settings"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="marketbrief-startup-") as root:
        rows = measure(args.runs, Path(root), args.settings)
    print(report(rows))
    return rows


if __name__ == "__main__":
    main()
