"""The market service: refresh the store and hand out briefings, cached per data version."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from briefings.build import (
    BriefingInputError,
    build_briefing,
    latest_session_of,
    resolve_session,
)
from briefings.calendar import settled_session
from briefings.clock import Clock, utc_now
from briefings.config import Settings
from briefings.history.book import history_book
from briefings.lru import Lru
from briefings.members.book import MemberBook, first_date_needed
from briefings.members.holdings_store import (
    HoldingsFetcher,
    HoldingsStore,
    fetch_holdings,
    refresh_plan,
    stored_holdings,
)
from briefings.model import Briefing
from briefings.quarantine import QuarantineStore
from briefings.refresh import RefreshReport, refresh, served_marks_key
from briefings.sanity import QuarantinedClose
from briefings.snapshot import Snapshot
from briefings.sources import PriceSource, open_source
from briefings.store import PriceStore, RefreshRecord
from briefings.story import tell_story
from briefings.universe import Universe, load_universe

#: Briefings kept per data version (sessions replayed with --as-of or by the bot's commands).
MAX_CACHED_SNAPSHOTS = 64

#: A held close is named in the briefings of the sessions up to this many days after it.
QUARANTINE_SHOWN_DAYS = 7


class NoDataError(RuntimeError):
    """Raise when the store holds nothing for the source yet."""


@dataclass(frozen=True)
class Freshness:
    """How current the stored data is for one source."""

    source: str
    simulated: bool
    last_session: date | None
    expected_session: date
    last_refresh: RefreshRecord | None
    holdings_missing: tuple[str, ...] = ()
    """Configured indexes with no holdings stored (a store made before they were configured)
    that this process has not yet tried to fetch: a source that cannot list them is asked once."""
    quarantined: int = 0
    """Closes the sanity stage holds out of the store (``briefings.sanity``)."""
    regenerated: bool = False
    """The simulated source's code changed since its closes were stored: they are made anew."""
    served_by: Mapping[str, int] = field(default_factory=dict)
    """For a source chain: how many stored tickers each source last served (empty: one source)."""

    @property
    def is_current(self) -> bool:
        """Return True when the store holds the last completed session and the indexes' holdings."""
        return (
            self.last_session is not None
            and self.last_session >= self.expected_session
            and not self.holdings_missing
            and not self.regenerated
        )


class MarketService:
    """Refresh prices from a source into the store and build briefings from the store."""

    def __init__(
        self,
        source: PriceSource,
        store: PriceStore,
        universe: Universe,
        *,
        clock: Clock = utc_now,
        history_start: date | None = None,
        holdings_fetcher: HoldingsFetcher = fetch_holdings,
    ) -> None:
        self.source = source
        self.store = store
        self.universe = universe
        self._clock = clock
        self._history_start = history_start
        self._lock = threading.Lock()
        self._version: str | None = None
        self._closes: pd.DataFrame | None = None
        # Dropped whole when the data version changes (_current_closes).
        self._snapshots: Lru[tuple[date, str, date | None, bool], Snapshot] = Lru(
            MAX_CACHED_SNAPSHOTS
        )
        self.holdings = HoldingsStore(store)
        self.quarantine = QuarantineStore(store)
        self._quarantine_version: str | None = None
        self._fetch_holdings = holdings_fetcher
        self._members: tuple[str, MemberBook] | None = None
        self._holdings_version: str | None = None
        self._holdings_tried = False
        # Story-less briefings of sessions before a told one (what changed is read from them).
        self._plain: Lru[date, Briefing] = Lru(MAX_CACHED_SNAPSHOTS)

    @classmethod
    def from_settings(cls, settings: Settings, source_spec: str | None = None) -> MarketService:
        """Open the configured (or given) source, the store and the universe."""
        universe = load_universe(settings.universe_path)
        source = open_source(source_spec or settings.source)
        return cls(source, PriceStore(settings.store_path), universe)

    @property
    def source_name(self) -> str:
        """Return the name the store files this source's data under."""
        return self.source.name

    @property
    def simulated(self) -> bool:
        """Return True when the source is the simulated demo market."""
        return self.source.simulated

    def expected_session(self) -> date:
        """Return the last NYSE session completed (and settled) at the service clock's time."""
        return settled_session(self._clock())

    def refresh(self, progress: Callable[[int, int], None] | None = None) -> RefreshReport:
        """Fetch what the store lacks up to the last completed session, members included.

        Index holdings are fetched again only when some closes are due (or none are stored),
        so a refresh with nothing new requests nothing.
        """
        through = self.expected_session()
        self._start_generation()
        self._holdings_tried = True
        tickers, notes = refresh_plan(
            self.holdings, self.store, self.source, self.universe, through, self._fetch_holdings
        )
        tickers = tuple(dict.fromkeys((*tickers, *self._factor_tickers_due(through))))
        listed = stored_holdings(self.holdings, self.source_name, self.universe.member_indexes)
        members = {ticker for item in listed for ticker in item.holdings.tickers}
        report = refresh(
            self.store,
            self.source,
            tickers,
            through=through,
            history_start=self._history_start,
            progress=progress,
            clock=self._clock,
            capped=[ticker for ticker in tickers if ticker not in members],
        )
        return replace(report, notes=notes) if notes else report

    def _factor_tickers_due(self, through: date) -> tuple[str, ...]:
        """Return the factor funds to ask for: stored ones, and the rest when closes are due.

        The funds are stored beside the universe's tickers (the factor scoreboard); one the
        source lacks is asked for again only when the universe's closes are due, as members are.
        """
        last_dates = self.store.last_dates(self.source_name)
        due = any(last_dates.get(t, date.min) < through for t in self.universe.tickers)
        return tuple(t for t in self.universe.factor_tickers if due or t in last_dates)

    def freshness(self) -> Freshness:
        """Return the last stored session (the latest a briefing covers) and the last refresh."""
        last_dates = self.store.last_dates(self.source_name)
        # A session whose close is held is reached all the same: the briefing names it.
        for close in self.quarantine.held(self.source_name, self.universe.tickers):
            if close.day > last_dates.get(close.ticker, date.min):
                last_dates[close.ticker] = close.day
        return Freshness(
            source=self.source_name,
            simulated=self.simulated,
            last_session=latest_session_of(last_dates, self.universe),
            expected_session=self.expected_session(),
            last_refresh=self.store.last_refresh(self.source_name),
            holdings_missing=self._holdings_missing(),
            quarantined=self.quarantine.count(self.source_name),
            regenerated=self._regenerated(),
            served_by=self._served_counts(),
        )

    def _generation(self) -> str | None:
        """Return the simulated source's generation (``DemoSource.generation``); None for others."""
        generation = getattr(self.source, "generation", None)
        return generation if isinstance(generation, str) else None

    def _regenerated(self) -> bool:
        """Return True when the store holds closes another generation of the source made."""
        generation = self._generation()
        if generation is None or self.store.generation(self.source_name) == generation:
            return False
        return bool(self.store.last_dates(self.source_name))

    def _start_generation(self) -> None:
        """Forget the closes, holdings and held closes another generation of the source made."""
        generation = self._generation()
        if generation is None or self.store.generation(self.source_name) == generation:
            return
        self.store.start_generation(self.source_name, generation)
        self.holdings.forget(self.source_name)
        self.quarantine.forget(self.source_name)

    def _holdings_missing(self) -> tuple[str, ...]:
        """Return the configured indexes whose holdings the store lacks, until a refresh tried."""
        wanted = [index.key for index in self.universe.member_indexes]
        if not wanted or self._holdings_tried:
            return ()
        stored = self.holdings.indexes(self.source_name)
        return tuple(key for key in wanted if key not in stored)

    def unknown_tickers(self) -> tuple[str, ...]:
        """Return the universe's tickers the store holds no closes for (after a refresh: unknown
        to the source, or misspelt in the universe file)."""
        stored = self.store.last_dates(self.source_name)
        return tuple(ticker for ticker in self.universe.tickers if ticker not in stored)

    def _current_closes(self) -> tuple[str, pd.DataFrame]:
        version = self.store.data_version(self.source_name)
        holdings_version = self.holdings.version(self.source_name)
        quarantine_version = self.quarantine.version(self.source_name)
        if (holdings_version, quarantine_version) != (
            self._holdings_version,
            self._quarantine_version,
        ):
            # New holdings change the member figures of every session already built, and newly
            # held closes what each names.
            self._holdings_version = holdings_version
            self._quarantine_version = quarantine_version
            self._snapshots.clear()
        if version != self._version or self._closes is None:
            # The universe's tickers only: index members have their own matrix (member_book).
            wanted = (*self.universe.tickers, *self.universe.factor_tickers)
            closes = self.store.load(self.source_name, tuple(dict.fromkeys(wanted)))
            if closes.empty:
                raise NoDataError(f"no stored prices for source {self.source_name!r} yet")
            self._version, self._closes = version, closes
            self._snapshots.clear()
            self._plain.clear()
        return version, self._closes

    def snapshot(
        self,
        as_of: date | None = None,
        period: str = "MTD",
        since: date | None = None,
        *,
        told: bool = True,
    ) -> Snapshot:
        """Return the briefing for ``as_of`` (default: the latest stored session), built once.

        ``told=False`` leaves the story out (verdict, takeaways, changes, history): for what
        draws none of it, such as a chart, and kept apart from the told one.
        """
        with self._lock:
            version, closes = self._current_closes()
            # Key on the session itself, so "latest" and that session's date share one build.
            wanted = as_of if as_of is not None else self._held_session(closes)
            session = resolve_session(closes, wanted, self.universe).date()
            key = (session, period.upper(), since, told)
            cached = self._snapshots.get(key)
            if cached is None:
                briefing = self._build(closes, version, session, period=period, since=since)
                briefing = self._with_members(version, session, briefing)
                if told:
                    history = history_book(closes, self.universe, version)
                    members = self._member_book(version) if self.universe.member_indexes else None
                    briefing = tell_story(
                        briefing, self._previous(closes, version, session), history, members
                    )
                briefing = replace(
                    briefing, quarantined=self._held_near(session), served_by=self._fallbacks()
                )
                cached = Snapshot(briefing=briefing, universe=self.universe, closes=closes)
                self._snapshots.put(key, cached)
            return cached

    def _held_session(self, closes: pd.DataFrame) -> date | None:
        """Return the date of the benchmark's held close after its last stored one, if any."""
        benchmark = self.universe.benchmark
        held = self.quarantine.held(self.source_name, [benchmark])
        if not held or benchmark not in closes.columns:
            return None
        stored = closes[benchmark].dropna()
        if not stored.empty and pd.Timestamp(held[-1].day) <= stored.index[-1]:
            return None
        try:  # a session of the data only where most of the universe has closes
            return resolve_session(closes, held[-1].day, self.universe).date()
        except BriefingInputError:
            return None

    def _fallbacks(self) -> dict[str, tuple[str, ...]]:
        """Return the universe's tickers a chain's fallback source last served, by source."""
        served = self.store.source_marks(served_marks_key(self.source_name))
        groups: dict[str, list[str]] = {}
        for ticker in self.universe.tickers:
            server = served.get(ticker, self.source_name)
            if server != self.source_name:
                groups.setdefault(server, []).append(ticker)
        return {server: tuple(tickers) for server, tickers in groups.items()}

    def _served_counts(self) -> dict[str, int]:
        """Return how many stored tickers (universe and members) each source last served."""
        counts: dict[str, int] = {}
        for server in self.store.source_marks(served_marks_key(self.source_name)).values():
            counts[server] = counts.get(server, 0) + 1
        return counts

    def _held_near(self, session: date) -> tuple[QuarantinedClose, ...]:
        """Return the held closes of the universe and the members dated in the week to
        ``session``."""
        held = self.quarantine.held(
            self.source_name,
            since=session - timedelta(days=QUARANTINE_SHOWN_DAYS - 1),
            through=session,
        )
        if not held:
            return ()
        covered = set(self.universe.tickers)
        if self.universe.member_indexes:
            for index in self._member_book(self.store.data_version(self.source_name)).indexes:
                covered.update(index.holdings.tickers)
        return tuple(close for close in held if close.ticker in covered)

    def release(self, ticker: str, day: date) -> QuarantinedClose:
        """Store a held close and accept it from now on (ReleaseError: none is held)."""
        with self._lock:
            return self.quarantine.release(self.source_name, ticker, day, self._clock())

    def member_book(self) -> MemberBook:
        """Return the index members' closes for the current data version (loaded once)."""
        with self._lock:
            return self._member_book(self.store.data_version(self.source_name))

    def _member_book(self, version: str, session: date | None = None) -> MemberBook:
        """Return the members' book of ``version``, holding what ``session``'s figures read.

        It reads from ``first_date_needed`` on: the same book serves every session since
        MEMBERS_SAMPLE_START, and an earlier session replaces it with a longer one.
        """
        key = f"{version}/{self.holdings.version(self.source_name)}"
        found = self._members
        if found is None or found[0] != key or not found[1].serves(session or date.max):
            indexes = self.universe.member_indexes
            stored = stored_holdings(self.holdings, self.source_name, indexes)
            start = first_date_needed(session)
            if found is not None and found[0] == key and found[1].start is not None:
                start = min(start, found[1].start)
            book = MemberBook.load(self.store, self.source_name, indexes, stored, start)
            self._members = found = (key, book)
        return found[1]

    def _with_members(self, version: str, session: date, briefing: Briefing) -> Briefing:
        """Return ``briefing`` with its indexes' member figures (none configured: unchanged)."""
        if not self.universe.member_indexes:
            return briefing
        book = self._member_book(version, session)
        return replace(briefing, members=book.figures(session))

    def _previous(self, closes: pd.DataFrame, version: str, session: date) -> Briefing | None:
        """Return the briefing of the stored session before ``session`` (None for the first)."""
        index = pd.DatetimeIndex(closes.index)
        earlier = index[index < pd.Timestamp(session)]
        if earlier.empty:
            return None
        previous = pd.Timestamp(earlier[-1]).date()
        told = self._snapshots.get((previous, "MTD", None, True))
        if told is not None:
            return told.briefing
        cached = self._plain.get(previous)
        if cached is None:
            cached = self._build(closes, version, previous)
            self._plain.put(previous, cached)
        return cached

    def _build(
        self,
        closes: pd.DataFrame,
        version: str,
        session: date,
        period: str = "MTD",
        since: date | None = None,
    ) -> Briefing:
        """Return the plain briefing (no members, no story) of ``session`` from ``closes``."""
        return build_briefing(
            closes,
            self.universe,
            as_of=session,
            source=self.source_name,
            simulated=self.simulated,
            data_version=version,
            period=period,
            since=since,
        )
