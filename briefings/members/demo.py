"""The demo market's simulated index members: about 500, with sectors and skewed weights.

For the S&P 500 they are the demo market's own index (``briefings.sources.demo``): the seven
mega caps it defines, then generated members "S001".."S493", each following its sector ETF's
return path plus its own moves, which cancel out in the sector's cap-weighted return, so the
members add up to the sector ETFs and to SPY. Weights fall with rank, w_k proportional to 1 / k
(normalised to 100%), so a few very large members dominate as in a real cap-weighted index.
Another index's members are named after it (e.g. "SP600-001"), with the sector their hashed
demo price profile loads on, weighted 1 / sqrt(k) (less concentrated).
Everything is a pure function of the seed: the same members on every machine and every day.
"""

from __future__ import annotations

from functools import cache

from briefings.members.model import Holdings, Member
from briefings.sources.demo import ANCHOR, hashed_profile, index_members

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
    if index == "sp500":
        members = tuple(
            Member(
                m.ticker,
                MEGA_CAP_NAMES.get(m.ticker, f"Simulated Co {m.ticker[1:]}"),
                GICS_OF_DEMO_SECTOR[m.sector],
                m.weight,
            )
            for m in index_members()
        )
    else:
        members = _hashed_members(index, count, seed)
    return Holdings(
        index=index,
        members=members,
        as_of=ANCHOR,
        origin="simulated members (demo market)",
        simulated=True,
    )


def _hashed_members(index: str, count: int, seed: int) -> tuple[Member, ...]:
    """Return generated members with hashed profiles' sectors, w_k ~ 1 / sqrt(k)."""
    prefix = f"{index.upper()}-"
    tickers = [f"{prefix}{k:03d}" for k in range(1, count + 1)]
    raw = [1.0 / rank**0.5 for rank in range(1, len(tickers) + 1)]
    scale = 100.0 / sum(raw)
    members = []
    for rank, ticker in enumerate(tickers):
        sector = GICS_OF_DEMO_SECTOR[hashed_profile(ticker, seed).sector or "industrials"]
        name = f"Simulated Co {rank + 1:03d}"
        members.append(Member(ticker, name, sector, round(raw[rank] * scale, 6)))
    return tuple(members)
