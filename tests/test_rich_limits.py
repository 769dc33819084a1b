"""Samples of the rich-limits sweep (tests/sweeps/rich.py) on real sessions, both languages."""

from __future__ import annotations

from datetime import date

import pytest

from briefings import MarketService
from tests.sweeps.rich import check_rich

#: A year's first session, a quarter's end, the April 2025 sell-off and the data's last session.
SAMPLES = [date(2025, 1, 2), date(2025, 4, 8), date(2025, 12, 31), date(2026, 7, 31)]


@pytest.mark.parametrize("session", SAMPLES, ids=str)
def test_the_briefing_fits_one_rich_message(real_service: MarketService, session: date) -> None:
    check_rich(real_service, session)
