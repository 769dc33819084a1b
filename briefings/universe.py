"""The universe of tickers the briefing covers, loaded from TOML."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from briefings import i18n

BASKET_PREFIX = "basket:"


class UniverseError(ValueError):
    """Raise when a universe file is missing or malformed."""


@dataclass(frozen=True)
class Group:
    """A named group of tickers, e.g. the sector SPDRs."""

    key: str
    title: str
    members: tuple[str, ...]
    basket: bool = False


@dataclass(frozen=True)
class PairSpec:
    """A rotation pair: the lead leg measured against the lag leg."""

    name: str
    lead: str
    lag: str


#: The factors a [factors] table may name, in the scoreboard's order of ties.
FACTOR_KEYS: tuple[str, ...] = (
    "value",
    "growth",
    "momentum",
    "quality",
    "min_volatility",
    "size",
    "high_beta",
    "low_volatility",
)


@dataclass(frozen=True)
class FactorSpec:
    """A factor fund of the scoreboard: its ticker and the factor it stands for."""

    ticker: str
    factor: str


@dataclass(frozen=True)
class IndexSpec:
    """An index whose members the briefing measures, and where each source finds them.

    ``holdings`` maps a source kind ("yfinance", "csv", "demo") to where that source reads the
    membership: the SPDR fund for yfinance, the folder under DIR for csv:DIR, "simulated" for
    the demo market.
    """

    key: str
    name: str
    expected_members: int
    holdings: Mapping[str, str]
    top_n: int = 50
    enabled: bool = True
    cap_benchmark: str | None = None
    """The cap-weighted fund the members' rebuilt index is checked against (e.g. SPY)."""
    equal_benchmark: str | None = None
    """The equal-weight fund the rebuilt equal-weight index is checked against (e.g. RSP)."""

    def holdings_for(self, kind: str) -> str | None:
        """Return where the source ``kind`` reads this index's members, None if it cannot."""
        return self.holdings.get(kind)


@dataclass(frozen=True)
class Universe:
    """Groups, display names, rotation pairs and analytics settings."""

    groups: tuple[Group, ...]
    names: dict[str, str]
    pairs: tuple[PairSpec, ...]
    benchmark: str = "SPY"
    low_benchmark: str = "^GSPC"
    low_lookback_sessions: int = 63
    breadth_baskets: tuple[str, ...] = ()
    localized: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Names in other languages from [names.<language>]: language -> display name -> name."""
    indexes: tuple[IndexSpec, ...] = ()
    """Every configured index; ``member_indexes`` are the enabled ones."""
    factors: tuple[FactorSpec, ...] = ()
    """The factor scoreboard's funds, from [factors], in file order."""
    factor_benchmark: str = "SPY"
    """What every factor is measured against."""

    @property
    def factor_tickers(self) -> tuple[str, ...]:
        """Return the factor funds and their benchmark: stored beside ``tickers``."""
        return tuple(dict.fromkeys((*(f.ticker for f in self.factors), self.factor_benchmark)))

    @property
    def member_indexes(self) -> tuple[IndexSpec, ...]:
        """Return the enabled indexes, in file order."""
        return tuple(index for index in self.indexes if index.enabled)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Return every distinct ticker the briefing needs, in file order.

        The groups' members, then any benchmark or pair leg named only in [settings] or
        [[pairs]], so that a custom universe's figures are fetched too.
        """
        seen: dict[str, None] = {}
        for group in self.groups:
            for ticker in group.members:
                seen.setdefault(ticker, None)
        for ticker in (self.benchmark, self.low_benchmark):
            seen.setdefault(ticker, None)
        for pair in self.pairs:
            for leg in (pair.lead, pair.lag):
                if not leg.startswith(BASKET_PREFIX):
                    seen.setdefault(leg, None)
        return tuple(seen)

    def group(self, key: str) -> Group:
        """Return the group called ``key``."""
        for group in self.groups:
            if group.key == key:
                return group
        raise KeyError(key)

    def name(self, leg: str) -> str:
        """Return the display name of a ticker or ``basket:<group>`` leg."""
        if leg.startswith(BASKET_PREFIX):
            return self.group(leg.removeprefix(BASKET_PREFIX)).title
        return self.names.get(leg, leg)


def default_universe_path() -> Path:
    """Return the path of the universe file shipped with the package."""
    return Path(str(resources.files("briefings").joinpath("universe.toml")))


def load_universe(path: Path | None = None) -> Universe:
    """Load a universe from ``path``, or the packaged default; raise UniverseError if malformed.

    Beyond its shape the file is checked for meaning: a benchmark named in [settings] must be
    one of its tickers (a group member or a pair leg), a pair needs two different legs, and an
    index's ``top_n`` must be below its ``expected_members``.
    """
    path = path or default_universe_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UniverseError(f"universe file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise UniverseError(f"universe file {path} is a directory; name a .toml file") from exc
    except UnicodeDecodeError as exc:
        raise UniverseError(f"universe file {path} is not UTF-8 text") from exc
    except OSError as exc:
        raise UniverseError(f"cannot read universe file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UniverseError(f"universe file {path} is not valid TOML: {exc}") from exc
    return _parse(raw, path)


# The documented shape, checked key by key (see briefings/universe.toml):
# [groups.<key>]  title: str, basket: bool, members: {ticker: display name} (at least one)
# [[pairs]]       name, lead, lag: str (a leg is a ticker or "basket:<group>")
# [settings]      benchmark, low_benchmark: ticker; low_lookback_sessions: int >= 1;
#                 breadth_baskets: [group key, ...]
# [names.<lang>]  {ticker, group key or pair name: its name in that language} (lang: zh, ...)
_TOP_KEYS = ("groups", "pairs", "settings", "indexes", "names", "factors")
_GROUP_KEYS = ("title", "basket", "members")
_PAIR_KEYS = ("name", "lead", "lag")
_INDEX_KEYS = (
    "name",
    "expected_members",
    "top_n",
    "enabled",
    "holdings",
    "cap_benchmark",
    "equal_benchmark",
)
_SETTING_KEYS = ("benchmark", "low_benchmark", "low_lookback_sessions", "breadth_baskets")
_MAX_TICKER_LENGTH = 32


def _kind(value: object) -> str:
    """Name a TOML value's type for an error message."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "an array", dict: "a table"}  # fmt: skip
    shown = repr(value)
    shown = shown if len(shown) <= 20 else shown[:19] + "…"
    return f"{names.get(type(value), type(value).__name__)} ({shown})"


class _Checker:
    """Check parts of a parsed universe file, naming the key and what was expected."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, expected: str, value: object = None) -> UniverseError:
        got = "" if value is None else f", not {_kind(value)}"
        return UniverseError(f"{self.path}: {where} must be {expected}{got}")

    def table(self, value: object, where: str, expected: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, expected, value)
        return value

    def keys(self, table: dict[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise UniverseError(
                    f"{self.path}: unknown key {where}{key}; expected one of {', '.join(allowed)}"
                )

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "non-empty text", value)
        return value

    def ticker(self, value: object, where: str) -> str:
        text = self.text(value, where)
        if len(text) > _MAX_TICKER_LENGTH or any(c.isspace() for c in text):
            raise self.fail(
                where, f"a ticker (no spaces, at most {_MAX_TICKER_LENGTH} chars)", text
            )
        return text


def _parse(raw: dict[str, Any], path: Path) -> Universe:
    check = _Checker(path)
    check.keys(raw, "", _TOP_KEYS)
    groups, names = _parse_groups(check, raw.get("groups", {}))
    group_keys = {g.key for g in groups}
    pairs = _parse_pairs(check, raw.get("pairs", []), group_keys)
    settings = check.table(raw.get("settings", {}), "settings", "a [settings] table")
    check.keys(settings, "settings.", _SETTING_KEYS)
    benchmark = check.ticker(settings.get("benchmark", "SPY"), "settings.benchmark")
    low_benchmark = check.ticker(settings.get("low_benchmark", benchmark), "settings.low_benchmark")
    lookback = settings.get("low_lookback_sessions", 63)
    if isinstance(lookback, bool) or not isinstance(lookback, int) or not 1 <= lookback <= 10_000:
        raise check.fail(
            "settings.low_lookback_sessions", "a whole number of sessions (1 to 10000)", lookback
        )
    raw_baskets = settings.get("breadth_baskets", [])
    if not isinstance(raw_baskets, list):
        raise check.fail("settings.breadth_baskets", "an array of group keys", raw_baskets)
    baskets = tuple(check.text(b, "settings.breadth_baskets[]") for b in raw_baskets)
    unknown = [b for b in baskets if b not in group_keys]
    if unknown:
        raise UniverseError(f"{path}: breadth_baskets names unknown groups {unknown}")
    listed = {t for g in groups for t in g.members} | {x for p in pairs for x in (p.lead, p.lag)}
    for key, ticker in (("benchmark", benchmark), ("low_benchmark", low_benchmark)):
        if key in settings and ticker not in listed:
            raise UniverseError(
                f"{path}: settings.{key} {ticker!r} is none of the file's tickers; list it in "
                "a group (e.g. [groups.benchmarks]) or fix its spelling"
            )
    factors, factor_benchmark = _parse_factors(check, raw.get("factors", {}), benchmark)
    localized = _parse_names(check, raw.get("names", {}), groups, names, pairs)
    for language, table in localized.items():
        i18n.register_names(language, table)
    return Universe(
        groups=groups,
        names=names,
        pairs=pairs,
        benchmark=benchmark,
        low_benchmark=low_benchmark,
        low_lookback_sessions=lookback,
        breadth_baskets=baskets,
        localized=localized,
        indexes=_parse_indexes(check, raw.get("indexes", {})),
        factors=factors,
        factor_benchmark=factor_benchmark,
    )


def _parse_factors(
    check: _Checker, raw: object, benchmark: str
) -> tuple[tuple[FactorSpec, ...], str]:
    """Read [factors]: benchmark (default: the universe's) and members = {ticker = "factor"}."""
    table = check.table(raw, "factors", "a [factors] table")
    check.keys(table, "factors.", ("benchmark", "members"))
    factor_benchmark = check.ticker(table.get("benchmark", benchmark), "factors.benchmark")
    members = check.table(
        table.get("members", {}), "factors.members", 'a table of ticker = "factor"'
    )
    factors: list[FactorSpec] = []
    for ticker, factor in members.items():
        where = f"factors.members.{ticker}"
        check.ticker(ticker, where)
        if check.text(factor, where) not in FACTOR_KEYS:
            raise check.fail(where, f"one of {', '.join(FACTOR_KEYS)}", factor)
        factors.append(FactorSpec(ticker=ticker, factor=factor))
    return tuple(factors), factor_benchmark


def _parse_names(
    check: _Checker,
    raw: object,
    groups: tuple[Group, ...],
    names: Mapping[str, str],
    pairs: tuple[PairSpec, ...],
) -> dict[str, dict[str, str]]:
    """Return [names.<lang>] as language -> English display name -> the name in that language."""
    tables = check.table(raw, "names", "a table of [names.<language>] tables")
    english = {
        **{pair.name: pair.name for pair in pairs},
        **{group.key: group.title for group in groups},
        **names,
    }
    localized: dict[str, dict[str, str]] = {}
    for language, table in tables.items():
        where = f"names.{language}"
        if language not in i18n.LANGUAGES or language == i18n.DEFAULT_LANGUAGE:
            others = ", ".join(lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE)
            raise check.fail("names", f"[names.<language>] tables for {others}", language)
        entries = check.table(table, where, 'a table of ticker = "name"')
        localized[language] = {}
        for key, value in entries.items():
            if key not in english:
                raise check.fail(f"{where}.{key}", "a ticker, group key or pair name of the file")
            localized[language][english[key]] = check.text(value, f"{where}.{key}")
    return localized


def _parse_indexes(check: _Checker, raw: object) -> tuple[IndexSpec, ...]:
    """Read the [indexes.<key>] tables: name, expected_members, holdings, top_n, enabled."""
    path = check.path
    indexes: list[IndexSpec] = []
    for key, value in check.table(raw, "indexes", "tables such as [indexes.sp500]").items():
        spec = check.table(value, f"indexes.{key}", "a table with name, expected_members, holdings")
        check.keys(spec, f"indexes.{key}.", _INDEX_KEYS)
        holdings = spec.get("holdings", {})
        if not isinstance(holdings, dict) or not all(
            isinstance(v, str) and v for v in holdings.values()
        ):
            raise UniverseError(
                f"{path}: indexes.{key}.holdings must map sources to names, "
                'e.g. { yfinance = "SPY", csv = "sp500", demo = "simulated" }'
            )
        expected = _count(spec.get("expected_members"), f"{path}: indexes.{key}.expected_members")
        top_n = _count(spec.get("top_n", 50), f"{path}: indexes.{key}.top_n")
        if top_n >= expected:
            raise UniverseError(
                f"{path}: indexes.{key}.top_n ({top_n}) must be below expected_members "
                f"({expected}): the top N members are measured against the rest"
            )
        enabled = spec.get("enabled", True)
        if not isinstance(enabled, bool):
            raise UniverseError(f"{path}: indexes.{key}.enabled must be true or false")
        indexes.append(
            IndexSpec(
                key=str(key),
                name=str(spec.get("name", key)),
                expected_members=expected,
                holdings={str(k): str(v) for k, v in holdings.items()},
                top_n=top_n,
                enabled=enabled,
                cap_benchmark=_optional_text(spec.get("cap_benchmark")),
                equal_benchmark=_optional_text(spec.get("equal_benchmark")),
            )
        )
    return tuple(indexes)


def _count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UniverseError(f"{where} must be a whole number >= 1")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_groups(check: _Checker, raw: object) -> tuple[tuple[Group, ...], dict[str, str]]:
    """Return the [groups.*] tables and every member's display name."""
    groups: list[Group] = []
    names: dict[str, str] = {}
    for key, value in check.table(raw, "groups", "tables such as [groups.sectors]").items():
        spec = check.table(value, f"groups.{key}", "a table with title and members")
        check.keys(spec, f"groups.{key}.", _GROUP_KEYS)
        where = f"groups.{key}.members"
        members = check.table(spec.get("members"), where, 'a table of ticker = "name"')
        if not members:
            raise check.fail(where, 'a table with at least one ticker = "name"')
        for ticker, name in members.items():
            check.ticker(ticker, f"{where} key")
            names.setdefault(ticker, check.text(name, f"{where}.{ticker}"))
        basket = spec.get("basket", False)
        if not isinstance(basket, bool):
            raise check.fail(f"groups.{key}.basket", "true or false", basket)
        title = check.text(spec.get("title", key), f"groups.{key}.title")
        groups.append(Group(key=key, title=title, members=tuple(members), basket=basket))
    if not groups:
        raise UniverseError(f"{check.path}: no [groups.*] tables")
    return tuple(groups), names


def _parse_pairs(check: _Checker, raw: object, group_keys: set[str]) -> tuple[PairSpec, ...]:
    """Return the [[pairs]] entries; a basket leg must name a group."""
    if not isinstance(raw, list):
        raise check.fail("pairs", "[[pairs]] tables with name, lead and lag", raw)
    pairs: list[PairSpec] = []
    for number, value in enumerate(raw, start=1):
        where = f"pairs[{number}]"
        entry = check.table(value, where, "a [[pairs]] table with name, lead and lag")
        check.keys(entry, f"{where}.", _PAIR_KEYS)
        for key in _PAIR_KEYS:
            if key not in entry:
                raise UniverseError(f"{check.path}: a [[pairs]] entry lacks {key!r}")
        pair = PairSpec(
            name=check.text(entry["name"], f"{where}.name"),
            lead=check.ticker(entry["lead"], f"{where}.lead"),
            lag=check.ticker(entry["lag"], f"{where}.lag"),
        )
        if pair.lead == pair.lag:
            raise UniverseError(
                f"{check.path}: pair {pair.name!r} has {pair.lead} as both lead and lag; "
                "a pair compares two different legs"
            )
        for leg in (pair.lead, pair.lag):
            if leg.startswith(BASKET_PREFIX) and leg.removeprefix(BASKET_PREFIX) not in group_keys:
                raise UniverseError(f"{check.path}: pair {pair.name!r} names unknown group {leg!r}")
        pairs.append(pair)
    return tuple(pairs)
