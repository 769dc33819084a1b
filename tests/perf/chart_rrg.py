"""Benchmark: warm `marketbrief chart rrg --source csv:DIR` vs RRG-Lite's plot, in CPU and memory.

Run: uv run python -m tests.perf.chart_rrg --rrg-lite PATH [--rrg-lite-packages DIR] [--runs N]
     [--data DIR] [--code REPO]
Prints figures, asserts nothing. PATH is a checkout of RRG-Lite
(https://github.com/BennyThadikaran/RRG-Lite); it reads its CSV files with fast_csv_loader, which
this environment lacks: install it beside it (`uv pip install --target DIR --no-deps
fast-csv-loader==2.0.0`) and pass DIR as ``--rrg-lite-packages``. RRG-Lite runs on this
environment's Python, pandas and matplotlib.

Both sides plot the 11 sector SPDRs against SPY on weekly closes with a 5-week tail and write a
PNG (RRG-Lite through a few lines passed with ``-c`` that run its init.py on the Agg backend,
show the tails and labels its window hides until a key is pressed, and save the figure). RRG-Lite
needs OHLCV columns to resample to weeks and lower-case file names, so the closes of the 12
tickers are copied once into a temporary folder as Open = High = Low = Close, Volume 0;
marketbrief reads the folder itself, from a store filled by a first run (warm store). Each
command is a fresh process timed by /usr/bin/time (user + system CPU seconds and peak RSS); the
two alternate run by run, bytecode cached for both (PYTHONPYCACHEPREFIX filled by the warm-up
runs), and the figures are medians. Every run must leave a non-empty PNG. Target: ≤ 1.2x
RRG-Lite's CPU. ``--code`` times another checkout of marketbrief with this environment's
libraries.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from briefings.universe import load_universe
from tests.perf.csv_brief import Usage, console_module, side_by_side, timed
from tests.real_data import MARKET_DATA, REPO_ROOT

TAIL_WEEKS = 5
#: Runs RRG-Lite's init.py (argv: its src folder, the PNG, then init.py's own options) headless.
RRG_LITE_PLOT = """\
import runpy, sys
import matplotlib
matplotlib.use("Agg")
source, png = sys.argv[1:3]
sys.path.insert(0, source)
sys.argv = [source + "/init.py", *sys.argv[3:]]
plot = runpy.run_path(sys.argv[0], run_name="__main__")["rrg"]
plot._toggle_text("a")
plot._toggle_lines("t")
plot.fig.savefig(png)
print(len(plot.state), "tickers plotted")
"""


class SetupError(Exception):
    """Raise when the benchmark cannot start; the message is its one line."""


@dataclass(frozen=True)
class Sides:
    """The two commands, with the PNG each must write and the environment each runs in."""

    ours: tuple[str, ...]
    ours_png: Path
    ours_env: Mapping[str, str]
    theirs: tuple[str, ...]
    theirs_png: Path
    theirs_env: Mapping[str, str]


def rrg_lite_source(checkout: Path | None) -> Path:
    """Return the checkout's src folder, or raise a one-line SetupError."""
    if checkout is None:
        raise SetupError(
            "needs a checkout of RRG-Lite (https://github.com/BennyThadikaran/RRG-Lite):"
            " --rrg-lite PATH"
        )
    source = checkout / "src"
    if not (source / "init.py").is_file():
        raise SetupError(f"{checkout} is not an RRG-Lite checkout (no src/init.py)")
    return source


def rrg_lite_version(checkout: Path) -> str:
    """Return the version RRG.py declares, and the commit when the checkout is a git clone."""
    declared = re.search(
        r'^version = "([^"]+)"', (checkout / "src" / "RRG.py").read_text(), re.MULTILINE
    )
    version = declared.group(1) if declared else "unknown version"
    if not (checkout / ".git").exists():
        return version
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{version} ({commit.stdout.strip()})" if commit.returncode == 0 else version


def check_fast_csv_loader(env: Mapping[str, str]) -> None:
    """Raise a one-line SetupError when RRG-Lite's CSV reader cannot be imported."""
    probe = "import importlib.util as u, sys; sys.exit(u.find_spec('fast_csv_loader') is None)"
    if subprocess.run([sys.executable, "-c", probe], env=dict(env), check=False).returncode:
        raise SetupError(
            "RRG-Lite needs fast_csv_loader: uv pip install --target DIR --no-deps"
            " fast-csv-loader==2.0.0, then pass --rrg-lite-packages DIR"
        )


def write_ohlcv(source: Path, target: Path) -> None:
    """Copy a Date,Close file as Date,Open,High,Low,Close,Volume (every price the close)."""
    with source.open(newline="") as closes, target.open("w", newline="") as bars:
        reader = csv.DictReader(closes)
        writer = csv.writer(bars)
        writer.writerow(["Date", "Open", "High", "Low", "Close", "Volume"])
        for row in reader:
            close = row["Close"]
            writer.writerow([row["Date"], close, close, close, close, 0])


def sides(root: Path, data: Path, code: Path, source: Path, packages: Path | None) -> Sides:
    """Lay out the temporary folders and return both commands."""
    universe = load_universe()
    sectors = universe.group("sectors").members
    missing = [t for t in (*sectors, universe.benchmark) if not (data / f"{t}.csv").is_file()]
    if missing:
        raise SetupError(f"no {', '.join(missing)} closes in {data} (TICKER.csv each)")
    bars = root / "rrg-lite-data"
    bars.mkdir()
    for ticker in (*sectors, universe.benchmark):
        write_ohlcv(data / f"{ticker}.csv", bars / f"{ticker.lower()}.csv")
    config = root / "rrg-lite.json"
    config.write_text(f'{{"DATA_PATH": "{bars}"}}')
    base = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        # Bytecode cached, as for an installed package: the warm-up runs fill the folder.
        "PYTHONPYCACHEPREFIX": str(root / "pyc"),
        "MPLBACKEND": "Agg",
    }
    ours_env = {
        **base,
        "MARKETBRIEF_DATA_DIR": str(root / "data"),
        "MARKETBRIEF_CACHE_DIR": str(root / "cache"),
        "PYTHONPATH": str(code),
    }
    theirs_env = {k: v for k, v in base.items() if k != "PYTHONPATH"}
    if packages is not None:
        theirs_env["PYTHONPATH"] = str(packages)
    ours_png, theirs_png = root / "marketbrief.png", root / "rrg-lite.png"
    ours = (*console_module(code), "chart", "rrg", "-o", str(ours_png), "--source", f"csv:{data}")
    theirs = (
        *("-c", RRG_LITE_PLOT, str(source), str(theirs_png)),
        *("-c", str(config), "-b", universe.benchmark, "-t", str(TAIL_WEEKS), "--sym", *sectors),
    )
    return Sides(
        ours=(*ours, "--tail", str(TAIL_WEEKS)),
        ours_png=ours_png,
        ours_env=ours_env,
        theirs=theirs,
        theirs_png=theirs_png,
        theirs_env=theirs_env,
    )


def warm_up(arguments: Sequence[str], env: Mapping[str, str], cwd: Path) -> str:
    """Run once untimed; return what it printed, or raise SetupError with its last line."""
    result = subprocess.run(
        [sys.executable, *arguments], cwd=cwd, env=dict(env), capture_output=True, text=True
    )
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise SetupError(f"a warm-up run failed (exit {result.returncode}): {last}")
    return result.stdout


def timed_png(arguments: Sequence[str], env: Mapping[str, str], cwd: Path, png: Path) -> Usage:
    """Time one run; raise SetupError unless it wrote a non-empty PNG."""
    png.unlink(missing_ok=True)
    usage = timed(arguments, env, cwd)
    if not png.is_file() or png.stat().st_size == 0:
        raise SetupError(f"a run wrote no PNG at {png.name}")
    return usage


def measure(
    runs: int, data: Path, code: Path, source: Path, packages: Path | None, keep: Path | None
) -> dict[str, list[Usage]]:
    """Time marketbrief's warm chart and RRG-Lite's plot, alternating, ``runs`` times each."""
    with tempfile.TemporaryDirectory(prefix="marketbrief-rrg-") as folder:
        root = Path(folder)
        run = sides(root, data, code, source, packages)
        check_fast_csv_loader(run.theirs_env)
        # The first fills the store, the calendar and the bytecode; the second checks it is warm.
        for _ in range(2):
            warm_up(run.ours, run.ours_env, code)
            plotted = warm_up(run.theirs, run.theirs_env, code).split()
        sectors = len(load_universe().group("sectors").members)
        if plotted[:1] != [str(sectors)]:
            raise SetupError(f"RRG-Lite plotted {' '.join(plotted[:1]) or 'no'} of {sectors}")
        usages: dict[str, list[Usage]] = {"marketbrief": [], "RRG-Lite": []}
        for _ in range(runs):
            usages["marketbrief"].append(timed_png(run.ours, run.ours_env, code, run.ours_png))
            usages["RRG-Lite"].append(timed_png(run.theirs, run.theirs_env, code, run.theirs_png))
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for png in (run.ours_png, run.theirs_png):
                png.replace(keep / png.name)
    return usages


def report(usages: Mapping[str, Sequence[Usage]], label: str, rrg_lite: str) -> str:
    """Format medians and the ratio to RRG-Lite."""
    return side_by_side(
        usages,
        header=f"code: {label}; RRG-Lite {rrg_lite}",
        ours="chart rrg --source csv:DIR (warm store)",
        theirs=("RRG-Lite", "RRG-Lite plot, saved as PNG"),
        target="≤ 1.2x",
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print; a setup problem is one line on stderr and exit 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rrg-lite", type=Path, help="RRG-Lite checkout")
    parser.add_argument(
        "--rrg-lite-packages", type=Path, help="folder holding fast_csv_loader for RRG-Lite"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median)")
    parser.add_argument("--data", type=Path, default=MARKET_DATA, help="the CSV folder")
    parser.add_argument("--code", type=Path, default=REPO_ROOT, help="marketbrief checkout")
    parser.add_argument("--label", default="this checkout", help="what to call the code")
    parser.add_argument("--keep-png", type=Path, help="folder to keep the last run's PNGs in")
    args = parser.parse_args(argv)
    try:
        checkout = args.rrg_lite and args.rrg_lite.resolve()
        source = rrg_lite_source(checkout)
        packages = args.rrg_lite_packages and args.rrg_lite_packages.resolve()
        usages = measure(
            args.runs, args.data.resolve(), args.code.resolve(), source, packages, args.keep_png
        )
    except SetupError as error:
        print(f"chart_rrg: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(report(usages, args.label, rrg_lite_version(checkout)))


if __name__ == "__main__":
    main()
