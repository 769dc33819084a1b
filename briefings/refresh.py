"""Bring the store up to a session: fetch only what is missing, in a few batched requests.

New tickers are fetched from ``history_start``; stale ones from a few days before their last
stored close (tickers more than a month behind in a batch of their own). Those overlapping days
are compared with the store: a source that restated a ticker's history (an adjusted close after
a split or dividend) differs there, and that ticker's whole history is fetched again (one more
batched request) and replaces the stored one.

A source that gives many tickers' latest closes in one request (``LatestCloses``: Tiingo's bulk
endpoint) is asked first, once, for the tickers exactly one session behind: those whose latest bar
is ``through`` take that close without a request of their own, and one whose bar carries a split
or a dividend has its whole history fetched again (its stored adjusted closes changed); the rest
(further behind, new, not yet updated at the source, or not answered) are fetched as above.

Between the source and the store every ticker's closes pass the sanity stage
(``briefings.sanity``): a close it holds is not stored but filed in quarantine
(``briefings.quarantine``), and judged again at the next refresh with the sessions since.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from briefings.calendar import calendar_bounds, previous_session, sessions_in_range
from briefings.clock import Clock, utc_now
from briefings.quarantine import FetchScreening, QuarantineStore, record_quietly, screen_fetch
from briefings.sanity import SOURCES_DISAGREE, QuarantinedClose, Screening
from briefings.sources.base import (
    ChangeMarkedSource,
    LatestCloses,
    LatestResult,
    PriceSource,
    SourceError,
)
from briefings.sources.chain import RETURN_TOLERANCE, compare_returns
from briefings.store import PriceStore, RefreshRecord, StoreWriteError

Progress = Callable[[int, int], None]

#: Calendar days re-fetched before a stale ticker's last stored close, to detect restatements.
OVERLAP_DAYS = 7
#: A stale ticker whose last close is older than this many days is fetched in its own batch.
LAGGARD_DAYS = 31
#: Most tickers asked of the source in one request: an index's 500 members go in a few chunks,
#: each retried with backoff on its own, so one failure does not cost the whole download.
CHUNK_TICKERS = 200
#: Relative difference between a stored and a re-fetched close that counts as a restatement;
#: above float noise, below the smallest quarterly dividend adjustment that matters.
RESTATED_TOLERANCE = 1e-5


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh asked for, what it stored and what went wrong."""

    source: str
    requested: tuple[str, ...]
    start: date | None
    """Earliest date asked of the source (None: all history, or nothing was asked)."""
    through: date
    closes_written: int
    failed: Mapping[str, str] = field(default_factory=dict)
    up_to_date: bool = False
    """True when the store already held ``through`` for every ticker, so nothing was fetched."""
    error: str | None = None
    requests: int = 0
    restated: tuple[str, ...] = ()
    """Tickers whose stored history the source restated, so it was fetched again whole."""
    notes: tuple[str, ...] = ()
    """What else the reader should know, e.g. index holdings kept from an earlier fetch."""
    quarantined: tuple[QuarantinedClose, ...] = ()
    """Fetched closes the sanity stage held out of the store (``briefings.sanity``)."""
    released: tuple[tuple[str, date], ...] = ()
    """(ticker, date) of closes held before that passed this time (confirmed or corrected)."""
    unchanged: tuple[str, ...] = ()
    """Stale tickers not asked for: their data is as it was when last read (a CSV file's stat)."""
    served_by: Mapping[str, str] = field(default_factory=dict)
    """Which source of a chain served each fetched ticker (empty: a single source)."""


@dataclass(frozen=True)
class _Batch:
    tickers: tuple[str, ...]
    start: date | None
    overlaps_store: bool = False


def _plan_batches(
    last_dates: Mapping[str, date],
    tickers: Sequence[str],
    through: date,
    history_start: date | None,
) -> tuple[_Batch, ...]:
    """Return the fetches needed: new tickers from ``history_start``, stale ones from the gap."""
    new = tuple(t for t in tickers if t not in last_dates)
    stale = tuple(t for t in tickers if t in last_dates and last_dates[t] < through)
    batches: list[_Batch] = []
    if new:
        batches.append(_Batch(new, history_start))
    # A ticker that stopped updating long ago would drag every daily request back to its last
    # close; such laggards get a batch of their own.
    recent = tuple(t for t in stale if (through - last_dates[t]).days <= LAGGARD_DAYS)
    laggards = tuple(t for t in stale if t not in recent)
    for group in (recent, laggards):
        if group:
            overlap_from = min(last_dates[t] for t in group) - timedelta(days=OVERLAP_DAYS)
            batches.append(_Batch(group, overlap_from, overlaps_store=True))
    return tuple(
        _Batch(batch.tickers[i : i + CHUNK_TICKERS], batch.start, batch.overlaps_store)
        for batch in batches
        for i in range(0, len(batch.tickers), CHUNK_TICKERS)
    )


def _latest_plan(
    source: PriceSource, last_dates: Mapping[str, date], tickers: Sequence[str], through: date
) -> tuple[LatestCloses, tuple[str, ...]] | None:
    """Return a bulk latest-closes source and the tickers it can bring to ``through`` at once.

    Those whose last stored close is the session just before ``through``: the source's latest
    bar is then the one close they lack. None for a source without a bulk endpoint, or no such
    ticker.
    """
    if not isinstance(source, LatestCloses):
        return None
    previous = previous_session(through)
    behind = tuple(t for t in tickers if last_dates.get(t) == previous)
    return (source, behind) if behind else None


def _answered_for(result: LatestResult, tickers: Sequence[str]) -> LatestResult:
    """Return a bulk answer narrowed to the tickers asked (a source may give more)."""
    asked = set(tickers)
    return LatestResult(
        result.session,
        {t: close for t, close in result.closes.items() if t in asked},
        tuple(t for t in result.adjusted if t in asked),
        {t: reason for t, reason in result.failed.items() if t in asked},
    )


def _latest_frame(result: LatestResult) -> pd.DataFrame:
    """Return a bulk answer's closes in a fetch's shape: one row, the session, per ticker."""
    index = pd.DatetimeIndex([pd.Timestamp(result.session)], name="date").astype("datetime64[ns]")
    columns = {ticker: [close] for ticker, close in result.closes.items()}
    return pd.DataFrame(columns, index=index, dtype="float64")


def _without(batches: Sequence[_Batch], taken: Collection[str]) -> tuple[_Batch, ...]:
    """Return the batches without the ``taken`` tickers, dropping those left empty."""
    kept = (
        _Batch(tuple(t for t in batch.tickers if t not in taken), batch.start, batch.overlaps_store)
        for batch in batches
    )
    return tuple(batch for batch in kept if batch.tickers)


def _within(
    closes: pd.DataFrame, tickers: Sequence[str], start: date | None, through: date
) -> pd.DataFrame:
    """Return the asked-for tickers' closes on NYSE sessions from ``start`` to ``through``.

    Sources overshoot the range, and a stray row on a holiday would give every other ticker a
    missing close on that date; rows older than the calendar's first session are kept as they are.
    """
    columns = [t for t in tickers if t in closes.columns]
    window = closes.loc[:, columns]
    index = pd.DatetimeIndex(window.index)
    keep = index <= pd.Timestamp(through)
    if start is not None:
        keep &= index >= pd.Timestamp(start)
    first_session = calendar_bounds()[0]
    in_calendar = index >= pd.Timestamp(first_session)
    if in_calendar.any():
        sessions = pd.DatetimeIndex(
            sessions_in_range(max(first_session, index[in_calendar].min().date()), through)
        )
        keep &= ~in_calendar | index.isin(sessions)
    return window.loc[keep]


def _restated(store: PriceStore, source: str, overlap: pd.DataFrame) -> tuple[str, ...]:
    """Return the tickers whose re-fetched closes differ from the stored ones on common days."""
    if overlap.empty:
        return ()
    stored = store.load(source, list(overlap.columns))
    common = overlap.index.intersection(stored.index)
    if common.empty:
        return ()
    old = stored.loc[common, overlap.columns]
    new = overlap.loc[common]
    differs = ((new - old).abs() > RESTATED_TOLERANCE * old.abs()) & old.notna() & new.notna()
    return tuple(str(t) for t in overlap.columns[differs.any(axis=0).to_numpy()])


def refresh(
    store: PriceStore,
    source: PriceSource,
    tickers: Sequence[str],
    *,
    through: date,
    history_start: date | None = None,
    progress: Progress | None = None,
    clock: Clock = utc_now,
    capped: Collection[str] = (),
) -> RefreshReport:
    """Fetch what the store lacks for ``tickers`` up to ``through`` and store it in one go.

    A source failure leaves the store's closes untouched; it is recorded and reported in
    ``error``, never raised. So is a store that cannot be written (disk full, read-only).
    ``capped`` are the funds and indices, whose moves the sanity stage also caps.
    """
    requested = tuple(dict.fromkeys(tickers))
    name = source.name
    total = len(requested)
    last_dates = store.last_dates(name)
    marks, unchanged = _unchanged(store, source, requested, last_dates, through)
    wanted = [t for t in requested if t not in unchanged]
    batches = _plan_batches(last_dates, wanted, through, history_start)
    pending = sum(len(batch.tickers) for batch in batches)
    if progress is not None:
        progress(total - pending, total)
    if not batches:
        return _nothing_to_fetch(store, name, requested, through, last_dates, unchanged, clock)

    fetched: list[pd.DataFrame] = []
    failed: dict[str, str] = {}
    done = total - pending
    requests = 0
    restated: tuple[str, ...] = ()
    restated_history: pd.DataFrame | None = None
    repeated: dict[str, Mapping[date, tuple[float, ...]]] = {}
    served: dict[str, str] = {}
    disagreeing: list[QuarantinedClose] = []
    latest_batch: tuple[_Batch, ...] = ()
    latest_closes: list[pd.DataFrame] = []
    try:
        plan = _latest_plan(source, last_dates, wanted, through)
        if plan is not None:
            bulk_source, behind = plan
            requests += 1
            bulk = _answered_for(bulk_source.latest(behind, through), behind)
            closes = _within(_latest_frame(bulk), behind, through, through)
            latest_closes.append(closes)
            restated += bulk.adjusted
            # The rest, the bulk's failures included, go one by one (a spent budget defers them
            # there without a request; an answer without prices gets another chance).
            taken = {*map(str, closes.columns), *bulk.adjusted}
            latest_batch = (_Batch(tuple(t for t in behind if t in taken), through),)
            batches = _without(batches, taken)
            done += len(taken)
            _tell(progress, done, total)
        for batch in batches:
            requests += 1
            result = source.fetch(batch.tickers, batch.start, through)
            closes = _within(result.closes, batch.tickers, batch.start, through)
            served.update(result.served_by)
            if batch.overlaps_store:
                closes, joined, held_here = _join_fallbacks(store, name, closes, result.served_by)
                disagreeing.extend(held_here)
            fetched.append(closes)
            failed.update({t: reason for t, reason in result.failed.items() if t in batch.tickers})
            repeated.update({t: r for t, r in result.repeated.items() if t in batch.tickers})
            if batch.overlaps_store:
                # A fallback's levels were judged by its returns just now; comparing them with
                # another provider's closes as a restatement would refetch its whole history.
                restated += _restated(store, name, closes.drop(columns=list(joined)))
            done += len(batch.tickers)
            _tell(progress, done, total)
        if restated:
            requests += 1
            result = source.fetch(restated, history_start, through)
            restated_history = _within(result.closes, restated, history_start, through)
            served.update(result.served_by)
            repeated.update({t: r for t, r in result.repeated.items() if t in restated})
    except SourceError as exc:
        message = str(exc)
        _record(store, name, RefreshRecord(clock(), False, message, _newest(last_dates)))
        return RefreshReport(
            name,
            requested,
            _earliest_start((*latest_batch, *batches)),
            through,
            0,
            failed=failed,
            error=message,
            requests=requests,
        )

    failed.update(_returned_nothing(batches, fetched, last_dates, failed))
    frame = _combined([*latest_closes, *fetched], restated, restated_history)
    quarantine = QuarantineStore(store)
    screening = None
    if frame is not None:
        screening = screen_fetch(
            store, quarantine, name, frame, replace=restated, repeated=repeated, capped=capped
        )
    if disagreeing:
        screening = _with_disagreements(screening, disagreeing)
    try:
        written = store.write(name, screening.closes, replace=restated) if screening else 0
    except StoreWriteError as exc:
        # The fetch worked but nothing was stored: the old closes stay, and so does the gap.
        return RefreshReport(
            name,
            requested,
            _earliest_start((*latest_batch, *batches)),
            through,
            0,
            failed=failed,
            error=str(exc),
            requests=requests,
        )
    unfiled = record_quietly(quarantine, name, screening, clock()) if screening else None
    held = screening.quarantined if screening else ()
    _keep_marks(store, name, marks, batches, failed, held)
    if served:
        with contextlib.suppress(StoreWriteError):  # provenance is told, not load-bearing
            store.save_marks(served_marks_key(name), served)
    newest = _newest(store.last_dates(name))
    message = _summary(written, failed, restated, held, unfiled, _by_source(served, primary=name))
    _record(store, name, RefreshRecord(clock(), True, message, newest))
    earliest = _earliest_start((*latest_batch, *batches))
    return RefreshReport(
        name,
        requested,
        earliest,
        through,
        written,
        failed=failed,
        requests=requests,
        restated=restated,
        quarantined=held,
        released=screening.released if screening else (),
        unchanged=tuple(unchanged),
        served_by=served,
    )


def _tell(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _summary(
    written: int,
    failed: Mapping[str, str],
    restated: Sequence[str],
    held: Sequence[QuarantinedClose],
    unfiled: str | None,
    fallbacks: Mapping[str, Sequence[str]],
) -> str:
    """Return the one-line account of a refresh that stored what it could."""
    message = f"stored {written} closes" + (f"; {len(failed)} tickers failed" if failed else "")
    if restated:
        message += f"; history restated for {', '.join(restated)}"
    if held:
        message += f"; {len(held)} closes held by the sanity check"
    if fallbacks:
        message += "; served by " + "; ".join(
            f"{server}: {', '.join(tickers)}" for server, tickers in fallbacks.items()
        )
    if unfiled:
        message += f" (not filed: {unfiled})"
    return message


def served_marks_key(source: str) -> str:
    """Return the key the store keeps a chain's provenance under (ticker: serving source)."""
    return f"{source}#served"


def _by_source(served: Mapping[str, str], *, primary: str) -> dict[str, list[str]]:
    """Return the tickers each fallback (not the primary source) served, by source."""
    groups: dict[str, list[str]] = {}
    for ticker, server in served.items():
        if server != primary:
            groups.setdefault(server, []).append(ticker)
    return groups


def _join_fallbacks(
    store: PriceStore, source: str, closes: pd.DataFrame, served_by: Mapping[str, str]
) -> tuple[pd.DataFrame, list[str], list[QuarantinedClose]]:
    """Join a fallback's closes to stored histories when their daily returns agree; hold the rest.

    Agreeing closes are scaled to the stored level (c x stored/fetched on the last common day),
    so the history continues without a jump; a disagreeing ticker's new closes are held (scaled
    the same way when there is a common day, so a release stores them at the stored level).
    Returns the frame to store, the tickers joined, and the held closes.
    """
    fallbacks = [t for t in closes.columns if served_by.get(str(t), source) != source]
    if not fallbacks:
        return closes, [], []
    stored = store.load(source, [str(t) for t in fallbacks])
    joined = closes.copy()
    agreed: list[str] = []
    held: list[QuarantinedClose] = []
    for ticker in fallbacks:
        if ticker not in stored.columns:
            continue  # a new ticker: its whole history comes from the one source
        history = stored[ticker].dropna()
        fetched = closes[ticker].dropna()
        comparison = compare_returns(history, fetched)
        if comparison is not None and comparison.agrees:
            joined[ticker] = closes[ticker] * comparison.scale
            agreed.append(str(ticker))
            continue
        gap = None if comparison is None else comparison.worst_gap
        scale = 1.0 if comparison is None else comparison.scale
        last = pd.Timestamp(history.index.max())
        new = fetched[pd.DatetimeIndex(fetched.index) > last]
        held.extend(
            QuarantinedClose(
                str(ticker),
                day.date(),
                float(value) * scale,
                SOURCES_DISAGREE,
                move=gap,
                bound=RETURN_TOLERANCE,
            )
            for day, value in zip(pd.DatetimeIndex(new.index), new.to_numpy(), strict=True)
        )
        joined = joined.drop(columns=[ticker])
    return joined, agreed, held


def _with_disagreements(
    screening: FetchScreening | None,
    held: Sequence[QuarantinedClose],
) -> FetchScreening:
    """Add the closes held for disagreeing sources to a fetch's screening."""
    empty = pd.Series([], index=pd.DatetimeIndex([], name="date"), dtype="float64")
    by_ticker: dict[str, list[QuarantinedClose]] = {}
    for close in held:
        by_ticker.setdefault(close.ticker, []).append(close)
    extra = tuple(Screening(t, empty, tuple(closes)) for t, closes in by_ticker.items())
    if screening is None:
        base = pd.DataFrame(index=pd.DatetimeIndex([], dtype="datetime64[ns]", name="date"))
        return FetchScreening(base, extra)
    return FetchScreening(screening.closes, screening.screenings + extra)


def _nothing_to_fetch(
    store: PriceStore,
    source: str,
    requested: tuple[str, ...],
    through: date,
    last_dates: Mapping[str, date],
    unchanged: Collection[str],
    clock: Clock,
) -> RefreshReport:
    """Record and report a refresh that asks nothing: up to date, or no data changed."""
    if unchanged:
        message = f"no data changed since it was last read ({len(unchanged)} tickers)"
        _record(store, source, RefreshRecord(clock(), True, message, _newest(last_dates)))
        return RefreshReport(source, requested, None, through, 0, unchanged=tuple(unchanged))
    _record(store, source, RefreshRecord(clock(), True, "already up to date", through))
    return RefreshReport(source, requested, None, through, 0, up_to_date=True)


def _unchanged(
    store: PriceStore,
    source: PriceSource,
    tickers: Sequence[str],
    last_dates: Mapping[str, date],
    through: date,
) -> tuple[Mapping[str, str], frozenset[str]]:
    """Return the source's change marks and the stale stored tickers whose data is as last read.

    Only a source that can tell (``ChangeMarkedSource``, e.g. a CSV directory) is asked; a
    ticker whose file is unchanged since its closes were stored has nothing new to give.
    """
    if not isinstance(source, ChangeMarkedSource):
        return {}, frozenset()
    stale = [t for t in tickers if t in last_dates and last_dates[t] < through]
    if not stale and all(t in last_dates for t in tickers):
        return {}, frozenset()  # up to date: nothing to read, nothing to mark
    marks = source.change_marks(tickers)
    kept = store.source_marks(source.name)
    return marks, frozenset(t for t in stale if t in marks and kept.get(t) == marks[t])


def _keep_marks(
    store: PriceStore,
    source: str,
    marks: Mapping[str, str],
    batches: Sequence[_Batch],
    failed: Mapping[str, str],
    held: Sequence[QuarantinedClose],
) -> None:
    """Keep the marks of tickers read and stored in full; a held close is judged again."""
    held_tickers = {close.ticker for close in held}
    read = {t for batch in batches for t in batch.tickers}
    done = {
        t: mark
        for t, mark in marks.items()
        if t in read and t not in failed and t not in held_tickers
    }
    with contextlib.suppress(StoreWriteError):  # without marks the files are read again
        store.save_marks(source, done)


def _returned_nothing(
    batches: Sequence[_Batch],
    fetched: Sequence[pd.DataFrame],
    last_dates: Mapping[str, date],
    failed: Mapping[str, str],
) -> dict[str, str]:
    """Return the new tickers the source gave no closes for (and no reason)."""
    nothing: dict[str, str] = {}
    for batch, closes in zip(batches, fetched, strict=True):
        for ticker in batch.tickers:
            returned = ticker in closes.columns and closes[ticker].notna().any()
            if ticker not in last_dates and ticker not in failed and not returned:
                nothing[ticker] = "the source returned no closes"
    return nothing


def _combined(
    fetched: Sequence[pd.DataFrame],
    restated: Sequence[str],
    restated_history: pd.DataFrame | None,
) -> pd.DataFrame | None:
    """Return every fetched close in one frame (None when there are none)."""
    frames = list(fetched)
    if restated_history is not None:
        # The full history replaces the overlap fetched for the same tickers.
        frames = [closes.drop(columns=list(restated), errors="ignore") for closes in frames]
        frames.append(restated_history)
    combined = [closes for closes in frames if not closes.empty]
    return pd.concat(combined, axis=1, sort=True) if combined else None


def _record(store: PriceStore, source: str, record: RefreshRecord) -> None:
    """File the refresh attempt if the store takes writes (the report says the rest)."""
    with contextlib.suppress(StoreWriteError):
        store.record_refresh(source, record)


def _newest(last_dates: Mapping[str, date]) -> date | None:
    return max(last_dates.values()) if last_dates else None


def _earliest_start(batches: Sequence[_Batch]) -> date | None:
    starts = [batch.start for batch in batches]
    return None if None in starts else min(s for s in starts if s is not None)
