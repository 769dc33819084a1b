"""The domain commands of ``marketbrief`` (brief, sectors, rotation, breadth, movers, chart, …).

The commands: brief, sectors, factors, recap, rotation, breadth, movers, chart, refresh and release.

``build_parser()`` returns the parser with these sub-commands; the console script in
``bot.cli`` adds the Telegram commands through ``build_parser(extra=...)`` and dispatches with
``run(args)``. Every sub-command stores its handler as ``args.handler`` (``(args) -> int``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn, Protocol, cast

from briefings.build import BriefingInputError
from briefings.config import SettingError, Settings
from briefings.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_ENV,
    LANGUAGES,
    LanguageError,
    language_from_env,
)
from briefings.render.factors import render_factors
from briefings.render.views import render_briefing, render_rotation, render_sectors, render_summary
from briefings.sanity import QuarantinedClose, describe_held
from briefings.service import MarketService, NoDataError
from briefings.snapshot import Snapshot
from briefings.sources import SourceError, SourceSpecError
from briefings.storage import StorageFault
from briefings.universe import UniverseError
from briefings.windows import WINDOWS, window_named

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Raise for bad command-line input: reported on one line, exit code 2."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


class AddCommand(Protocol):
    """Add a sub-command to the ``marketbrief`` parser and return its parser."""

    def __call__(self, name: str, *, help: str) -> argparse.ArgumentParser: ...


def parse_date(text: str) -> date:
    """Parse YYYY-MM-DD, or raise a one-line argparse error."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def parse_month(text: str) -> date:
    """Parse YYYY-MM as the month's first day, or raise a one-line argparse error."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; use YYYY-MM") from None


def parse_tail_weeks(text: str) -> int:
    """Parse an RRG tail length in weeks, 1 to MAX_TAIL_WEEKS."""
    from briefings.charts.data import MAX_TAIL_WEEKS

    try:
        weeks = int(text)
    except ValueError:
        weeks = 0
    if not 1 <= weeks <= MAX_TAIL_WEEKS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tail length; use 1 to {MAX_TAIL_WEEKS} weeks"
        )
    return weeks


def parse_window(text: str) -> str:
    """Parse a window name such as MTD or 1m (case-insensitive)."""
    window = window_named(text)
    if window is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a window; use one of {', '.join(WINDOWS)}"
        )
    return window


def add_source_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add ``--source`` to ``parser``: the market data source, by default the environment's."""
    parser.add_argument(
        "--source",
        metavar="S",
        default=default,
        help="demo, yfinance or csv:DIR (default: $MARKETBRIEF_SOURCE or yfinance)"
        if default is None
        else f"market data source (default: {default})",
    )


def _add_view_options(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    add_source_option(parser)
    parser.add_argument("--as-of", type=parse_date, metavar="DATE", help="replay a past session")
    parser.add_argument("--format", choices=formats, default="text", help="output format")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language of the output (default: ${LANGUAGE_ENV} or {DEFAULT_LANGUAGE})",
    )


def _language(args: argparse.Namespace) -> str:
    """Return --lang, else MARKETBRIEF_LANG, else English (a bad MARKETBRIEF_LANG: usage error)."""
    chosen: str | None = getattr(args, "lang", None)
    if chosen:
        return chosen
    try:
        return language_from_env()
    except LanguageError as exc:
        raise UsageError(f"{LANGUAGE_ENV}: {exc}") from None


def build_parser(
    extra: Callable[[AddCommand], None] | None = None,
) -> argparse.ArgumentParser:
    """Return the ``marketbrief`` parser; ``extra`` may add more sub-commands."""
    parser = OneLineErrorParser(prog="marketbrief", description="Market rotation briefings.")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=OneLineErrorParser
    )
    commands.required = True

    brief = commands.add_parser("brief", help="print the daily briefing")
    _add_view_options(brief, ("text", "html", "json"))
    brief.add_argument("--since", type=parse_date, metavar="DATE", help="add returns since DATE")
    brief.add_argument("--period", type=parse_window, default="MTD", help="sector window")
    brief.add_argument(
        "--summary",
        action="store_true",
        help="only the short summary (verdict, the day, takeaways, what changed)",
    )
    brief.set_defaults(handler=_brief)

    sectors = commands.add_parser("sectors", help="print the sector leaderboard")
    _add_view_options(sectors, ("text", "html"))
    sectors.add_argument("--period", type=parse_window, default="MTD", help="window")
    sectors.set_defaults(handler=_sectors)

    factors = commands.add_parser("factors", help="print the factor scoreboard against SPY")
    _add_view_options(factors, ("text", "html", "json"))
    factors.add_argument("--period", type=parse_window, default="1M", help="window")
    factors.set_defaults(handler=_factors)

    recap = commands.add_parser("recap", help="print the week or month in review")
    add_source_option(recap)
    chosen = recap.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--month", type=parse_month, metavar="YYYY-MM", help="the month")
    chosen.add_argument(
        "--week", type=parse_date, metavar="DATE", help="the week (Monday to Friday) holding DATE"
    )
    recap.add_argument(
        "--format",
        choices=("text", "html", "json", "summary"),
        default="text",
        help="output format",
    )
    recap.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language of the output (default: ${LANGUAGE_ENV} or {DEFAULT_LANGUAGE})",
    )
    recap.set_defaults(handler=_recap)

    rotation = commands.add_parser("rotation", help="print the rotation pairs")
    _add_view_options(rotation, ("text", "html"))
    rotation.add_argument("--period", type=parse_window, default="1M", help="spread window")
    rotation.set_defaults(handler=_rotation)

    breadth = commands.add_parser("breadth", help="print the index members' breadth by sector")
    _add_view_options(breadth, ("text", "html"))
    breadth.add_argument("sector", nargs="*", help="one sector, e.g. tech or health care")
    breadth.set_defaults(handler=_breadth)

    movers = commands.add_parser("movers", help="print the members that moved the index most")
    _add_view_options(movers, ("text", "html"))
    movers.add_argument("--period", type=parse_window, default="MTD", help="window")
    movers.set_defaults(handler=_movers)

    refresh = commands.add_parser("refresh", help="fetch missing prices into the local store")
    add_source_option(refresh)
    refresh.set_defaults(handler=_refresh)

    release = commands.add_parser(
        "release", help="store a close the sanity check held, and use it from now on"
    )
    release.add_argument("ticker", help="the ticker, e.g. IWM")
    release.add_argument("day", type=parse_date, metavar="DATE", help="the close's date")
    add_source_option(release)
    release.set_defaults(handler=_release)

    chart = commands.add_parser("chart", help="draw a chart as a PNG file")
    chart.add_argument("kind", choices=("rrg", "pairs", "sectors", "breadth"), help="which chart")
    chart.add_argument(
        "of",
        nargs="?",
        choices=("sectors", "pairs"),
        default="sectors",
        help="for rrg: the sector ETFs vs SPY (default) or the rotation pairs",
    )
    chart.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.png", help="where to write"
    )
    add_source_option(chart)
    chart.add_argument("--as-of", type=parse_date, metavar="DATE", help="replay a past session")
    chart.add_argument("--period", type=parse_window, default="MTD", help="sectors: the window")
    chart.add_argument("--since", type=parse_date, metavar="DATE", help="pairs: rebase at DATE")
    chart.add_argument(
        "--tail",
        type=parse_tail_weeks,
        metavar="WEEKS",
        help="rrg: weeks of tail (default: 5 for the sectors, 8 for the pairs)",
    )
    chart.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language of the chart (default: ${LANGUAGE_ENV} or {DEFAULT_LANGUAGE})",
    )
    chart.set_defaults(handler=_chart)

    if extra is not None:

        def add_command(name: str, *, help: str) -> argparse.ArgumentParser:
            return commands.add_parser(name, help=help)

        extra(add_command)
    return parser


def open_service(args: argparse.Namespace) -> MarketService:
    """Open the market service for ``--source`` (or the configured one)."""
    settings = Settings.from_env()
    try:
        return MarketService.from_settings(settings, getattr(args, "source", None))
    except (SourceSpecError, UniverseError) as exc:
        raise UsageError(str(exc)) from None


def _progress_bar() -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar: tqdm[None] | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="ticker", desc="refresh", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def ensure_data(service: MarketService, latest: bool = False) -> tuple[str, ...]:
    """Bring the store up to the last completed session; on failure fall back to stored data.

    Return the refresh's notes (index holdings left out or partial) for the caller to show,
    and, for the ``latest`` session, one when the source's data ends before the last session.
    """
    freshness = service.freshness()
    if freshness.is_current:
        return ()
    report = service.refresh(progress=_progress_bar() if sys.stderr.isatty() else None)
    if report.error is None:
        after = service.freshness()
        if latest and after.last_session is not None and not after.is_current:
            behind = (
                f"the data ends on {after.last_session.isoformat()}; the last completed "
                f"session is {after.expected_session.isoformat()}"
            )
            return (*report.notes, behind)
        return report.notes
    stored = service.freshness().last_session
    if stored is None:
        raise NoDataError(
            f"no market data yet: {report.error}. Run `marketbrief refresh` when the source is "
            "reachable, or try `--source demo` (simulated) or `--source csv:DIR`."
        )
    print(
        f"warning: could not refresh from {service.source_name} ({report.error}); "
        f"showing stored data as of {stored.isoformat()}",
        file=sys.stderr,
    )
    return ()


def warn_unknown_tickers(service: MarketService) -> None:
    """Say on stderr which universe tickers (benchmarks first) the source has no prices for."""
    unknown = service.unknown_tickers()
    if not unknown or len(unknown) == len(service.universe.tickers):
        return  # nothing stored yet: the refresh's own message says why
    universe = service.universe
    benchmarks = [t for t in (universe.benchmark, universe.low_benchmark) if t in unknown]
    others = [t for t in unknown if t not in benchmarks]
    named = ", ".join([*(f"{t} (benchmark)" for t in dict.fromkeys(benchmarks)), *others])
    if service.source_name.startswith("csv:"):
        folder = service.source_name.removeprefix("csv:")
        why = f"no such TICKER.csv in {folder}, or misspelt in the universe"
    else:
        why = (
            "unknown to the source, misspelt in the universe, or not fetched yet: "
            "`marketbrief refresh`"
        )
    print(f"warning: no {service.source_name} prices stored for {named} ({why})", file=sys.stderr)


def _snapshot(args: argparse.Namespace, period: str = "MTD", *, told: bool = True) -> Snapshot:
    service = open_service(args)
    notes = ensure_data(service, latest=args.as_of is None)
    snapshot = service.snapshot(
        as_of=args.as_of, period=period, since=getattr(args, "since", None), told=told
    )
    # After the briefing is built, so that an input error stays the only line on stderr.
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    warn_unknown_tickers(service)
    return snapshot


def _brief(args: argparse.Namespace) -> int:
    if args.summary and args.format == "json":
        raise UsageError("--summary is text or html; the JSON always holds the whole briefing")
    lang = _language(args)
    snapshot = _snapshot(args, args.period)
    if args.summary:
        sys.stdout.write(render_summary(snapshot.briefing, args.format, lang))
    else:
        sys.stdout.write(render_briefing(snapshot.briefing, args.format, lang))
    return EXIT_OK


def _sectors(args: argparse.Namespace) -> int:
    lang = _language(args)
    snapshot = _snapshot(args)
    sys.stdout.write(render_sectors(snapshot.briefing, args.period, args.format, lang))
    return EXIT_OK


def _factors(args: argparse.Namespace) -> int:
    lang = _language(args)
    snapshot = _snapshot(args)
    sys.stdout.write(render_factors(snapshot, args.period, args.format, lang))
    return EXIT_OK


def _recap(args: argparse.Namespace) -> int:
    from briefings.recap.build import RecapPeriodError, market_recap
    from briefings.recap.render import render_recap

    lang = _language(args)
    service = open_service(args)
    notes = ensure_data(service)
    try:
        if args.month is not None:
            recap = market_recap(service, "month", args.month)
        else:
            recap = market_recap(service, "week", args.week)
    except RecapPeriodError as exc:
        raise UsageError(str(exc)) from None
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    sys.stdout.write(render_recap(recap, args.format, lang))
    return EXIT_OK


def _rotation(args: argparse.Namespace) -> int:
    lang = _language(args)
    snapshot = _snapshot(args)
    sys.stdout.write(render_rotation(snapshot.briefing, args.period, args.format, lang))
    return EXIT_OK


def _breadth(args: argparse.Namespace) -> int:
    from briefings.render.members import render_breadth
    from briefings.render.views import RenderError

    snapshot = _snapshot(args)
    try:
        text = render_breadth(
            snapshot.briefing, " ".join(args.sector) or None, args.format, _language(args)
        )
    except RenderError as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.write(text)
    return EXIT_OK


def _movers(args: argparse.Namespace) -> int:
    from briefings.render.members import render_movers

    snapshot = _snapshot(args)
    sys.stdout.write(render_movers(snapshot.briefing, args.period, args.format, _language(args)))
    return EXIT_OK


def _chart(args: argparse.Namespace) -> int:
    from briefings.charts import ChartKind, render_chart

    snapshot = _snapshot(args, told=False)  # a chart draws no story
    kind = cast(ChartKind, f"rrg-{args.of}" if args.kind == "rrg" else args.kind)
    png = render_chart(
        snapshot,
        kind,
        window=args.period,
        start=args.since,
        tail_weeks=args.tail,
        language=_language(args),
    )
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(png)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"wrote {args.output} ({len(png) // 1024} KiB, session {snapshot.briefing.as_of})")
    return EXIT_OK


def _refresh(args: argparse.Namespace) -> int:
    service = open_service(args)
    report = service.refresh(progress=_progress_bar() if sys.stderr.isatty() else None)
    if report.error is not None:
        stored = service.freshness().last_session
        kept = f"; kept stored data through {stored.isoformat()}" if stored else ""
        print(f"refresh failed: {report.error}{kept}", file=sys.stderr)
        return EXIT_FAILURE
    if report.up_to_date:
        print(f"{service.source_name}: already up to date through {report.through.isoformat()}")
    elif report.unchanged and report.requests == 0:
        print(f"{service.source_name}: nothing new, no file changed since it was last read")
    else:
        print(
            f"{service.source_name}: stored {report.closes_written} closes "
            f"through {report.through.isoformat()}"
        )
    for ticker, reason in sorted(report.failed.items()):
        print(f"  {ticker}: {reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for line in held_lines(report.quarantined):
        print(line, file=sys.stderr)
    return EXIT_OK


def held_lines(held: Sequence[QuarantinedClose], most: int = 20) -> list[str]:
    """Return one line per close the sanity check held (at most ``most``, then how many more)."""
    lines = [f"held by the sanity check: {describe_held(close)}" for close in held[:most]]
    if len(held) > most:
        lines.append(f"held by the sanity check: {len(held) - most} more closes")
    return lines


def _release(args: argparse.Namespace) -> int:
    from briefings.quarantine import ReleaseError

    service = open_service(args)
    try:
        close = service.release(args.ticker, args.day)
    except ReleaseError as exc:
        raise UsageError(str(exc)) from None
    print(f"released {describe_held(close)}: stored, and used from now on")
    return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed sub-command, turning known errors into one line and an exit code."""
    handler: Handler = args.handler
    try:
        return handler(args)
    except (UsageError, BriefingInputError, SettingError) as exc:
        print(f"marketbrief: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (NoDataError, SourceError) as exc:
        print(f"marketbrief: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except StorageFault as exc:
        # A data directory that is a file is a bad setting (2); the rest are faults (1).
        print(f"marketbrief: {'error: ' if exc.usage else ''}{exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the domain command (the bot adds its own in ``bot.cli``)."""
    return run_command(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
