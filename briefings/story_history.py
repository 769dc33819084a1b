"""Tell what history says of the session: the regime's record, what followed, cyclical streaks.

The story's history facts (``Story.history``), told in the full briefing, the CLI and JSON;
the phone summary keeps to the takeaways. Rules (docs/methodology.md, "Rank in history"):

- ``regime_record``: the current regime's earlier complete runs since the first session with
  a verdict (how many, their median length, the longest and when it ended) and the runs just
  before this one, latest first (at most PAST_RUNS).
- ``analogs_<pair>``: for the first pair the takeaways tell over the month (MAX_ANALOGS),
  the earlier episodes since 2000 of its 1M spread reaching t = sign x max(1, floor(|spread|))
  pp (``briefings.history.analogs``: a month or more apart, each with its next 3 months known)
  and how many were followed by a further lead, with the median outcome in the winner's terms.
  History, not a forecast, and labelled so; not said with fewer than 8 episodes; the fact
  carries its episodes so anyone can check them.
- ``cyclical_streaks``: the cyclical industries (the universe's ``cyclicals`` group) that
  closed higher STREAK_MIN_SESSIONS or more sessions in a row, longest first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

from briefings.history.book import HistoryBook
from briefings.history.regime import regime_record
from briefings.model import Fact, Sentence, Takeaway, Verdict

PAST_RUNS = 3
"""The runs before the current one the regime's record names."""
MAX_ANALOGS = 1
STREAK_GROUP = "cyclicals"
STREAK_MIN_SESSIONS = 3
MAX_STREAKS = 3


def _one(value: float) -> float:
    """Round a figure to the one decimal the sentences show (no -0.0)."""
    rounded = round(value, 1)
    return 0.0 if rounded == 0 else rounded


def history_facts(
    as_of: date,
    verdict: Verdict,
    takeaways: Sequence[Takeaway],
    history: HistoryBook | None,
) -> tuple[Fact, ...]:
    """Return the session's history facts (module doc): none without a history book."""
    if history is None:
        return ()
    return (
        *_regime_record(as_of, verdict, history),
        *_analogs(as_of, takeaways, history),
        *_cyclical_streaks(as_of, history),
    )


def _regime_record(as_of: date, verdict: Verdict, history: HistoryBook) -> Iterable[Fact]:
    if verdict.id == "no_verdict":
        return
    age = history.regime_age(as_of)
    if age is None or age.regime != verdict.id:
        return
    record = regime_record(history.regime_runs(), age.regime, before=age.since)
    past = age.past[:PAST_RUNS]
    if record is None and not past:
        return
    figures: dict[str, float] = {"sessions": float(age.sessions)}
    if record is not None:
        figures |= {
            "runs": float(record.runs),
            "median_sessions": _one(record.median_sessions),
            "longest_sessions": float(record.longest.sessions),
            "since_year": float(record.since.year),
        }
    for number, run in enumerate(past, start=1):
        figures[f"past_{number}_sessions"] = float(run.sessions)
    yield Fact(
        id="regime_record",
        kind="regime_record",
        subjects=(age.regime,),
        sentence=Sentence(
            "regime_record",
            {"age": age, "record": record, "past": past, "median": figures.get("median_sessions")},
        ),
        figures=figures,
    )


def _analogs(as_of: date, takeaways: Sequence[Takeaway], history: HistoryBook) -> Iterable[Fact]:
    told = 0
    for takeaway in takeaways:
        if takeaway.kind != "pair_month" or told >= MAX_ANALOGS:
            continue
        spread = takeaway.figures["spread_pp"]
        sign = 1.0 if spread > 0 else -1.0
        threshold = sign * max(1.0, float(math.floor(abs(spread))))
        lead, lag = takeaway.subjects
        found = history.analogs(lead, lag, as_of, threshold)
        if found is None:
            continue
        told += 1
        median = _one(sign * found.median_outcome)
        yield Fact(
            id=f"analogs_{takeaway.id.removesuffix('_month')}",
            kind="analogs",
            subjects=takeaway.subjects,
            sentence=Sentence(
                "analogs",
                {"takeaway": takeaway, "analogs": found, "lead_won": spread > 0, "median": median},
            ),
            figures={
                "episodes": float(found.count),
                "hits": float(found.hits),
                "threshold_pp": abs(threshold),
                "median_pp": median,
                "since_year": float(found.since.year),
                "horizon_months": float(found.horizon_months),
            },
            episodes=found.episodes,
        )


def _cyclical_streaks(as_of: date, history: HistoryBook) -> Iterable[Fact]:
    universe = history.universe
    if STREAK_GROUP not in {group.key for group in universe.groups}:
        return
    members = universe.group(STREAK_GROUP).members
    streaks = history.up_streaks(members, as_of, STREAK_MIN_SESSIONS)[:MAX_STREAKS]
    if not streaks:
        return
    yield Fact(
        id="cyclical_streaks",
        kind="streaks",
        subjects=tuple(streak.leg for streak in streaks),
        sentence=Sentence(
            "cyclical_streaks",
            {"streaks": streaks, "names": {s.leg: universe.name(s.leg) for s in streaks}},
        ),
        figures={f"{streak.leg.lower()}_up_sessions": float(streak.sessions) for streak in streaks},
    )
