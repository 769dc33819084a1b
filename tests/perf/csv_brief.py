"""Benchmark: warm `marketbrief brief --source csv:DIR` against the pandas peer, in CPU and memory.

Run: uv run python -m tests.perf.csv_brief [--runs N] [--data DIR] [--peer SCRIPT] [--code REPO]
Prints figures, asserts nothing. Each command is a fresh process timed by /usr/bin/time (user +
system CPU seconds and peak RSS); the two alternate run by run so that a busy neighbour costs
both alike, and the figures are medians. The peer (`pandas_peer.py DIR members`) is the script a
user writes with pandas: it parses every CSV file on every run. marketbrief's store is filled by
one run first (warm store); its later runs read only files that changed. Target: ≤ 0.8x the
peer's CPU. ``--code`` times another checkout of marketbrief (e.g. an older commit) with this
environment's libraries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.real_data import MARKET_DATA, REPO_ROOT

TIME = "/usr/bin/time"


@dataclass(frozen=True)
class Usage:
    """One process's CPU seconds (user + system) and peak resident memory."""

    cpu: float
    rss_mib: float


def console_module(code: Path) -> tuple[str, str]:
    """Return how to run the console script's entry of the checkout ``code`` with ``-m``.

    ``bot.entry`` (the collector set for a process) where it exists, else ``bot.cli``.
    """
    return ("-m", "bot.entry" if (code / "bot" / "entry.py").is_file() else "bot.cli")


def timed(arguments: Sequence[str], env: Mapping[str, str], cwd: Path) -> Usage:
    """Run one fresh process under /usr/bin/time; return its CPU and peak memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        subprocess.run(
            [TIME, "-f", "%U %S %M", "-o", out.name, sys.executable, *arguments],
            cwd=cwd,
            env=dict(env),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        user, system, kib = out.read().split()[-3:]
    return Usage(float(user) + float(system), int(kib) / 1024)


def measure(runs: int, data: Path, peer: Path, code: Path) -> dict[str, list[Usage]]:
    """Time marketbrief's warm brief and the peer, alternating, ``runs`` times each."""
    with tempfile.TemporaryDirectory(prefix="marketbrief-csv-") as root:
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "MARKETBRIEF_DATA_DIR": str(Path(root) / "data"),
            "MARKETBRIEF_CACHE_DIR": str(Path(root) / "cache"),
            # Bytecode cached, as for an installed package: the warm-up runs fill the folder.
            "PYTHONPYCACHEPREFIX": str(Path(root) / "pyc"),
            "PYTHONPATH": str(code),
        }
        brief = (*console_module(code), "brief", "--source", f"csv:{data}")
        peer_arguments = (str(peer), str(data), "members")
        timed(brief, env, code)  # fills the store, the calendar and template caches
        timed(brief, env, code)
        usages: dict[str, list[Usage]] = {"marketbrief": [], "peer": []}
        for _ in range(runs):
            usages["marketbrief"].append(timed(brief, env, code))
            usages["peer"].append(timed(peer_arguments, env, code))
    return usages


def report(usages: Mapping[str, Sequence[Usage]], label: str) -> str:
    """Format medians and the ratio to the peer."""
    return side_by_side(
        usages,
        header=f"code: {label}",
        ours="brief --source csv:DIR (warm store)",
        theirs=("peer", "pandas_peer.py DIR members"),
        target="≤ 0.8x",
    )


def side_by_side(
    usages: Mapping[str, Sequence[Usage]],
    *,
    header: str,
    ours: str,
    theirs: tuple[str, str],
    target: str,
) -> str:
    """Format two commands' median CPU and memory and their ratios, each run's CPU after.

    ``usages`` holds "marketbrief" and ``theirs[0]``'s runs; ``ours`` and ``theirs[1]`` are
    the rows' names.
    """
    key, name = theirs
    cpu = {side: statistics.median(u.cpu for u in runs) for side, runs in usages.items()}
    rss = {side: statistics.median(u.rss_mib for u in runs) for side, runs in usages.items()}
    return "\n".join(
        [
            f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {len(usages[key])} runs each,"
            f" interleaved, bytecode cached; {header}",
            f"{'what':<40} {'CPU s':>6} {'MiB':>6}",
            f"{ours:<40} {cpu['marketbrief']:>6.2f} {rss['marketbrief']:>6.0f}",
            f"{name:<40} {cpu[key]:>6.2f} {rss[key]:>6.0f}",
            f"ratio: CPU {cpu['marketbrief'] / cpu[key]:.2f}x (target {target}),"
            f" memory {rss['marketbrief'] / rss[key]:.2f}x",
            f"{'marketbrief CPU by run:':<24}"
            + " ".join(f"{u.cpu:.2f}" for u in usages["marketbrief"]),
            f"{key + ' CPU by run:':<24}" + " ".join(f"{u.cpu:.2f}" for u in usages[key]),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--data", type=Path, default=MARKET_DATA, help="the CSV folder")
    parser.add_argument(
        "--peer", type=Path, default=MARKET_DATA.parent / "bench" / "pandas_peer.py"
    )
    parser.add_argument("--code", type=Path, default=REPO_ROOT, help="marketbrief checkout")
    parser.add_argument("--label", default="this checkout", help="what to call the code")
    args = parser.parse_args(argv)
    code = args.code.resolve()
    print(report(measure(args.runs, args.data.resolve(), args.peer.resolve(), code), args.label))


if __name__ == "__main__":
    main()
