"""The verdict's rule, shared by the day's story and the regime of every past session.

A key pair leans when its 1M spread is at least ``LEAN_MIN_PP`` and at least
``LEAN_MIN_SIGNIFICANCE`` of its typical 1M spread. With at least ``VERDICT_MIN_PAIRS`` measured,
``VERDICT_MIN_LEANING`` leaning broad and none narrow is "broadening", the mirror is "narrow",
anything else is "mixed" (docs/methodology.md, "Verdict").
"""

from __future__ import annotations

#: The pairs the verdict reads, as (lead, lag): each lead is the broad side.
KEY_PAIRS: tuple[tuple[str, str], ...] = (
    ("IWM", "SPY"),
    ("RSP", "SPY"),
    ("IWD", "IWF"),
    ("basket:cyclicals", "basket:megacap_tech"),
)
VERDICT_WINDOW = "1M"
LEAN_MIN_PP = 1.0
LEAN_MIN_SIGNIFICANCE = 0.5
VERDICT_MIN_PAIRS = 3
VERDICT_MIN_LEANING = 3
