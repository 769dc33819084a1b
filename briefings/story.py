"""Tell the briefing's story: a verdict, the day, ranked takeaways and what changed.

The story is data: facts (``briefings.model.Fact``) with ids, subjects, figures and no words.
Rules, not a language model: each fact names its sentence, a template in ``templates/story/``
that the rendering edge fills in each language (``briefings.render.templates.fact_words``), and
every number in it is one of the fact's ``figures`` (rounded to one decimal, as shown).
The rules (docs/methodology.md, "Verdict and takeaways"):

Verdict, from the past month's (1M) spreads of the four key pairs: small vs large (IWM/SPY),
equal vs cap weight (RSP/SPY), value vs growth (IWD/IWF) and cyclicals vs mega-cap tech. A
pair *leans broad* when its spread is at least +1.0 pp and at least half its typical 1M spread,
*narrow* when at most -1.0 pp and half its typical spread below zero, else it is neutral.

- ``broadening``: 3 or more pairs lean broad and none narrow.
- ``narrow``: 3 or more lean narrow and none broad.
- ``mixed``: anything else (the leaning pairs are named).
- ``no_verdict``: fewer than 3 key pairs have a 1M spread.

Takeaways (significance = |spread| / the pair's typical spread over the same stretch):

- ``records``: key tickers (benchmarks, size, style; the indices too) at a record close,
  said by name with each index and its fund once. Always first (significance 10); it
  supersedes the ``record:`` changes of its tickers.
- ``highs_52w``: key tickers at a 52-week high that is not a record (significance 1.5).
- ``since_low_vs_<lag>``: rotation pairs whose spread since the recent low is at least 1.0 pp
  and its significance at least 1, once 5 or more sessions have passed since the low; pairs
  with the same lag leg share one sentence (the lag and its 2 best leads, best first).
- ``<pair>_month`` / ``<pair>_day``: a pair's 1M spread (at least 1.0 pp, significance 1)
  or 1D spread (at least 0.5 pp, significance 2). Each pair speaks once, in its most
  significant window (the stretch since the low included), and of the pairs sharing a lag leg
  only the most significant speaks for a window.
- ``sector_leader`` / ``sector_laggard``: the period's top / bottom sector, when it beat /
  trailed the benchmark by 1.0 pp or more with significance 1 against that sector's own pair.
- ``breadth``: the basket with the most extreme share above the 50-day average, when that
  share is 80 % or more or 20 % or less (significance |share - 50| / 25).

- ``factors_month`` (with history): of the universe's [factors], the one that beat every
  other over the month, by 1.0 pp or more against the benchmark, and the one that trailed them
  all likewise; weight = |margin| / the factor's typical 1M spread against the benchmark x
  (1 + 2 x rarity), of the best factor (of the worst when none leads).

From the first index's members (``Briefing.members``), when the briefing has them:

- ``top_vs_rest_<window>`` (window: the briefing's period, e.g. ``mtd``, or ``1d``): the top N
  members by weight against the rest, cap-weighted (equal-weighted without weights, and the
  sentence says so). gap = top - rest; it speaks when |gap| is at least 1.0 pp over the period
  (0.5 pp on the day) and its significance, |gap| / the typical equal vs cap weight (RSP/SPY)
  spread of that window, at least 1 (2 on the day); the more significant window speaks.
  With the members' book, the gap is ranked among the same gap at every session since 2023
  (the members' short sample, and the sentence says so); the rank is said, not weighed.
- ``sector_breadth``: the widest or the narrowest sector by share of members above their
  200-day average (10 or more members counted), when that share is 65 % or more / 35 % or less
  and at least 10 pp from the index's own share; of the two, the one further from 50 %
  (significance |share - 50| / 25).

With history (a ``HistoryBook``), a pair's 1M and 1D spreads are ranked among the same figure
at every session since 2000 (``briefings.history.rank``; share = the percent of the sample at
least as wide in the spread's direction) and weigh significance x (1 + 2 x rarity), rarity =
max(0, 1 - share / 50); the sentence says the rank when notable: the widest of the sample, the
widest for half a year or more ("widest since Apr 2025"), or the top 10 %. The verdict
names its 3 widest leaning pairs with their margins and how long the regime has held
(``briefings.history.regime``); since-the-low says on how many sessions its weightiest lead
beat the lag (``briefings.history.participation``).

Ranked by weight (significance without history), at most 9, of them at most 2 about the
stretch since the low; the members' takeaways that pass but rank below the ninth take the last
places (at most 2: the view from inside the index is not crowded out by one more ETF pair); when
fewer than 3 pass, the sector leader, the laggard and the sectors' breadth are added
regardless of size (they state a rank or a count, never a sign the figures could contradict).

What changed: ``briefings.alerts.detect_alerts(previous, current)``, the same comparisons as the
alerts, ordered: records, pairs entering Leading or Lagging, 50-day crosses, breadth,
52-week highs, sector rank moves, pairs' other quadrant entries, sector quadrants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from briefings.alerts import Alert, detect_alerts
from briefings.analytics.leaders import SectorRow
from briefings.analytics.rotation import RotationLine
from briefings.build import SINCE_LOW_WINDOW
from briefings.history.book import HistoryBook
from briefings.history.participation import sessions_beaten
from briefings.history.rank import HistoryRank, rank_in_history
from briefings.members.book import MemberBook
from briefings.members.model import MEMBERS_SAMPLE_START, IndexMembers, SectorFigures
from briefings.model import Briefing, Change, Day, Sentence, Story, Takeaway, Verdict
from briefings.story_history import history_facts
from briefings.verdict_rule import (
    KEY_PAIRS,
    LEAN_MIN_PP,
    LEAN_MIN_SIGNIFICANCE,
    VERDICT_MIN_LEANING,
    VERDICT_MIN_PAIRS,
    VERDICT_WINDOW,
)

#: Per window: the smallest spread (pp) and significance a pair takeaway needs.
PAIR_THRESHOLDS: Mapping[str, tuple[float, float]] = {
    SINCE_LOW_WINDOW: (1.0, 1.0),
    "1M": (1.0, 1.0),
    "1D": (0.5, 2.0),
}
PAIR_WINDOW_IDS: Mapping[str, str] = {"1M": "month", "1D": "day"}
MIN_SESSIONS_SINCE_LOW = 5
SINCE_LOW_LEADS = 2
"""A since-the-low sentence names at most this many leads (the best) and their lag."""

SECTOR_MIN_PP = 1.0
SECTOR_MIN_SIGNIFICANCE = 1.0

BREADTH_EXTREME = 30.0
"""A breadth takeaway needs a share at least this far from 50 %."""
BREADTH_SCALE = 25.0

#: Per window: the smallest top vs rest gap (pp) and significance (the period: the first entry).
TOP_VS_REST_THRESHOLDS: Mapping[str, tuple[float, float]] = {"period": (1.0, 1.0), "1D": (0.5, 2.0)}
TOP_VS_REST_TYPICAL_PAIR = "RSP/SPY"
"""The pair whose typical spread sizes the top vs rest gap: equal vs cap weight."""

SECTOR_BREADTH_WIDE = 65.0
SECTOR_BREADTH_NARROW = 35.0
SECTOR_BREADTH_MIN_GAP = 10.0
"""A sector's 200-day share must be at least this many pp from the index's own."""
SECTOR_BREADTH_MIN_MEMBERS = 10
MEMBER_SLOTS = 2

KEY_GROUPS: tuple[str, ...] = ("benchmarks", "size", "style")
RECORD_SIGNIFICANCE = 10.0
HIGH52_SIGNIFICANCE = 1.5

MAX_TAKEAWAYS = 9
MAX_SINCE_LOW_TAKEAWAYS = 2
MIN_TAKEAWAYS = 3

#: History (``briefings.history``, docs/methodology.md "Rank in history"): a pair's 1M and 1D
#: spreads are ranked among the same figure at every session since RANK_SINCE.
RANK_SINCE = date(2000, 1, 1)
RANKED_WINDOWS: tuple[str, ...] = ("1M", "1D")
RARITY_BASE = 50.0
"""rarity = max(0, 1 - share / 50): 0 for an everyday spread, near 1 for the widest."""
RARITY_WEIGHT = 2.0
"""weight = significance x (1 + 2 x rarity): a rare month outranks a routine sector's."""
VERDICT_MARGINS = 3
"""The verdict names at most this many leaning pairs with their margins."""
NOTABLE_SHARE = 10.0
"""A rank is said when the spread is in the top 10 % of its sample (or the widest for long)."""
WIDEST_SINCE_SESSIONS = 126
""""The widest since ..." is said when no wider spread came in about half a year."""

FACTOR_WINDOW = "1M"
FACTOR_MIN_PP = 1.0
"""The best factor must beat (the worst trail) the benchmark by at least this much."""
FACTOR_SIGNIFICANCE = 1.0
"""A factor without a typical spread to size its margin ranks as a just-significant pair."""

DAY_BENCHMARKS: tuple[str, ...] = ("SPY", "QQQ", "IWM", "RSP")
DAY_MOVERS = 3

#: Display order of the changes: most telling first.
CHANGE_ORDER: tuple[str, ...] = (
    "record",
    "quadrant:pair:lead",
    "cross50",
    "breadth200",
    "high52",
    "rank",
    "quadrant:pair",
    "quadrant:sector",
)
#: Quadrants whose entry by a pair is a change of leadership (the others are momentum turns).
LEADERSHIP_QUADRANTS = ("Leading", "Lagging")


def tell_story(
    current: Briefing,
    previous: Briefing | None,
    history: HistoryBook | None = None,
    members: MemberBook | None = None,
) -> Briefing:
    """Return ``current`` with its story: verdict, the day, takeaways, changes vs ``previous``.

    ``history`` (the data version's book) gives the verdict its age and the pairs their rank;
    ``members`` (the index members' book) ranks the members' figures in their short sample.
    """
    alerts = () if previous is None else detect_alerts(previous, current)
    told = changes(alerts)
    the_verdict = verdict(current, history)
    chosen = tuple(_superseding(t, told) for t in takeaways(current, history, members))
    story = Story(
        verdict=the_verdict,
        day=the_day(current),
        takeaways=chosen,
        changes=told,
        previous_session=None if previous is None else previous.as_of,
        history=history_facts(current.as_of, the_verdict, chosen, history),
    )
    return replace(current, story=story)


#: A takeaway of this kind says what the changes of that kind say, for its own subjects.
SUPERSEDED_KINDS: Mapping[str, str] = {"records": "record", "highs_52w": "high52"}


def _superseding(takeaway: Takeaway, told: Sequence[Change]) -> Takeaway:
    """Return ``takeaway`` naming the changes it says as well (records: each record change)."""
    kind = SUPERSEDED_KINDS.get(takeaway.kind)
    said = tuple(c.id for c in told if c.kind == kind and set(c.subjects) <= set(takeaway.subjects))
    return replace(takeaway, supersedes=said) if said else takeaway


def _one(value: float) -> float:
    """Round a figure to the one decimal the sentences show (no -0.0)."""
    rounded = round(value, 1)
    return 0.0 if rounded == 0 else rounded


def _sentence(template: str, **context: object) -> Sentence:
    """Return how a fact is told: ``templates/story/<template>.txt.j2`` and what it reads."""
    return Sentence(template=template, context=context)


def slug(text: str) -> str:
    """Return a stable snake_case id for a name: "Equal vs cap weight" -> equal_vs_cap_weight."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().removeprefix("basket:")).strip("_")


def _significance(line_spread: float | None, typical: float | None) -> float | None:
    if line_spread is None or typical is None or typical <= 0:
        return None
    return abs(line_spread) / typical


def _typical(briefing: Briefing, line: RotationLine, window: str) -> float | None:
    return briefing.typical_spreads.get(f"{line.lead}/{line.lag}", {}).get(window)


# --- verdict -------------------------------------------------------------------------------


def _lean(briefing: Briefing, line: RotationLine) -> int | None:
    """Return +1 (broad), -1 (narrow) or 0 for a key pair; None without a 1M spread."""
    spread = line.spread.get(VERDICT_WINDOW)
    if spread is None:
        return None
    significance = _significance(spread, _typical(briefing, line, VERDICT_WINDOW))
    big_enough = significance is None or significance >= LEAN_MIN_SIGNIFICANCE
    if spread >= LEAN_MIN_PP and big_enough:
        return 1
    if spread <= -LEAN_MIN_PP and big_enough:
        return -1
    return 0


def verdict(briefing: Briefing, history: HistoryBook | None = None) -> Verdict:
    """Return the verdict on the key pairs' 1M spreads (module doc), with its age in history."""
    lines = {(line.lead, line.lag): line for line in briefing.rotation}
    leaning: list[tuple[RotationLine, int]] = []
    figures: dict[str, float] = {}
    counted = 0
    for key in KEY_PAIRS:
        line = lines.get(key)
        lean = None if line is None else _lean(briefing, line)
        if line is None or lean is None:
            continue
        counted += 1
        figures[f"{slug(line.name)}_1m_pp"] = _one(line.spread[VERDICT_WINDOW] or 0.0)
        if lean:
            leaning.append((line, lean))
    broad = [line for line, lean in leaning if lean > 0]
    narrow = [line for line, lean in leaning if lean < 0]
    if counted < VERDICT_MIN_PAIRS:
        kind = "no_verdict"
    elif len(broad) >= VERDICT_MIN_LEANING and not narrow:
        kind = "broadening"
    elif len(narrow) >= VERDICT_MIN_LEANING and not broad:
        kind = "narrow"
    else:
        kind = "mixed"
    age = None if history is None or kind == "no_verdict" else history.regime_age(briefing.as_of)
    if age is not None and age.regime == kind:
        figures["regime_sessions"] = float(age.sessions)
    else:
        age = None
    # The leaning pairs with their margins (pp, rounded as shown), the widest first.
    margins = sorted(
        ((line, abs(_one(line.spread[VERDICT_WINDOW] or 0.0))) for line, _ in leaning),
        key=lambda item: -item[1],
    )[:VERDICT_MARGINS]
    told = _sentence(
        "verdict",
        kind=kind,
        broad=broad,
        narrow=narrow,
        leaning=leaning,
        margins=margins,
        age=age,
    )
    return Verdict(id=kind, figures=figures, sentence=told)


# --- the day -------------------------------------------------------------------------------


def the_day(briefing: Briefing) -> Day:
    """Return the benchmarks' 1D moves and the biggest movers up and down of the universe."""

    def row(ticker: str, change: float) -> SectorRow:
        return SectorRow(ticker=ticker, name=briefing.names.get(ticker, ticker), return_pct=change)

    moves: dict[str, float] = {}
    for ticker, windows in briefing.returns.items():
        change = windows.get("1D")
        if change is not None:
            moves[ticker] = change
    benchmarks = tuple(row(t, moves[t]) for t in DAY_BENCHMARKS if t in moves)
    others = [
        (ticker, change)
        for ticker, change in moves.items()
        if not ticker.startswith("^") and ticker not in DAY_BENCHMARKS
    ]
    ranked = sorted(others, key=lambda item: -item[1])
    up = tuple(row(t, c) for t, c in ranked if _one(c) > 0)[:DAY_MOVERS]
    down = tuple(row(t, c) for t, c in reversed(ranked) if _one(c) < 0)[:DAY_MOVERS]
    return Day(benchmarks=benchmarks, up=up, down=down)


# --- takeaways -----------------------------------------------------------------------------


def _key_tickers(briefing: Briefing) -> set[str]:
    return {
        line.ticker for block in briefing.groups if block.key in KEY_GROUPS for line in block.lines
    }


def _closes(briefing: Briefing) -> dict[str, float]:
    return {
        line.ticker: line.close
        for block in briefing.groups
        for line in block.lines
        if line.close is not None
    }


def _record_candidates(briefing: Briefing) -> Iterable[Takeaway]:
    keys, closes = _key_tickers(briefing), _closes(briefing)
    records = [t for t in briefing.record_highs if t in keys]
    if records:
        yield Takeaway(
            id="records",
            kind="records",
            subjects=tuple(records),
            sentence=_sentence("records", tickers=records),
            figures={f"{slug(t)}_close": round(closes[t], 2) for t in records if t in closes},
            significance=RECORD_SIGNIFICANCE,
        )
    highs = [t for t in briefing.highs_52w if t in keys and t not in briefing.record_highs]
    if highs:
        yield Takeaway(
            id="highs_52w",
            kind="highs_52w",
            subjects=tuple(highs),
            sentence=_sentence("highs_52w", tickers=highs),
            figures={f"{slug(t)}_close": round(closes[t], 2) for t in highs if t in closes},
            significance=HIGH52_SIGNIFICANCE,
        )


def _since_low_spreads(briefing: Briefing) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Return (lead, lag) -> (lead %, lag %, spread pp) since the low, rounded as shown."""
    low = briefing.since_low
    if low is None:
        return {}
    returns = {row.ticker: _one(row.return_pct) for row in low.returns}
    spreads = {}
    for line in briefing.rotation:
        if line.lead in returns and line.lag in returns:
            lead, lag = returns[line.lead], returns[line.lag]
            spreads[(line.lead, line.lag)] = (lead, lag, _one(lead - lag))
    return spreads


def _sessions_since_low(briefing: Briefing) -> int:
    low = briefing.since_low
    return 0 if low is None else low.sessions_since


def _share(rank: HistoryRank) -> float:
    """Return the share of the sample at least as wide in the spread's direction (percent)."""
    return rank.top_share if rank.direction == "lead" else rank.bottom_share


def _rarity(rank: HistoryRank | None) -> float:
    """Return max(0, 1 - share / RARITY_BASE): how rare the spread is in its history."""
    return 0.0 if rank is None else max(0.0, 1.0 - _share(rank) / RARITY_BASE)


def _weight(significance: float, rank: HistoryRank | None) -> float:
    """Return significance x (1 + RARITY_WEIGHT x rarity): size and rarity in history."""
    return significance * (1.0 + RARITY_WEIGHT * _rarity(rank))


def _rank(
    history: HistoryBook | None, briefing: Briefing, line: RotationLine, window: str, value: float
) -> HistoryRank | None:
    """Return the spread's rank in its history since RANK_SINCE (None: no history, or unranked)."""
    if history is None or value == 0:
        return None
    rank = history.rank(line.lead, line.lag, window, briefing.as_of, since=RANK_SINCE)
    if rank is None or (rank.value > 0) != (value > 0):
        return None
    return rank


def _rank_figures(rank: HistoryRank | None) -> dict[str, float]:
    """Return the rank's figures: the share at least as wide, the sample's start and size."""
    if rank is None:
        return {}
    figures = {
        "history_share_pct": float(max(1, round(_share(rank)))),
        "history_since_year": float(rank.sample_start.year),
        "history_n": float(rank.observations),
    }
    if rank.widest_since is not None:
        figures["widest_since_year"] = float(rank.widest_since.year)
    return figures


def _rank_said(rank: HistoryRank | None) -> str | None:
    """Return how the rank is said, when notable: widest, widest_since or top_share."""
    if rank is None:
        return None
    if rank.widest_since is None:
        return "widest"
    if (rank.sessions_since_wider or 0) >= WIDEST_SINCE_SESSIONS:
        return "widest_since"
    if _share(rank) <= NOTABLE_SHARE:
        return "top_share"
    return None


PairCandidate = tuple[RotationLine, str, float, float, HistoryRank | None]


def _pair_candidates(briefing: Briefing, history: HistoryBook | None = None) -> list[PairCandidate]:
    """Return (line, window, spread, weight, rank): each pair's weightiest window and since-low.

    weight = significance x (1 + rarity) (the rank in history, when known).
    """
    since = _since_low_spreads(briefing)
    long_enough = _sessions_since_low(briefing) >= MIN_SESSIONS_SINCE_LOW
    best: list[PairCandidate] = []
    for line in briefing.rotation:
        options: list[tuple[str, float]] = []
        if long_enough and (line.lead, line.lag) in since:
            options.append((SINCE_LOW_WINDOW, since[(line.lead, line.lag)][2]))
        for window in ("1M", "1D"):
            value = line.spread.get(window)
            if value is not None:
                options.append((window, _one(value)))
        scored = []
        for window, value in options:
            min_pp, min_significance = PAIR_THRESHOLDS[window]
            significance = _significance(value, _typical(briefing, line, window))
            if significance is None or abs(value) < min_pp or significance < min_significance:
                continue
            ranked = window in RANKED_WINDOWS
            rank = _rank(history, briefing, line, window, value) if ranked else None
            scored.append((line, window, value, _weight(significance, rank), rank))
        # The stretch since the low is told per lag leg apart from the ranked windows.
        for chosen in (
            [item for item in scored if item[1] == SINCE_LOW_WINDOW],
            [item for item in scored if item[1] != SINCE_LOW_WINDOW],
        ):
            if chosen:
                best.append(max(chosen, key=lambda item: item[3]))
    # One sentence per lag leg and window ("large caps beat small caps" says it for micro caps
    # too); the stretch since the low is told for all of a lag's pairs at once instead.
    strongest: dict[tuple[str, str], PairCandidate] = {}
    for item in best:
        line, window, _, significance, _rank_found = item
        key = (line.lag, f"{window}:{line.lead}" if window == SINCE_LOW_WINDOW else window)
        if key not in strongest or significance > strongest[key][3]:
            strongest[key] = item
    return [item for item in best if item in strongest.values()]


def _pair_takeaways(briefing: Briefing, history: HistoryBook | None = None) -> Iterable[Takeaway]:
    since = _since_low_spreads(briefing)
    by_lag: dict[str, list[tuple[RotationLine, float]]] = {}
    for line, window, value, significance, rank in _pair_candidates(briefing, history):
        if window == SINCE_LOW_WINDOW:
            by_lag.setdefault(line.lag, []).append((line, significance))
            continue
        figures = {"spread_pp": value, "margin_pp": abs(value), **_rank_figures(rank)}
        yield Takeaway(
            id=f"{slug(line.name)}_{PAIR_WINDOW_IDS[window]}",
            kind=f"pair_{PAIR_WINDOW_IDS[window]}",
            subjects=(line.lead, line.lag),
            sentence=_sentence(
                "pair_window",
                line=line,
                window=window,
                spread=value,
                rank=rank,
                said=_rank_said(rank),
                share=figures.get("history_share_pct"),
            ),
            figures=figures,
            significance=round(significance, 2),
        )
    low = briefing.since_low
    for lag, group in by_lag.items():
        if low is None:
            continue
        legs: dict[str, float] = {}
        names: dict[str, str] = {}
        for line, _ in group:
            lead_return, lag_return, _spread = since[(line.lead, line.lag)]
            legs[line.lead], legs[line.lag] = lead_return, lag_return
            names[line.lead], names[line.lag] = line.lead_name, line.lag_name
        leads = sorted(
            ((leg, value) for leg, value in legs.items() if leg != lag), key=lambda item: -item[1]
        )[:SINCE_LOW_LEADS]
        ordered = sorted([*leads, (lag, legs[lag])], key=lambda item: -item[1])
        figures = {f"{slug(leg)}_since_low_pct": value for leg, value in ordered}
        # Participation of the weightiest lead: on how many sessions since the low it beat lag.
        strongest = max(group, key=lambda item: item[1])[0]
        beaten = None
        if history is not None:
            beaten = sessions_beaten(
                history.legs((strongest.lead, lag)),
                strongest.lead,
                lag,
                low.low_date,
                briefing.as_of,
            )
            # Said only when it bears the lead out: it beat the lag on most of the sessions.
            if 2 * beaten.beaten > beaten.sessions:
                figures["beaten_sessions"] = float(beaten.beaten)
                figures["sessions_since_low"] = float(beaten.sessions)
            else:
                beaten = None
        yield Takeaway(
            id=f"since_low_vs_{slug(lag)}",
            kind="since_low",
            subjects=tuple(leg for leg, _ in ordered),
            sentence=_sentence("since_low", low=low, legs=ordered, names=names, beaten=beaten),
            figures=figures,
            significance=round(max(s for _, s in group), 2),
        )


def _sector_takeaways(briefing: Briefing, *, relaxed: bool) -> Iterable[Takeaway]:
    board = briefing.sectors
    if len(board) < 2:
        return
    lines = {line.lead: line for line in briefing.sector_rotation}
    benchmark = lines[board[0].ticker].lag if board[0].ticker in lines else "SPY"
    benchmark_return = briefing.returns.get(benchmark, {}).get(briefing.period)
    for row, kind, sign in ((board[0], "sector_leader", 1), (board[-1], "sector_laggard", -1)):
        line = lines.get(row.ticker)
        spread = None if line is None else line.spread.get(briefing.period)
        significance = (
            None
            if line is None or spread is None
            else _significance(spread, _typical(briefing, line, briefing.period))
        )
        if not relaxed and (
            spread is None
            or sign * spread < SECTOR_MIN_PP
            or significance is None
            or significance < SECTOR_MIN_SIGNIFICANCE
        ):
            continue
        figures = {f"{slug(row.ticker)}_pct": _one(row.return_pct)}
        if benchmark_return is not None:
            figures[f"{slug(benchmark)}_pct"] = _one(benchmark_return)

        yield Takeaway(
            id=kind,
            kind=kind,
            subjects=(row.ticker, benchmark),
            sentence=_sentence(
                kind,
                row=row,
                period=briefing.period,
                benchmark=benchmark,
                benchmark_return=None if benchmark_return is None else _one(benchmark_return),
            ),
            figures=figures,
            significance=round(significance or 0.0, 2),
        )


def _breadth_takeaways(briefing: Briefing, *, relaxed: bool) -> Iterable[Takeaway]:
    shares = [
        (item, item.pct_above_50)
        for item in briefing.breadth
        if item.pct_above_50 is not None and (not relaxed or item.key == "sectors")
    ]
    if not shares:
        return
    item, share = max(shares, key=lambda pair: abs(pair[1] - 50.0))
    if not relaxed and abs(share - 50.0) < BREADTH_EXTREME:
        return
    yield Takeaway(
        id="breadth",
        kind="breadth",
        subjects=(item.key,),
        sentence=_sentence("breadth", item=item),
        figures={"above_50d": item.above_50, "counted_50d": item.counted_50},
        significance=round(abs(share - 50.0) / BREADTH_SCALE, 2),
    )


def _top_vs_rest_takeaways(
    members: IndexMembers, briefing: Briefing, book: MemberBook | None = None
) -> Iterable[Takeaway]:
    """Yield the top N vs the rest in its most significant window, when the gap is meaningful.

    With the members' book the gap is ranked among its values since MEMBERS_SAMPLE_START, and
    the sentence says the rank when notable (as a pair's) and that the sample is the members'.
    """
    rest_n = members.count - members.top_n
    scored: list[tuple[float, str, float, float, float]] = []
    for window in dict.fromkeys((briefing.period, "1D")):
        split = members.top_vs_rest.get(window)
        if split is None or rest_n <= 0:
            continue
        if members.cap_weighted:
            top, rest = split.top_cap, split.rest_cap
        else:
            top, rest = split.top_equal, split.rest_equal
        if top is None or rest is None:
            continue
        gap = _one(top - rest)  # from the unrounded figures: 1.46, not 1.5 - 0.1
        top, rest = _one(top), _one(rest)
        min_pp, min_significance = TOP_VS_REST_THRESHOLDS.get(
            window, TOP_VS_REST_THRESHOLDS["period"]
        )
        typical = briefing.typical_spreads.get(TOP_VS_REST_TYPICAL_PAIR, {}).get(window)
        significance = _significance(gap, typical)
        if significance is None or abs(gap) < min_pp or significance < min_significance:
            continue
        scored.append((significance, window, top, rest, gap))
    if not scored:
        return
    significance, window, top, rest, gap = max(scored)
    rank = None
    if book is not None:
        sample = book.top_vs_rest_history(members.index, window, MEMBERS_SAMPLE_START)
        rank = rank_in_history(sample, briefing.as_of, members=True)
        if rank is not None and (rank.value > 0) != (gap > 0):
            rank = None
    yield Takeaway(
        id=f"top_vs_rest_{slug(window)}",
        kind="top_vs_rest",
        subjects=(members.name, window),
        sentence=_sentence(
            "top_vs_rest",
            members=members,
            window=window,
            top=top,
            rest=rest,
            rest_n=rest_n,
            rank=rank,
            said=_rank_said(rank),
            share=_rank_figures(rank).get("history_share_pct"),
        ),
        figures={
            "top_n": float(members.top_n),
            "rest_n": float(rest_n),
            "top_pct": top,
            "rest_pct": rest,
            "gap_pp": gap,
            **_rank_figures(rank),
        },
        # Said, not weighed: three years and one weight snapshot cannot say how rare a gap is
        # over market cycles, so the short sample does not lift it above the long histories.
        significance=round(significance, 2),
    )


def _sector_breadth_takeaways(members: IndexMembers) -> Iterable[Takeaway]:
    """Yield the widest or narrowest sector's 200-day breadth, when it stands out."""
    index_share = members.breadth.pct_above_200d
    ranked = [
        sector
        for sector in members.breadth_ranked()
        if sector.breadth.counted_200d >= SECTOR_BREADTH_MIN_MEMBERS
    ]
    if index_share is None or not ranked:
        return

    def share(sector: SectorFigures) -> float:
        return round(sector.breadth.pct_above_200d or 0.0)

    index_pct = round(index_share)

    def stands_out(sector: SectorFigures, wide: bool) -> bool:
        extreme = (
            share(sector) >= SECTOR_BREADTH_WIDE if wide else share(sector) <= SECTOR_BREADTH_NARROW
        )
        return extreme and abs(share(sector) - index_pct) >= SECTOR_BREADTH_MIN_GAP

    standing_out = [
        s for s, wide in ((ranked[0], True), (ranked[-1], False)) if stands_out(s, wide)
    ]
    if not standing_out:
        return
    sector = max(standing_out, key=lambda s: abs(share(s) - 50.0))
    yield Takeaway(
        id="sector_breadth",
        kind="sector_breadth",
        subjects=(members.name, sector.sector),
        sentence=_sentence(
            "sector_breadth",
            members=members,
            sector=sector,
            share=share(sector),
            index_share=index_pct,
        ),
        figures={
            "sector_above_200d_pct": float(share(sector)),
            "index_above_200d_pct": float(index_pct),
            "sector_above_200d": float(sector.breadth.above_200d),
            "sector_counted_200d": float(sector.breadth.counted_200d),
        },
        significance=round(abs(share(sector) - 50.0) / BREADTH_SCALE, 2),
    )


def _factor_takeaways(briefing: Briefing, history: HistoryBook | None) -> Iterable[Takeaway]:
    """Yield the factor that beat every other (or trailed them all) over the past month.

    Of the universe's [factors] with a 1M return: the best, when it beat the benchmark by
    FACTOR_MIN_PP or more and the second best as shown (one decimal); the worst likewise below.
    """
    if history is None:
        return
    board = history.factors(briefing.as_of, (FACTOR_WINDOW,))
    ranked = [
        line for line in board.ranked(FACTOR_WINDOW) if line.returns[FACTOR_WINDOW] is not None
    ]
    benchmark_return = board.benchmark_returns.get(FACTOR_WINDOW)
    if len(ranked) < 3 or benchmark_return is None:
        return
    shown = [_one(line.returns[FACTOR_WINDOW] or 0.0) for line in ranked]
    benchmark_pct = _one(benchmark_return)
    best = ranked[0] if shown[0] - benchmark_pct >= FACTOR_MIN_PP and shown[0] > shown[1] else None
    worst = (
        ranked[-1] if benchmark_pct - shown[-1] >= FACTOR_MIN_PP and shown[-1] < shown[-2] else None
    )
    if best is None and worst is None:
        return
    figures = {"benchmark_pct": benchmark_pct}
    if best is not None:
        figures["best_pct"] = shown[0]
    if worst is not None:
        figures["worst_pct"] = shown[-1]
    # The sentence leads with the best factor: its margin sizes the fact (the worst's only
    # without a best; a lagging momentum is usually told by its own pair already).
    weighed, margin = (
        (best, shown[0] - benchmark_pct) if best else (worst, shown[-1] - benchmark_pct)
    )
    assert weighed is not None
    weight = _factor_weight(history, briefing.as_of, weighed.ticker, board.benchmark, margin)
    yield Takeaway(
        id="factors_month",
        kind="factors",
        subjects=tuple(line.ticker for line in (best, worst) if line is not None),
        sentence=_sentence(
            "factors",
            best=best,
            worst=worst,
            best_pct=figures.get("best_pct"),
            worst_pct=figures.get("worst_pct"),
            benchmark=board.benchmark,
            benchmark_pct=benchmark_pct,
        ),
        figures=figures,
        significance=round(weight, 2),
    )


def _factor_weight(
    history: HistoryBook, session: date, ticker: str, benchmark: str, margin: float
) -> float:
    """Return a factor's weight: |margin| / its typical 1M spread x (1 + 2 x rarity).

    Without a typical spread it weighs as a just-significant pair (FACTOR_SIGNIFICANCE).
    """
    typical = history.typical(ticker, benchmark, FACTOR_WINDOW, session)
    significance = _significance(margin, typical) or FACTOR_SIGNIFICANCE
    rank = history.rank(ticker, benchmark, FACTOR_WINDOW, session, since=RANK_SINCE)
    if rank is not None and (rank.value > 0) != (margin > 0):
        rank = None
    return _weight(significance, rank)


def _member_takeaways(briefing: Briefing, book: MemberBook | None = None) -> list[Takeaway]:
    """Return the first index's members' takeaways (none without member figures)."""
    if not briefing.members:
        return []
    members = briefing.members[0]
    return [
        *_top_vs_rest_takeaways(members, briefing, book),
        *_sector_breadth_takeaways(members),
    ]


def _ranking(takeaway: Takeaway) -> tuple[bool, float]:
    """Return the sort key: records first whatever a rare spread weighs, then by weight."""
    return (takeaway.kind != "records", -takeaway.significance)


def takeaways(
    briefing: Briefing, history: HistoryBook | None = None, members: MemberBook | None = None
) -> tuple[Takeaway, ...]:
    """Return the ranked takeaways of ``briefing`` (module doc): 3 to 9 where figures allow."""
    from_members = _member_takeaways(briefing, members)
    candidates = [
        *from_members,
        *_record_candidates(briefing),
        *_pair_takeaways(briefing, history),
        *_factor_takeaways(briefing, history),
        *_sector_takeaways(briefing, relaxed=False),
        *_breadth_takeaways(briefing, relaxed=False),
    ]
    chosen: list[Takeaway] = []
    since_low_told = 0
    for candidate in sorted(candidates, key=_ranking):
        is_since_low = candidate.id.startswith("since_low_")
        if is_since_low and since_low_told >= MAX_SINCE_LOW_TAKEAWAYS:
            continue  # a third "since the low" sentence repeats the story
        since_low_told += is_since_low
        chosen.append(candidate)
    top = chosen[:MAX_TAKEAWAYS]
    members_in_top = [t for t in top if t in from_members]
    late = [t for t in chosen[MAX_TAKEAWAYS:] if t in from_members]
    late = late[: max(MEMBER_SLOTS - len(members_in_top), 0)]
    others = [t for t in top if t not in from_members]
    others = others[: MAX_TAKEAWAYS - len(members_in_top) - len(late)]
    chosen = sorted([*members_in_top, *others, *late], key=_ranking)
    if len(chosen) < MIN_TAKEAWAYS:
        seen = {t.id for t in chosen}
        fillers = [
            *_sector_takeaways(briefing, relaxed=True),
            *_breadth_takeaways(briefing, relaxed=True),
        ]
        for filler in fillers:
            if len(chosen) >= MIN_TAKEAWAYS:
                break
            if filler.id not in seen:
                chosen.append(filler)
                seen.add(filler.id)
    return tuple(chosen)


# --- what changed --------------------------------------------------------------------------


def _order(alert: Alert) -> int:
    kind: str = alert.kind
    if alert.kind == "quadrant":
        kind = f"quadrant:{alert.message.get('scope')}"
        if kind == "quadrant:pair" and alert.message.get("to_quadrant") in LEADERSHIP_QUADRANTS:
            kind = "quadrant:pair:lead"
    return CHANGE_ORDER.index(kind) if kind in CHANGE_ORDER else len(CHANGE_ORDER)


def changes(alerts: Sequence[Alert]) -> tuple[Change, ...]:
    """Return the alerts as changes, most telling first (CHANGE_ORDER), in words."""
    ordered = sorted(alerts, key=_order)
    return tuple(
        Change(
            id=alert.key,
            kind=alert.kind,
            subjects=(alert.key.split(":", 1)[-1],),
            sentence=_sentence("change", a=alert),
        )
        for alert in ordered
    )
