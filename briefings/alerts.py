"""Regime-change alerts: what changed between two consecutive sessions' briefings.

Every rule compares numbers the briefings already hold; nothing is recomputed from prices.

- ``quadrant``: a rotation pair or a sector (vs the benchmark) moves into another RRG quadrant
  and stays there: its settled quadrant (``RelativeRotation.reported_quadrant``, held for
  ``briefings.analytics.rrg.QUADRANT_HOLD_SESSIONS`` sessions in a row) changes. It fires on
  the session the hold is reached, so a one-session excursion is never reported.
- ``cross50``: a watched lead/lag ratio crosses its 50-session average, i.e. ``ratio_vs_50d``
  changes sign (0 counts as above, as in ``RotationLine.trend``).
- ``breadth200``: a basket's share of members above their 200-session average crosses half,
  i.e. "a majority above" (share > 50 %) turns on or off.
- ``record``: a benchmark closes at a record high on the current session.
- ``rank``: a sector moves 3 or more places on the past month's (1M) leaderboard.
- ``high52``: a key ticker (benchmarks, size, style) closes at a 52-week high that is not a
  record, having not been at one the session before.

The daily briefing's "What changed" block is this list; the bot pushes a subset of it
(``worth_pushing``).

An alert's ``key`` names the thing that changed, never the direction or the session, so
(chat, session, key) identifies one delivery and re-running detection is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from briefings.analytics.breadth import Breadth
from briefings.model import Briefing, TickerLine
from briefings.analytics.rotation import RotationLine
from briefings.universe import BASKET_PREFIX

AlertKind = Literal["quadrant", "cross50", "breadth200", "record", "rank", "high52"]

#: Lead/lag ratios whose 50-day crossings are worth an alert (regime gauges of the rally).
CROSS50_PAIRS: tuple[tuple[str, str], ...] = (("RSP", "SPY"), ("IWM", "SPY"), ("IWD", "IWF"))

#: The universe group whose record closes are alerts.
RECORD_GROUP = "benchmarks"

#: The leaderboard window whose rank moves are changes, and the smallest move that counts.
RANK_WINDOW = "1M"
RANK_MOVE = 3

#: The universe groups whose new 52-week highs are changes.
HIGH52_GROUPS: tuple[str, ...] = ("benchmarks", "size", "style")

#: Breadth threshold in percent: the regime is "a majority of members above the 200-day".
BREADTH_THRESHOLD = 50.0

#: RRG quadrants whose entry by a rotation pair is pushed.
PUSHED_QUADRANTS = frozenset({"Leading", "Lagging"})

AlertValue = float | int | str | bool | None


class AlertInputError(ValueError):
    """Raise when two briefings cannot be compared (order or source differ)."""


@dataclass(frozen=True)
class Alert:
    """One regime change on ``session`` against ``previous_session``, with the numbers behind it."""

    key: str
    session: date
    previous_session: date
    kind: AlertKind
    title: str
    before: Mapping[str, float]
    after: Mapping[str, float]
    message: Mapping[str, AlertValue] = field(default_factory=dict)
    """Template context: names, tickers, from/to states and direction."""


def detect_alerts(
    previous: Briefing,
    current: Briefing,
    *,
    cross50_pairs: Sequence[tuple[str, str]] = CROSS50_PAIRS,
    record_group: str = RECORD_GROUP,
) -> tuple[Alert, ...]:
    """Return the regime changes from ``previous``'s session to ``current``'s, in a fixed order."""
    if previous.as_of >= current.as_of:
        raise AlertInputError(
            f"previous session {previous.as_of} is not before current session {current.as_of}"
        )
    if previous.source != current.source:
        raise AlertInputError(f"cannot compare sources {previous.source!r} and {current.source!r}")
    return (
        *_ratio_crossings(previous, current, cross50_pairs),
        *_quadrant_changes(previous, current),
        *_breadth_crossings(previous, current),
        *_record_closes(previous, current, record_group),
        *_rank_moves(previous, current),
        *_new_52w_highs(previous, current),
    )


def _pair_label(line: RotationLine) -> str:
    return f"{line.lead}/{line.lag}"


def _lines_by_label(lines: Sequence[RotationLine]) -> dict[str, RotationLine]:
    return {_pair_label(line): line for line in lines}


def _matched_lines(
    previous: Sequence[RotationLine], current: Sequence[RotationLine]
) -> Iterator[tuple[RotationLine, RotationLine]]:
    """Yield (previous, current) for every line present in both, in the current order."""
    before = _lines_by_label(previous)
    for line in current:
        old = before.get(_pair_label(line))
        if old is not None:
            yield old, line


def _ratio_crossings(
    previous: Briefing, current: Briefing, pairs: Sequence[tuple[str, str]]
) -> Iterator[Alert]:
    watched = {f"{lead}/{lag}" for lead, lag in pairs}
    for old, new in _matched_lines(previous.rotation, current.rotation):
        label = _pair_label(new)
        if label not in watched or old.ratio_vs_50d is None or new.ratio_vs_50d is None:
            continue
        if old.trend == new.trend:
            continue
        direction = "above" if new.trend == "up" else "below"
        yield Alert(
            key=f"cross50:{label}",
            session=current.as_of,
            previous_session=previous.as_of,
            kind="cross50",
            title=f"{new.name}: {label} ratio crossed {direction} its 50-day average",
            before={"ratio_vs_50d": old.ratio_vs_50d},
            after={"ratio_vs_50d": new.ratio_vs_50d},
            message={
                "name": new.name,
                "lead": new.lead,
                "lag": new.lag,
                "lead_name": new.lead_name,
                "lag_name": new.lag_name,
                "direction": direction,
                "leader": new.lead if direction == "above" else new.lag,
            },
        )


def _quadrant_changes(previous: Briefing, current: Briefing) -> Iterator[Alert]:
    benchmark_lines = ((previous.rotation, current.rotation, False),)
    sector_lines = ((previous.sector_rotation, current.sector_rotation, True),)
    for old_lines, new_lines, is_sector in (*benchmark_lines, *sector_lines):
        for old, new in _matched_lines(old_lines, new_lines):
            if old.rrg is None or new.rrg is None:
                continue
            was, now = old.rrg.reported_quadrant, new.rrg.reported_quadrant
            if was == now:
                continue
            subject = new.lead if is_sector else _pair_label(new)
            name = f"{new.lead_name} ({new.lead})" if is_sector else new.name
            yield Alert(
                key=f"quadrant:{subject}",
                session=current.as_of,
                previous_session=previous.as_of,
                kind="quadrant",
                title=f"{name} moved from {was} into {now}",
                before={"rs_ratio": old.rrg.rs_ratio, "rs_momentum": old.rrg.rs_momentum},
                after={"rs_ratio": new.rrg.rs_ratio, "rs_momentum": new.rrg.rs_momentum},
                message={
                    "name": name,
                    "lead": new.lead,
                    "lag": new.lag,
                    "against": new.lag_name if new.lag.startswith(BASKET_PREFIX) else new.lag,
                    "from_quadrant": was,
                    "to_quadrant": now,
                    "held_sessions": new.rrg.held_sessions,
                    "scope": "sector" if is_sector else "pair",
                },
            )


def _has_majority(breadth: Breadth) -> bool | None:
    share = breadth.pct_above_200
    return None if share is None else share > BREADTH_THRESHOLD


def _breadth_crossings(previous: Briefing, current: Briefing) -> Iterator[Alert]:
    before = {item.key: item for item in previous.breadth}
    for new in current.breadth:
        old = before.get(new.key)
        if old is None:
            continue
        was, now = _has_majority(old), _has_majority(new)
        if was is None or now is None or was == now:
            continue
        direction = "above" if now else "below"
        # Shares are not None here: _has_majority returned a bool for both.
        old_share, new_share = old.pct_above_200 or 0.0, new.pct_above_200 or 0.0
        yield Alert(
            key=f"breadth200:{new.key}",
            session=current.as_of,
            previous_session=previous.as_of,
            kind="breadth200",
            title=(
                f"{new.title}: {new.above_200} of {new.counted_200} members above their "
                f"200-day average ({'now a majority' if now else 'no longer a majority'})"
            ),
            before={
                "pct_above_200": old_share,
                "above_200": old.above_200,
                "counted_200": old.counted_200,
            },
            after={
                "pct_above_200": new_share,
                "above_200": new.above_200,
                "counted_200": new.counted_200,
            },
            message={
                "basket": new.key,
                "name": new.title,
                "direction": direction,
                "threshold": BREADTH_THRESHOLD,
            },
        )


def _group_lines(briefing: Briefing, group: str) -> dict[str, TickerLine]:
    for block in briefing.groups:
        if block.key == group:
            return {line.ticker: line for line in block.lines}
    return {}


def _record_closes(previous: Briefing, current: Briefing, group: str) -> Iterator[Alert]:
    lines = _group_lines(current, group)
    previous_lines = _group_lines(previous, group)
    for ticker in current.record_highs:
        line = lines.get(ticker)
        if line is None or line.close is None:
            continue
        close, name = line.close, line.name
        after: dict[str, float] = {"close": close}
        change = current.returns.get(ticker, {}).get("1D")
        if change is not None:
            after["change_pct"] = change
        old_line = previous_lines.get(ticker)
        previous_close = None if old_line is None else old_line.close
        yield Alert(
            key=f"record:{ticker}",
            session=current.as_of,
            previous_session=previous.as_of,
            kind="record",
            title=f"{name} closed at a record high",
            before={} if previous_close is None else {"close": previous_close},
            after=after,
            message={
                "ticker": ticker,
                "name": name,
                # A record the session before makes this one an extension of a run of records.
                "extends_run": ticker in previous.record_highs,
            },
        )


def _rank_moves(previous: Briefing, current: Briefing) -> Iterator[Alert]:
    """Yield sectors that moved RANK_MOVE or more places on the RANK_WINDOW leaderboard."""
    old_board = previous.leaderboards.get(RANK_WINDOW, ())
    before = {row.ticker: rank for rank, row in enumerate(old_board, 1)}
    for rank, row in enumerate(current.leaderboards.get(RANK_WINDOW, ()), 1):
        old = before.get(row.ticker)
        if old is None or abs(old - rank) < RANK_MOVE:
            continue
        direction = "up" if rank < old else "down"
        yield Alert(
            key=f"rank:{row.ticker}",
            session=current.as_of,
            previous_session=previous.as_of,
            kind="rank",
            title=f"{row.name} ({row.ticker}) moved {direction} from #{old} to #{rank} "
            f"over {RANK_WINDOW}",
            before={"rank": old},
            after={"rank": rank, "return_pct": row.return_pct},
            message={
                "ticker": row.ticker,
                "name": row.name,
                "direction": direction,
                "window": RANK_WINDOW,
            },
        )


def _new_52w_highs(previous: Briefing, current: Briefing) -> Iterator[Alert]:
    """Yield key tickers newly at a 52-week high that is not a record."""
    watched: dict[str, TickerLine] = {}
    for group in HIGH52_GROUPS:
        watched.update(_group_lines(current, group))
    for ticker in current.highs_52w:
        line = watched.get(ticker)
        if line is None or line.close is None or ticker in current.record_highs:
            continue
        if ticker in previous.highs_52w:
            continue
        yield Alert(
            key=f"high52:{ticker}",
            session=current.as_of,
            previous_session=previous.as_of,
            kind="high52",
            title=f"{line.name} closed at a 52-week high",
            before={},
            after={"close": line.close},
            message={"ticker": ticker, "name": line.name},
        )


def worth_pushing(alert: Alert) -> bool:
    """Return True for the alerts worth a push notification (a push must be worth a buzz).

    - ``quadrant``: a rotation pair (not a single sector) that enters Leading or Lagging, i.e.
      takes or loses leadership. Leading <-> Weakening and Lagging <-> Improving are momentum
      wiggles that come and go from day to day.
    - ``cross50`` and ``breadth200``: every one.
    - ``record``: a benchmark's record close that starts a run; the records that follow it on
      the next sessions are news the briefing already carries.
    - ``rank`` and ``high52``: never; they are the daily briefing's "What changed" news.

    On the real closes of Jun 2025 - Jul 2026 that is 1.0 alerts per session (all detected
    alerts: 2.6; ``tests/perf/quadrant_changes.py --alerts``), in one message.
    """
    if alert.kind == "quadrant":
        return alert.message.get("scope") == "pair" and (
            alert.message.get("to_quadrant") in PUSHED_QUADRANTS
        )
    if alert.kind == "record":
        return not alert.message.get("extends_run")
    return alert.kind in ("cross50", "breadth200")


def pushed_alerts(previous: Briefing, current: Briefing) -> tuple[Alert, ...]:
    """Return the alerts from ``previous`` to ``current`` that are pushed, in order."""
    return tuple(alert for alert in detect_alerts(previous, current) if worth_pushing(alert))
