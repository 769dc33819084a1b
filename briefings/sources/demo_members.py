"""The demo market's simulated index members: about 500, with sectors and skewed weights.

For the S&P 500 the seven mega caps the demo market defines lead the list; the others are
generated members ("S001".."S493"; another index's are named after it, e.g. "SP600-001") whose
sector is the one their demo price profile loads on, so sector returns from members follow the
simulated sector factors. Weights fall with rank, w_k proportional to 1 / k (normalised to
100%), so a few very large members dominate as in a real cap-weighted index (1 / sqrt(k) for
other indexes, which are less concentrated).
Everything is a pure function of the seed: the same members on every machine and every day.
"""

from __future__ import annotations

from functools import cache

from briefings.members.model import Holdings, Member
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
    leaders = MEGA_CAPS if index == "sp500" else ()
    prefix = "S" if index == "sp500" else f"{index.upper()}-"
    generated = range(1, count - len(leaders) + 1)
    names = {**MEGA_CAP_NAMES, **{f"{prefix}{k:03d}": f"Simulated Co {k:03d}" for k in generated}}
    tickers = [*leaders, *(f"{prefix}{k:03d}" for k in generated)]
    # A small-cap index is far less concentrated than the S&P 500: w_k ~ 1 / sqrt(k) there.
    power = 1.0 if leaders else 0.5
    raw = [1.0 / rank**power for rank in range(1, len(tickers) + 1)]
    scale = 100.0 / sum(raw)
    members = []
    for rank, ticker in enumerate(tickers):
        profile = PROFILES.get(ticker) or hashed_profile(ticker, seed)
        sector = GICS_OF_DEMO_SECTOR[profile.sector or "industrials"]
        name = names[ticker]
        members.append(Member(ticker, name, sector, round(raw[rank] * scale, 6)))
    return Holdings(
        index=index,
        members=tuple(members),
        as_of=ANCHOR,
        origin="simulated members (demo market)",
        simulated=True,
    )
