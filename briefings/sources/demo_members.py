"""The demo market's simulated index members: about 500, with sectors and skewed weights.

The seven mega caps the demo market defines lead the list; the others are generated members
"S001".."S493" whose sector is the one their demo price profile loads on, so sector returns from
members follow the simulated sector factors. Weights fall with rank, w_k proportional to 1 / k
(normalised to 100%), so a few very large members dominate as in a real cap-weighted index.
Everything is a pure function of the seed: the same members on every machine and every day.
"""

from __future__ import annotations

from functools import cache

from briefings.members import Holdings, Member
from briefings.sources.demo import ANCHOR, PROFILES, hashed_profile

MEGA_CAPS: tuple[str, ...] = ("NVDA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "TSLA")
MEGA_CAP_NAMES = {
    "NVDA": "Nvidia",
    "AAPL": "Apple",
    "MSFT": "Microsoft",
    "AMZN": "Amazon",
    "GOOGL": "Alphabet",
    "META": "Meta",
    "TSLA": "Tesla",
}
DEMO_MEMBERS = 500
#: The demo market's sector factors by GICS sector name.
GICS_OF_DEMO_SECTOR = {
    "technology": "Information Technology",
    "health_care": "Health Care",
    "financials": "Financials",
    "industrials": "Industrials",
    "discretionary": "Consumer Discretionary",
    "staples": "Consumer Staples",
    "energy": "Energy",
    "utilities": "Utilities",
    "materials": "Materials",
    "communication": "Communication Services",
    "real_estate": "Real Estate",
}


@cache
def demo_holdings(index: str, count: int = DEMO_MEMBERS, seed: int = 7) -> Holdings:
    """Return the simulated members of ``index``, weighted as of the demo market's anchor day."""
    tickers = [*MEGA_CAPS, *(f"S{k:03d}" for k in range(1, count - len(MEGA_CAPS) + 1))]
    raw = [1.0 / rank for rank in range(1, len(tickers) + 1)]
    scale = 100.0 / sum(raw)
    members = []
    for rank, ticker in enumerate(tickers):
        profile = PROFILES.get(ticker) or hashed_profile(ticker, seed)
        sector = GICS_OF_DEMO_SECTOR[profile.sector or "industrials"]
        name = MEGA_CAP_NAMES.get(ticker, f"Simulated Co {ticker[1:]}")
        members.append(Member(ticker, name, sector, round(raw[rank] * scale, 6)))
    return Holdings(
        index=index,
        members=tuple(members),
        as_of=ANCHOR,
        origin="simulated members (demo market)",
        simulated=True,
    )
