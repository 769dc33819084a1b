"""Languages: the catalog is complete in Chinese, no Chinese view shows English, golden files."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, time
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.desk.alert_messages import alert_messages
from bot.desk.split import split_message, telegram_length
from briefings.alerts import Alert, detect_alerts
from briefings.i18n import LANGUAGES, LOCALES, po_path
from briefings.render.alerts import render_alerts
from briefings.render.members import render_breadth, render_movers
from briefings.render.templates import fact_words, render_template
from briefings.render.views import (
    render_basket_breadth,
    render_briefing,
    render_pair,
    render_rotation,
    render_sectors,
    render_since,
    render_since_low,
    render_summary,
)
from briefings.service import MarketService
from briefings.snapshot import Snapshot
from briefings.windows import WINDOWS
from tests.test_cli import run_cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "zh"
AS_OF = date(2025, 11, 20)
#: Words a Chinese message may show in Latin letters: the universe's tickers, the window codes
#: and arguments users type (/sectors YTD, /alerts on, YYYY-MM-DD) and brand names Chinese
#: readers write in Latin letters.
BRANDS = frozenset({"Meta"})
ARGUMENTS = frozenset(
    {
        "on",
        "off",
        "rrg",
        "pairs",
        "sectors",
        "breadth",
        "full",
        "en",
        "zh",
        "YYYY",
        "MM",
        "DD",
        "HH",
    }
)


@pytest.fixture(scope="module")
def service(golden_service: MarketService) -> MarketService:
    """Return the demo market of the golden files (refreshed once per test run)."""
    return golden_service


@pytest.fixture(scope="module")
def snapshot(service: MarketService) -> Snapshot:
    return service.snapshot(as_of=AS_OF, since=date(2025, 10, 31))


@pytest.fixture(scope="module")
def alerts(service: MarketService) -> list[tuple[Snapshot, tuple[Alert, ...]]]:
    """Return sessions of the demo market with their alerts, until every kind has been seen."""
    found: list[tuple[Snapshot, tuple[Alert, ...]]] = []
    kinds: set[str] = set()
    previous = service.snapshot(as_of=date(2025, 9, 2))
    day = previous.briefing.as_of
    while len(kinds) < 6 and day < AS_OF:
        day = date.fromordinal(day.toordinal() + 1)
        current = service.snapshot(as_of=day)
        if current.briefing.as_of == previous.briefing.as_of:
            continue  # a weekend or holiday: the same session
        new = detect_alerts(previous.briefing, current.briefing)
        if {a.kind for a in new} - kinds:
            found.append((current, new))
            kinds |= {a.kind for a in new}
        previous = current
    assert kinds >= {"quadrant", "cross50", "rank"}, kinds
    return found


def catalog_ids() -> set[str]:
    """Return every message id ``pybabel extract`` finds with the project's babel.cfg."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    return {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(ROOT), method_map, options_map)
    }


def test_every_catalog_message_has_a_chinese_translation() -> None:
    with po_path("zh").open("rb") as po:
        catalog = read_po(po, locale=LOCALES["zh"])
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalog
        if message.id
    }
    missing = sorted(catalog_ids() - translated.keys())
    assert not missing, f"not in the zh catalog (docs/languages.md: the catalog cycle): {missing}"
    for message_id, message in translated.items():
        strings = (message.string,) if isinstance(message.string, str) else message.string
        assert strings, f"no Chinese for {message_id!r}"
        assert all(strings), f"no Chinese for {message_id!r}"
        assert not message.fuzzy, f"fuzzy translation of {message_id!r}"
    # Placeholders (%(name)s) and %% agree between each message and its translation.
    assert not [problem for _, problems in catalog.check() for problem in problems]


def test_the_languages_are_english_and_simplified_chinese() -> None:
    assert LANGUAGES == ("en", "zh")


def allowed_words(snapshot: Snapshot) -> set[str]:
    members = {
        c.ticker
        for m in snapshot.briefing.members
        for window in m.movers.values()
        for c in (*window.top, *window.bottom, *window.gainers, *window.losers)
    }
    tickers = {t.lstrip("^") for t in (*snapshot.universe.tickers, *members)}
    return tickers | set(WINDOWS) | BRANDS | ARGUMENTS


#: Code, tags, entities and the user's own input quoted back (“…”).
_TAGS = re.compile(r"<code>.*?</code>|<[^>]+>|&[a-z]+;|&#\d+;|“[^”]*”", re.S)
#: A command with its arguments as users type them: /subscribe [HH:MM] [Area/City].
_COMMAND = re.compile(r"/[a-z_]+(?:@\w+)?(?: [A-Za-z0-9_|\[\]/:.\-^]+)*")
_ZONE = re.compile(r"\b[A-Z][a-z]+/[A-Za-z_]+\b")
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_words(text: str, allowed: set[str]) -> list[str]:
    """Return the Latin-letter words of ``text`` that are not tickers, windows or commands."""
    plain = _ZONE.sub(" ", _COMMAND.sub(" ", _TAGS.sub(" ", text)))
    return [word for word in _WORD.findall(plain) if word not in allowed]


def zh_views(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    """Yield (name, text) of every view of the briefing rendered in Chinese."""
    b = snapshot.briefing
    for fmt in ("html", "text"):
        yield f"briefing.{fmt}", render_briefing(b, fmt, "zh")
        yield f"summary.{fmt}", render_summary(b, fmt, "zh")
        yield f"breadth.{fmt}", render_basket_breadth(b, fmt, "zh")
        yield f"since-low.{fmt}", render_since_low(b, fmt, "zh")
        yield f"since.{fmt}", render_since(b, snapshot.since(date(2025, 4, 8)), fmt, "zh")
        for lead, lag in (("IWM", "SPY"), ("cyclicals", "megacap_tech"), ("XLK", "^GSPC")):
            line = snapshot.pair(lead, lag)
            yield f"pair-{lead}-{lag}.{fmt}", render_pair(b, line, fmt, "zh")
        yield f"members-breadth.{fmt}", render_breadth(b, None, fmt, "zh")
        for sector in {s.sector for m in b.members for s in m.sectors}:
            yield f"members-breadth-{sector}.{fmt}", render_breadth(b, sector, fmt, "zh")
        for window in WINDOWS:
            yield f"movers-{window}.{fmt}", render_movers(b, window, fmt, "zh")
            yield f"rotation-{window}.{fmt}", render_rotation(b, window, fmt, "zh")
            yield f"sectors-{window}.{fmt}", render_sectors(b, window, fmt, "zh")


def bot_replies() -> Iterator[tuple[str, str]]:
    """Yield (name, text) of the bot's replies that need no market, rendered in Chinese."""
    settings = {"default_time": time(8, 0), "default_zone": "America/New_York"}
    commands = [
        "rotation", "sectors", "since", "pair", "subscribe", "settings", "rrg", "chart",
        "alerts", "language", "brief", "help", "other",
    ]  # fmt: skip
    problems = [
        SimpleNamespace(key=key, params=params)
        for key, params in {
            "too_long": {},
            "too_many": {"command": "pair", "most": 2},
            "no_arguments": {"command": "help"},
            "not_window": {"text": "2W"},
            "not_date": {"text": "today"},
            "not_brief_option": {"text": "all"},
            "which_date": {},
            "two_tickers": {},
            "one_time": {},
            "one_zone": {},
            "not_time": {"text": "25:00", "detail": "'25:00' is not a time of day"},
            "not_zone": {"text": "Mars/Base", "detail": "'Mars/Base' is not a time zone"},
            "not_setting": {"text": "colour"},
            "which_chart": {"choices": ["rrg", "pairs", "sectors", "off"]},
            "not_briefing_chart": {"text": "pie", "choices": ["rrg", "off"]},
            "not_rrg": {"text": "bars"},
            "pairs_window": {"window": "3M"},
            "not_chart": {"text": "pie"},
            "not_switch": {"text": "maybe"},
            "not_language": {"text": "fr"},
        }.items()
    ]
    for command in commands:
        yield (
            f"usage-{command}",
            render_template("bot/usage.html.j2", "zh", command=command, problem=None, **settings),
        )
    for problem in problems:
        yield (
            f"problem-{problem.key}",
            render_template(
                "bot/usage.html.j2", "zh", command="since", problem=problem, **settings
            ),
        )
    domain_error = ValueError("'XYZ' is not a ticker of the universe")
    yield (
        "problem-domain",
        render_template(
            "bot/usage.html.j2", "zh", command="pair", problem=domain_error, **settings
        ),
    )
    simple: dict[str, list[dict[str, object]]] = {
        "error": [{}],
        "text_hint": [{}],
        "no_data": [{"reason": "数据源无响应"}],
        "not_admin": [{}, {"setting": "alerts"}, {"setting": "chart"}, {"setting": "language"}],
        "stats_private": [{"sent": True}, {"sent": False}],
        "storage_fault": [{"kind": kind} for kind in ("full", "read_only", "busy", "other")],
        "unsubscribed": [{"was_subscribed": True}, {"was_subscribed": False}],
        "language": [{"changed": True}, {"changed": False}],
        "chart_setting": [
            {"subscription": None, "chart": None},
            {"subscription": object(), "chart": None},
            *({"subscription": object(), "chart": c} for c in ("rrg", "pairs", "sectors")),
        ],
        "alerts_setting": [
            {"setting": None, "changed": None},
            {"setting": SimpleNamespace(enabled=True, thread_id=7), "changed": True},
            {"setting": SimpleNamespace(enabled=False, thread_id=None), "changed": False},
        ],
    }
    simple["confirm_subscribe"] = [
        {"schedule": SimpleNamespace(local_time=time(8, 0), time_zone="Asia/Shanghai")}
    ]
    simple["group_greeting"] = [
        {"title": "交易群", "bot_username": "marketbrief_bot", "simulated": True},
        {"title": None, "bot_username": "marketbrief_bot", "simulated": False},
    ]
    for name, contexts in simple.items():
        for index, context in enumerate(contexts):
            yield f"{name}-{index}", render_template(f"bot/{name}.html.j2", "zh", **context)
    yield (
        "help-group",
        render_template(
            "bot/help.html.j2", "zh", simulated=True, is_group=True, is_forum=True, **settings
        ),
    )
    for menu in ("commands", "admin_commands", "summary_buttons"):
        # "command - description": the command (or button key) is not a word readers read.
        text = render_template(f"bot/{menu}.txt.j2", "zh").replace("{label}", "")
        yield menu, "\n".join(line.partition(" - ")[2] for line in text.splitlines())
    for name in ("callback_error", "callback_stale", "callback_not_admin"):
        yield name, render_template(f"bot/{name}.txt.j2", "zh")
    for name in ("description", "short_description", "confirm_subscribe_button"):
        yield name, render_template(f"bot/{name}.txt.j2", "zh", simulated=True)
    for path in sorted((GOLDEN / "replies").glob("*.html")):
        yield f"golden-{path.stem}", path.read_text(encoding="utf-8")


def test_no_chinese_view_shows_english_words(
    snapshot: Snapshot, alerts: list[tuple[Snapshot, tuple[Alert, ...]]]
) -> None:
    allowed = allowed_words(snapshot)
    rendered = [*zh_views(snapshot), *bot_replies()]
    for current, found in alerts:
        rendered.append(
            (f"alerts-{current.briefing.as_of}", render_alerts(current.briefing, found, "zh"))
        )
        rendered.append(
            (
                f"alerts-text-{current.briefing.as_of}",
                render_template("alerts.txt.j2", "zh", b=current.briefing, alerts=found),
            )
        )
        for change in current.briefing.story.changes if current.briefing.story else ():
            rendered.append((f"change-{change.id}", fact_words(change, "zh")))
    english = {name: words for name, text in rendered if (words := english_words(text, allowed))}
    assert not english, english


def test_the_english_scan_catches_english(snapshot: Snapshot) -> None:
    allowed = allowed_words(snapshot)
    assert english_words("板块 Sectors，SPY +1.2%", allowed) == ["Sectors"]
    assert english_words("用 <code>/pair IWM SPY</code> 或 /alerts on|off", allowed) == []


ZH_VIEWS: dict[str, Callable[[Snapshot], str]] = {
    "briefing.html": lambda s: render_briefing(s.briefing, "html", "zh"),
    "briefing.txt": lambda s: render_briefing(s.briefing, "text", "zh"),
    "summary.html": lambda s: render_summary(s.briefing, "html", "zh"),
    "summary.txt": lambda s: render_summary(s.briefing, "text", "zh"),
}


@pytest.mark.parametrize("name", sorted(ZH_VIEWS))
def test_chinese_view_matches_golden_file(snapshot: Snapshot, name: str) -> None:
    path = GOLDEN / name
    rendered = ZH_VIEWS[name](snapshot)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert rendered == path.read_text(encoding="utf-8")


def columns(line: str) -> int:
    from briefings.render.layout import display_width

    return display_width(line)


def test_the_chinese_summary_fits_a_phone(snapshot: Snapshot) -> None:
    summary = render_summary(snapshot.briefing, "html", "zh")
    shown = [re.sub(r"<[^>]+>", "", line) for line in summary.splitlines()]
    # A CJK character is two columns: about 20 of them to a 40-column phone line.
    assert max(columns(line) for line in shown) <= 40
    assert len(shown) <= 27
    assert "12月" in render_summary(snapshot.briefing, "html", "zh") or "11月20日" in summary


def test_dates_and_weekdays_are_written_the_chinese_way(snapshot: Snapshot) -> None:
    briefing = render_briefing(snapshot.briefing, "html", "zh")
    assert "2025年11月20日 周四收盘" in briefing
    assert "11月20日 周四" in render_summary(snapshot.briefing, "html", "zh")
    assert "Thu 20 Nov 2025" in render_briefing(snapshot.briefing, "html", "en")


def test_sector_and_group_names_come_from_the_catalog(snapshot: Snapshot) -> None:
    sectors = render_sectors(snapshot.briefing, "YTD", "html", "zh")
    for name in ("信息技术", "医疗保健", "公用事业", "必需消费"):
        assert name in sectors
    breadth = render_basket_breadth(snapshot.briefing, "html", "zh")
    assert "超大盘科技股" in breadth
    assert "周期性行业" in breadth


def test_the_splitter_counts_utf16_code_units_as_telegram_does() -> None:
    assert telegram_length("📊") == 2
    assert telegram_length("板块") == 2
    # 600 characters a line but 700 code units (the emoji is two): 5 lines fit a message, not 6.
    text = "\n".join(["📊 板块轮动" * 100] * 12)
    parts = split_message(text)
    assert all(telegram_length(part) <= 4096 for part in parts)
    assert len(parts) == 3  # counted in characters it would be 2, and Telegram would refuse them
    assert "".join(part.replace("\n", "") for part in parts) == text.replace("\n", "")


def test_long_chinese_alerts_split_under_telegram_limit(
    alerts: list[tuple[Snapshot, tuple[Alert, ...]]],
) -> None:
    current, found = alerts[-1]
    many = found * 40
    messages = alert_messages(current.briefing, many, "zh")
    assert len(messages) > 1
    assert all(telegram_length(m.text) <= 4096 for m in messages)


@pytest.mark.usefixtures("demo_data")  # the demo market, refreshed once per run
def test_cli_lang_and_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("brief", "--source", "demo", "--as-of", "2025-11-20", "--summary")
    code, out, err = run_cli(capsys, *args, "--lang", "zh")
    assert code == 0, err
    assert "轮动简报" in out
    assert "要点" in out
    monkeypatch.setenv("MARKETBRIEF_LANG", "zh")
    assert "要点" in run_cli(capsys, *args)[1]
    assert "Takeaways" in run_cli(capsys, *args, "--lang", "en")[1]
    monkeypatch.setenv("MARKETBRIEF_LANG", "klingon")
    code, out, err = run_cli(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1
    assert "MARKETBRIEF_LANG" in err
    code, _, err = run_cli(capsys, *args, "--lang", "fr")
    assert code == 2
    assert "invalid choice" in err


UNIVERSE_WITH_NAMES = """
[groups.chips]
title = "Chip makers"
members = { SMH = "Semiconductors (SMH)", SOXX = "iShares Semis" }

[[pairs]]
name = "Chips vs market"
lead = "SMH"
lag = "SOXX"

[names.zh]
SMH = "半导体 (SMH)"
chips = "芯片股"
"Chips vs market" = "芯片/大盘"
"""


def test_a_universe_names_its_own_tickers_groups_and_pairs_per_language(tmp_path: Path) -> None:
    from briefings.render.templates import environment
    from briefings.universe import load_universe as load

    path = tmp_path / "universe.toml"
    path.write_text(UNIVERSE_WITH_NAMES, encoding="utf-8")
    universe = load(path)
    assert universe.localized == {
        "zh": {"Semiconductors (SMH)": "半导体 (SMH)", "Chip makers": "芯片股",
               "Chips vs market": "芯片/大盘"},
    }  # fmt: skip
    named = environment("zh").filters["named"]
    assert named("Semiconductors (SMH)") == "半导体 (SMH)"
    assert named("Chip makers") == "芯片股"
    assert named("Chips vs market") == "芯片/大盘"
    assert named("Technology (XLK)") == "信息技术 (XLK)"  # the catalog's name, the ticker kept
    assert environment("en").filters["named"]("Chip makers") == "Chip makers"


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('[names.fr]\nSMH = "Semi"', "names must be [names.<language>] tables for zh"),
        ('[names.zh]\nNVDA = "英伟达"', "names.zh.NVDA must be a ticker, group key or pair name"),
        ("[names.zh]\nSMH = 3", "names.zh.SMH must be non-empty text"),
    ],
)
def test_a_bad_names_table_is_refused(tmp_path: Path, table: str, problem: str) -> None:
    from briefings.universe import UniverseError
    from briefings.universe import load_universe as load

    path = tmp_path / "universe.toml"
    base = UNIVERSE_WITH_NAMES.split("[names.zh]")[0]
    path.write_text(base + table + "\n", encoding="utf-8")
    with pytest.raises(UniverseError, match=re.escape(problem)):
        load(path)
