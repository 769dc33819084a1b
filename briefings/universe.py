"""The universe of tickers the briefing covers, loaded from TOML."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

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
    indexes: tuple[IndexSpec, ...] = ()
    """Every configured index; ``member_indexes`` are the enabled ones."""

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
    """Load a universe from ``path``, or the packaged default."""
    path = path or default_universe_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UniverseError(f"universe file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UniverseError(f"universe file {path} is not valid TOML: {exc}") from exc
    return _parse(raw, path)


def _parse(raw: dict[str, Any], path: Path) -> Universe:
    groups: list[Group] = []
    names: dict[str, str] = {}
    raw_groups = raw.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise UniverseError(f"{path}: groups must be tables such as [groups.sectors]")
    for key, spec in raw_groups.items():
        if not isinstance(spec, dict):
            raise UniverseError(f"{path}: groups.{key} must be a table with title and members")
        members = spec.get("members")
        if not isinstance(members, dict) or not members:
            raise UniverseError(f"{path}: group {key!r} needs a members table")
        for ticker, name in members.items():
            names.setdefault(str(ticker), str(name))
        groups.append(
            Group(
                key=str(key),
                title=str(spec.get("title", key)),
                members=tuple(str(t) for t in members),
                basket=bool(spec.get("basket", False)),
            )
        )
    if not groups:
        raise UniverseError(f"{path}: no [groups.*] tables")
    group_keys = {g.key for g in groups}
    pairs: list[PairSpec] = []
    for entry in raw.get("pairs", []):
        try:
            pair = PairSpec(name=str(entry["name"]), lead=str(entry["lead"]), lag=str(entry["lag"]))
        except KeyError as exc:
            raise UniverseError(f"{path}: a [[pairs]] entry lacks {exc.args[0]!r}") from exc
        for leg in (pair.lead, pair.lag):
            if leg.startswith(BASKET_PREFIX) and leg.removeprefix(BASKET_PREFIX) not in group_keys:
                raise UniverseError(f"{path}: pair {pair.name!r} names unknown group {leg!r}")
        pairs.append(pair)
    settings = raw.get("settings", {})
    lookback = settings.get("low_lookback_sessions", 63)
    if not isinstance(lookback, int) or lookback < 1:
        raise UniverseError(f"{path}: low_lookback_sessions must be a whole number of sessions")
    baskets = tuple(str(b) for b in settings.get("breadth_baskets", ()))
    unknown = [b for b in baskets if b not in group_keys]
    if unknown:
        raise UniverseError(f"{path}: breadth_baskets names unknown groups {unknown}")
    return Universe(
        groups=tuple(groups),
        names=names,
        pairs=tuple(pairs),
        benchmark=str(settings.get("benchmark", "SPY")),
        low_benchmark=str(settings.get("low_benchmark", settings.get("benchmark", "SPY"))),
        low_lookback_sessions=lookback,
        breadth_baskets=baskets,
        indexes=_parse_indexes(raw.get("indexes", {}), path),
    )


def _parse_indexes(raw: Any, path: Path) -> tuple[IndexSpec, ...]:
    """Read the [indexes.<key>] tables: name, expected_members, holdings, top_n, enabled."""
    if not isinstance(raw, dict):
        raise UniverseError(f"{path}: indexes must be tables such as [indexes.sp500]")
    indexes: list[IndexSpec] = []
    for key, spec in raw.items():
        if not isinstance(spec, dict):
            raise UniverseError(f"{path}: indexes.{key} must be a table")
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
