"""A deterministic simulated market: a factor model over NYSE sessions, generated in code.

Daily log return of a ticker:
    r = beta*market + size*SMB + value*HML + cyclical*CYC + tech*TECH + w*sector + alpha + idio
Each factor is a slow regime drift (sinusoids with different periods, so leadership rotates every
few months, plus a recurring sharp small-cap rally) plus the daily change of a mean-reverting
AR(1) level driven by random shocks: day to day it moves like a random walk, yet over years no
factor wanders far from its regime path, so every date shows rotation, streaks and new highs.
Every random number is counter-based: a hash (SplitMix64, integer arithmetic only) of (seed,
stream, ticker, session, column), so a close for (seed, date, ticker) is the same whatever range
is requested, whatever today is and whatever NumPy version runs it (NumPy does not promise its
Generator streams across versions). A shock is the sum of 12 such uniforms minus 6 (Irwin-Hall:
mean 0, variance 1, close to normal), added one by one so no reduction order can change it.

The demo S&P 500 (``index_members``) is built on top so that it adds up: each member's return is
its sector ETF's plus moves of its own that cancel out in the sector's cap-weighted value (up to
a small tracking difference), and SPY holds the sector ETFs at the members' sector weights.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from briefings.calendar import calendar_bounds, sessions_in_range
from briefings.sources.base import FetchResult

FloatArray = npt.NDArray[np.float64]

#: The first simulated session.
EPOCH = date(2012, 1, 3)
#: Prices are scaled so every ticker closes at its anchor price on this session.
ANCHOR = date(2025, 1, 2)
#: The AR(1) levels are solved this many sessions at a time (see mean_reverting_changes).
BLOCK = 256
#: Uniforms summed per standard-normal-like shock (Irwin-Hall).
UNIFORMS_PER_SHOCK = 12

STYLE_FACTORS: tuple[str, ...] = ("size", "value", "cyclical", "tech")
SECTORS: tuple[str, ...] = (
    "technology",
    "health_care",
    "financials",
    "industrials",
    "discretionary",
    "staples",
    "energy",
    "utilities",
    "materials",
    "communication",
    "real_estate",
)
FACTORS: tuple[str, ...] = ("market", *STYLE_FACTORS, *SECTORS)

# Seed-sequence stream tags keep factor shocks and per-ticker shocks independent.
_FACTOR_STREAM = 1
_IDIO_STREAM = 2
_PROFILE_STREAM = 3
_MEMBER_STREAM = 4


@dataclass(frozen=True)
class Regime:
    """A factor's drift base + amplitude * sin(2*pi*t/period + phase), shock vol, reversion."""

    base: float
    amplitude: float
    period: float
    phase: float
    vol: float
    reversion: float
    """Mean-reversion time of the shock-driven level, in sessions."""


REGIMES: dict[str, Regime] = {
    "market": Regime(0.0005, 0.0007, period=397, phase=3.9, vol=0.0085, reversion=100),
    "size": Regime(0.0, 0.0015, period=131, phase=1.3, vol=0.0045, reversion=80),
    "value": Regime(0.0, 0.0012, period=109, phase=2.1, vol=0.0040, reversion=80),
    "cyclical": Regime(0.0, 0.0012, period=89, phase=0.3, vol=0.0035, reversion=70),
    "tech": Regime(0.0003, 0.0010, period=151, phase=4.0, vol=0.0050, reversion=100),
    **{
        sector: Regime(0.0, 0.0008, period=60 + 8 * k, phase=0.9 * k, vol=0.0040, reversion=60)
        for k, sector in enumerate(SECTORS)
    },
}
#: Mean-reversion time of every ticker's idiosyncratic level, in sessions.
IDIO_REVERSION = 150.0

#: A sharp small-cap rally: every RALLY_EVERY sessions, RALLY_LENGTH sessions of extra SMB drift.
RALLY_EVERY = 167
RALLY_LENGTH = 10
RALLY_DRIFT = 0.0045
#: Session ordinal (from EPOCH) of a rally's first day; this one starts on 2025-11-11.
RALLY_START = 3485
#: Momentum: MTUM tilts towards each style factor's trailing return over this many sessions.
MOMENTUM_LOOKBACK = 126


@dataclass(frozen=True)
class Profile:
    """A ticker's factor loadings, daily idiosyncratic vol, extra drift and anchor price."""

    price: float
    beta: float = 1.0
    size: float = 0.0
    value: float = 0.0
    cyclical: float = 0.0
    tech: float = 0.0
    sector: str | None = None
    sector_weight: float = 1.0
    idio_vol: float = 0.006
    alpha: float = 0.0


@dataclass(frozen=True)
class IndexProfile:
    """An index that tracks an ETF, minus the dividends the ETF's adjusted close includes."""

    etf: str
    price: float
    dividend_yield: float


# Anchor prices are roughly the real closes of 2025-01-02, so levels look familiar.
PROFILES: dict[str, Profile] = {
    "SPY": Profile(585, beta=1.0, size=-0.15, tech=0.25, idio_vol=0.0008),
    "QQQ": Profile(510, beta=1.1, size=-0.3, value=-0.5, tech=0.9, idio_vol=0.002),
    "IWM": Profile(222, beta=1.1, size=1.0, value=0.3, cyclical=0.3, idio_vol=0.002),
    "IWC": Profile(125, beta=1.15, size=1.45, value=0.3, cyclical=0.4, idio_vol=0.004),
    "MDY": Profile(560, beta=1.05, size=0.55, value=0.2, cyclical=0.3, idio_vol=0.002),
    "IWD": Profile(190, beta=0.95, value=0.55, cyclical=0.2, tech=-0.3, idio_vol=0.0015),
    "IWF": Profile(400, beta=1.05, size=-0.2, value=-0.5, tech=0.6, idio_vol=0.0015),
    "XLK": Profile(232, beta=1.1, value=-0.4, tech=1.0, sector="technology", idio_vol=0.003),
    "XLV": Profile(138, beta=0.75, cyclical=-0.5, sector="health_care", idio_vol=0.003),
    "XLF": Profile(48, beta=1.05, value=0.7, cyclical=0.5, sector="financials", idio_vol=0.003),
    "XLI": Profile(132, beta=1.0, value=0.3, cyclical=0.8, sector="industrials", idio_vol=0.003),
    "XLY": Profile(225, beta=1.1, cyclical=0.6, tech=0.2, sector="discretionary", idio_vol=0.004),
    "XLP": Profile(78, beta=0.6, cyclical=-0.7, sector="staples", idio_vol=0.003),
    "XLE": Profile(
        86, beta=0.9, value=0.8, cyclical=0.6, sector="energy", sector_weight=2.0, idio_vol=0.004
    ),
    "XLU": Profile(75, beta=0.55, cyclical=-0.8, sector="utilities", idio_vol=0.003),
    "XLB": Profile(87, beta=1.0, value=0.4, cyclical=0.7, sector="materials", idio_vol=0.003),
    "XLC": Profile(97, beta=1.0, tech=0.6, sector="communication", idio_vol=0.004),
    "XLRE": Profile(42, beta=0.9, value=0.2, cyclical=-0.2, sector="real_estate", idio_vol=0.004),
    "IYT": Profile(70, beta=1.1, size=0.3, cyclical=1.0, sector="industrials", idio_vol=0.005),
    "JETS": Profile(24, beta=1.3, size=0.4, cyclical=1.5, sector="industrials", idio_vol=0.012),
    "XHB": Profile(105, beta=1.2, size=0.4, cyclical=1.1, sector="discretionary", idio_vol=0.008),
    "XRT": Profile(78, beta=1.1, size=0.7, cyclical=0.9, sector="discretionary", idio_vol=0.007),
    "KRE": Profile(
        58, beta=1.15, size=0.8, value=1.0, cyclical=0.6, sector="financials", idio_vol=0.008
    ),
    "BOAT": Profile(
        30, beta=1.0, value=0.6, cyclical=1.0, sector="energy", sector_weight=0.5, idio_vol=0.011
    ),
    "AAPL": Profile(
        243, beta=1.15, size=-0.4, value=-0.4, tech=1.0, sector="technology", idio_vol=0.013
    ),
    "MSFT": Profile(
        418, beta=1.1, size=-0.4, value=-0.4, tech=1.0, sector="technology", idio_vol=0.012
    ),
    "NVDA": Profile(
        138,
        beta=1.6,
        size=-0.3,
        value=-0.6,
        tech=1.6,
        sector="technology",
        idio_vol=0.022,
        alpha=0.0006,
    ),
    "AMZN": Profile(
        220, beta=1.2, size=-0.4, value=-0.5, tech=1.0, sector="discretionary", idio_vol=0.015
    ),
    "GOOGL": Profile(
        189, beta=1.1, size=-0.4, value=-0.4, tech=0.9, sector="communication", idio_vol=0.014
    ),
    "META": Profile(
        599, beta=1.3, size=-0.4, value=-0.5, tech=1.2, sector="communication", idio_vol=0.018
    ),
    "TSLA": Profile(
        379,
        beta=1.7,
        size=-0.2,
        value=-0.6,
        cyclical=0.3,
        tech=1.3,
        sector="discretionary",
        idio_vol=0.028,
        alpha=0.0004,
    ),
    # The factor funds of the scoreboard: loadings that match what each fund holds.
    "QUAL": Profile(176, beta=1.0, size=-0.3, value=-0.1, tech=0.4, idio_vol=0.002),
    "USMV": Profile(90, beta=0.7, size=-0.1, cyclical=-0.4, idio_vol=0.002),
    "SIZE": Profile(150, beta=1.0, size=0.3, idio_vol=0.002),
    "SPHB": Profile(95, beta=1.5, size=0.4, cyclical=0.6, tech=0.4, idio_vol=0.006),
    "SPLV": Profile(71, beta=0.6, value=0.3, cyclical=-0.6, idio_vol=0.002),
}

INDEXES: dict[str, IndexProfile] = {
    "^GSPC": IndexProfile(etf="SPY", price=5868, dividend_yield=0.013),
    "^NDX": IndexProfile(etf="QQQ", price=21011, dividend_yield=0.006),
    "^RUT": IndexProfile(etf="IWM", price=2243, dividend_yield=0.012),
}

#: RSP is built from the sector ETFs: their average return, topped up to a beta of one.
EQUAL_WEIGHT = "RSP"
EQUAL_WEIGHT_MEMBERS: tuple[str, ...] = (
    "XLK", "XLV", "XLF", "XLI", "XLY", "XLP", "XLE", "XLU", "XLB", "XLC", "XLRE",
)  # fmt: skip
EQUAL_WEIGHT_PRICE = 175.0
#: MTUM: the market plus a tilt towards whichever style factors have been winning.
MOMENTUM = "MTUM"
MOMENTUM_PRICE = 200.0

#: The ETF whose return path a sector's index members follow.
SECTOR_ETFS: dict[str, str] = {PROFILES[etf].sector or "": etf for etf in EQUAL_WEIGHT_MEMBERS}
#: The demo S&P 500: the seven mega caps the market defines, then generated "S001".."S493".
CAP_WEIGHTED = "SPY"
INDEX_MEMBERS = 500
MEGA_CAPS: tuple[str, ...] = ("NVDA", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "TSLA")
#: Generated members fall in sectors in these proportions (about the S&P 500's member counts).
SECTOR_SHARES: dict[str, int] = {
    "technology": 69,
    "health_care": 60,
    "financials": 72,
    "industrials": 78,
    "discretionary": 50,
    "staples": 38,
    "energy": 22,
    "utilities": 31,
    "materials": 28,
    "communication": 23,
    "real_estate": 31,
}
#: The members' own moves are fixed for every seed: the index's list never changes.
MEMBER_SEED = 7
#: A mega cap's own moves are this share of its profile's idiosyncratic volatility.
MEGA_CAP_IDIO_SCALE = 0.7
#: Daily volatility of the members' sector return against their sector ETF's (tracking).
SECTOR_TRACKING_VOL = 0.0003


@dataclass(frozen=True)
class IndexMember:
    """A member of the demo S&P 500: its sector, index weight (percent at ANCHOR) and price."""

    ticker: str
    sector: str
    weight: float
    price: float
    idio_vol: float


def _generated_member(ticker: str) -> tuple[str, float, float]:
    """Return a generated member's (sector, anchor price, idiosyncratic vol), from its name."""
    u = [
        float(x)
        for x in hashed_uniforms(
            MEMBER_SEED, _MEMBER_STREAM, _ticker_key(ticker), np.arange(3, dtype=np.uint64)
        )
    ]
    point, total = u[1] * sum(SECTOR_SHARES.values()), 0
    sector = SECTORS[-1]
    for name, share in SECTOR_SHARES.items():
        total += share
        if point < total:
            sector = name
            break
    return sector, 10 ** (1.0 + 1.6 * u[0]), 0.008 + 0.010 * u[2]


@cache
def index_members() -> tuple[IndexMember, ...]:
    """Return the demo S&P 500's members, weights falling with rank: w_k = 100 * (1/k) / H_n."""
    generated = [f"S{k:03d}" for k in range(1, INDEX_MEMBERS - len(MEGA_CAPS) + 1)]
    raw = [1.0 / rank for rank in range(1, INDEX_MEMBERS + 1)]
    scale = 100.0 / sum(raw)
    members = []
    for rank, ticker in enumerate((*MEGA_CAPS, *generated)):
        profile = PROFILES.get(ticker)
        if profile is not None:
            sector = profile.sector or ""
            price, vol = profile.price, MEGA_CAP_IDIO_SCALE * profile.idio_vol
        else:
            sector, price, vol = _generated_member(ticker)
        members.append(IndexMember(ticker, sector, round(raw[rank] * scale, 6), price, vol))
    return tuple(members)


@cache
def _members_by_ticker() -> dict[str, IndexMember]:
    return {member.ticker: member for member in index_members()}


def sector_weights() -> dict[str, float]:
    """Return each sector's share of the demo S&P 500 at ANCHOR, in percent, in SECTORS order."""
    weights = dict.fromkeys(SECTORS, 0.0)
    for member in index_members():
        weights[member.sector] += member.weight
    return weights


def mean_reverting_changes(shocks: FloatArray, reversion: float) -> FloatArray:
    """Return x_t - x_{t-1} for x_t = phi*x_{t-1} + shock_t, phi = exp(-1/reversion), x_-1 = 0.

    Solved block by block in closed form, x_j = phi^(j+1) * (x0 + sum_{s<=j} shock_s / phi^(s+1)),
    which is vectorised yet stays well conditioned because phi^BLOCK is not tiny.
    """
    phi = math.exp(-1.0 / reversion)
    column = shocks.reshape(len(shocks), -1)
    powers = (phi ** np.arange(1, BLOCK + 1, dtype=np.float64))[:, None]
    levels = np.empty_like(column)
    state = np.zeros(column.shape[1])
    for begin in range(0, len(column), BLOCK):
        chunk = column[begin : begin + BLOCK]
        scale = powers[: len(chunk)]
        levels[begin : begin + len(chunk)] = scale * (state + np.cumsum(chunk / scale, axis=0))
        state = levels[begin + len(chunk) - 1]
    changes: FloatArray = np.diff(levels, axis=0, prepend=np.zeros((1, column.shape[1])))
    return changes.reshape(shocks.shape)


def _ticker_key(ticker: str) -> int:
    """Return a stable 64-bit number for ``ticker`` (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(ticker.encode(), digest_size=8).digest(), "little")


_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)


def _splitmix64(counters: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Return SplitMix64 of each counter (arrays only: uint64 arithmetic wraps silently)."""
    z = counters + _GOLDEN
    z = (z ^ (z >> _U64(30))) * _MIX1
    z = (z ^ (z >> _U64(27))) * _MIX2
    mixed: npt.NDArray[np.uint64] = z ^ (z >> _U64(31))
    return mixed


def _stream_key(seed: int, stream: int, key: int) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}:{stream}:{key}".encode(), digest_size=8).digest()
    return _U64(int.from_bytes(digest, "little"))


def hashed_uniforms(
    seed: int, stream: int, key: int, counters: npt.NDArray[np.uint64]
) -> FloatArray:
    """Return a uniform in [0, 1) per counter, a pure function of (seed, stream, key, counter)."""
    bits = _splitmix64(_splitmix64(counters) ^ _stream_key(seed, stream, key))
    uniforms: FloatArray = (bits >> _U64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return uniforms


def hashed_profile(ticker: str, seed: int) -> Profile:
    """Return stable, plausible loadings for a ticker the demo market does not define."""
    u = [
        float(x)
        for x in hashed_uniforms(
            seed, _PROFILE_STREAM, _ticker_key(ticker), np.arange(8, dtype=np.uint64)
        )
    ]

    def between(low: float, high: float, draw: float) -> float:
        return low + (high - low) * draw

    return Profile(
        price=10 ** between(1.0, 2.6, u[0]),
        beta=between(0.7, 1.4, u[1]),
        size=between(-0.5, 1.0, u[2]),
        value=between(-0.6, 0.8, u[3]),
        cyclical=between(-0.6, 1.0, u[4]),
        tech=between(-0.4, 1.0, u[5]),
        sector=SECTORS[min(int(u[6] * len(SECTORS)), len(SECTORS) - 1)],
        idio_vol=between(0.006, 0.02, u[7]),
    )


class _Market:
    """Factor returns over the first ``length`` sessions from EPOCH, and tickers' log prices."""

    def __init__(self, seed: int, sessions: Sequence[date]) -> None:
        self.seed = seed
        self.sessions = np.array(sessions, dtype="datetime64[D]")
        self.length = len(sessions)
        self.anchor_index = int(np.searchsorted(self.sessions, np.datetime64(ANCHOR, "D")))
        t = np.arange(self.length, dtype=np.float64)
        market = REGIMES["market"]
        market_phase = 2 * math.pi * t / market.period + market.phase
        # Volatility rises while the market's drift is negative: corrections are choppier.
        self.vol_scale: FloatArray = 1.0 + 0.35 * np.maximum(0.0, -np.sin(market_phase))
        shocks = self._draws(_FACTOR_STREAM, len(FACTORS))
        self.factors: dict[str, FloatArray] = {}
        for column, name in enumerate(FACTORS):
            regime = REGIMES[name]
            drift = regime.base + regime.amplitude * np.sin(
                2 * math.pi * t / regime.period + regime.phase
            )
            level_shocks = regime.vol * self.vol_scale * shocks[:, column]
            self.factors[name] = drift + mean_reverting_changes(level_shocks, regime.reversion)
        rally = ((np.arange(self.length) - RALLY_START) % RALLY_EVERY) < RALLY_LENGTH
        self.factors["size"] = self.factors["size"] + RALLY_DRIFT * rally
        self._log_prices: dict[str, FloatArray] = {}
        self._returns: dict[str, FloatArray] = {}
        self._residuals: dict[str, dict[str, FloatArray]] = {}

    def _draws(self, stream: int, width: int, key: int = 0) -> FloatArray:
        """Return (sessions x width) shocks; each depends only on its session and column."""
        cells = np.arange(self.length * width, dtype=np.uint64) * _U64(UNIFORMS_PER_SHOCK)
        total = np.full(cells.shape, -UNIFORMS_PER_SHOCK / 2, dtype=np.float64)
        for k in range(UNIFORMS_PER_SHOCK):
            total = total + hashed_uniforms(self.seed, stream, key, cells + _U64(k))
        shocks: FloatArray = total.reshape(self.length, width)
        return shocks

    def _idio(self, ticker: str, vol: float) -> FloatArray:
        shocks = self._draws(_IDIO_STREAM, 1, _ticker_key(ticker))[:, 0]
        return mean_reverting_changes(vol * self.vol_scale * shocks, IDIO_REVERSION)

    def _factor_return(self, ticker: str, profile: Profile) -> FloatArray:
        # Summed term by term, never with a matrix product: BLAS may reorder the additions by
        # array length, and a close must not depend on how much history was generated.
        total = profile.beta * self.factors["market"]
        total = total + profile.size * self.factors["size"]
        total = total + profile.value * self.factors["value"]
        total = total + profile.cyclical * self.factors["cyclical"]
        total = total + profile.tech * self.factors["tech"]
        if profile.sector is not None:
            total = total + profile.sector_weight * self.factors[profile.sector]
        result: FloatArray = total + profile.alpha + self._idio(ticker, profile.idio_vol)
        return result

    def _equal_weight_return(self) -> FloatArray:
        members = [PROFILES[ticker] for ticker in EQUAL_WEIGHT_MEMBERS]
        total = np.zeros(self.length)
        for ticker in EQUAL_WEIGHT_MEMBERS:
            total = total + self.returns(ticker)
        average = total / len(members)
        beta_gap = 1.0 - sum(member.beta for member in members) / len(members)
        tilt = beta_gap * self.factors["market"] + 0.25 * self.factors["size"]
        result: FloatArray = average + tilt + self._idio(EQUAL_WEIGHT, 0.001)
        return result

    def _member_residuals(self, sector: str) -> dict[str, FloatArray]:
        """Return the daily changes of each member's own level in ``sector``, cap-weight-neutral.

        A member's own level is e_i(t) = x_i(t) - x_i(A) - k(t), x_i its mean-reverting level and
        A the ANCHOR session; k(t) = log(sum_j w_j exp(x_j(t) - x_j(A)) / sum_j w_j) - y(t) over
        the sector's members (weights at A), so sum_j w_j exp(e_j(t)) = exp(y(t)) sum_j w_j: held
        from A, the members are worth the sector ETF, give or take y, a small mean-reverting
        tracking difference (as an ETF's caps and fees make it differ from its sector).
        """
        listed = [member for member in index_members() if member.sector == sector]
        levels = {
            member.ticker: np.cumsum(self._idio(member.ticker, member.idio_vol))
            for member in listed
        }
        for ticker, level in levels.items():
            levels[ticker] = level - level[self.anchor_index]
        held = np.zeros(self.length)
        for member in listed:
            held = held + member.weight * np.exp(levels[member.ticker])
        tracking = np.cumsum(self._idio(f"tracking:{sector}", SECTOR_TRACKING_VOL))
        tracking = tracking - tracking[self.anchor_index]
        common = np.log(held / sum(member.weight for member in listed)) - tracking
        return {ticker: np.diff(level - common, prepend=0.0) for ticker, level in levels.items()}

    def _member_return(self, member: IndexMember) -> FloatArray:
        """Return a member's log returns: its sector ETF's plus its cap-weight-neutral own moves."""
        residuals = self._residuals.get(member.sector)
        if residuals is None:
            residuals = self._member_residuals(member.sector)
            self._residuals[member.sector] = residuals
        result: FloatArray = self.returns(SECTOR_ETFS[member.sector]) + residuals[member.ticker]
        return result

    def _cap_weighted_return(self) -> FloatArray:
        """Return SPY's log returns: the sector ETFs held at the members' sector weights of ANCHOR.

        level(t) = sum_s W_s * ETF_s(t) / ETF_s(ANCHOR), so SPY is what its members add up to.
        """
        level = np.zeros(self.length)
        for sector, weight in sector_weights().items():
            cumulative = np.cumsum(self.returns(SECTOR_ETFS[sector]))
            level = level + weight * np.exp(cumulative - cumulative[self.anchor_index])
        result: FloatArray = np.diff(np.log(level), prepend=math.log(level[0]))
        return result

    def _momentum_return(self) -> FloatArray:
        total = self.factors["market"] + 0.2 * self.factors["tech"]
        for name in STYLE_FACTORS:
            factor = self.factors[name]
            cumulative = np.concatenate(([0.0], np.cumsum(factor)))
            ends = np.arange(self.length)
            starts = np.maximum(ends - MOMENTUM_LOOKBACK, 0)
            trailing = cumulative[ends] - cumulative[starts]  # sessions before today only
            total = total + 0.6 * np.tanh(trailing / 0.05) * factor
        result: FloatArray = total + self._idio(MOMENTUM, 0.002)
        return result

    def returns(self, ticker: str) -> FloatArray:
        """Return the ticker's daily log returns (the first one is zero)."""
        cached = self._returns.get(ticker)
        if cached is None:
            if ticker == EQUAL_WEIGHT:
                cached = self._equal_weight_return()
            elif ticker == MOMENTUM:
                cached = self._momentum_return()
            elif ticker == CAP_WEIGHTED:
                cached = self._cap_weighted_return()
            elif ticker in _members_by_ticker():
                cached = self._member_return(_members_by_ticker()[ticker])
            elif ticker in INDEXES:
                index = INDEXES[ticker]
                cached = self.returns(index.etf) - index.dividend_yield / 252
            else:
                profile = PROFILES.get(ticker) or hashed_profile(ticker, self.seed)
                cached = self._factor_return(ticker, profile)
            cached = cached.copy()
            cached[0] = 0.0
            self._returns[ticker] = cached
        return cached

    def _anchor_price(self, ticker: str) -> float:
        if ticker in INDEXES:
            return INDEXES[ticker].price
        if ticker == EQUAL_WEIGHT:
            return EQUAL_WEIGHT_PRICE
        if ticker == MOMENTUM:
            return MOMENTUM_PRICE
        member = _members_by_ticker().get(ticker)
        if member is not None:
            return member.price
        profile = PROFILES.get(ticker) or hashed_profile(ticker, self.seed)
        return profile.price

    def prices(self, ticker: str) -> FloatArray:
        """Return the ticker's closes: anchor price * exp(cumulative log return since ANCHOR)."""
        cached = self._log_prices.get(ticker)
        if cached is None:
            cumulative = np.cumsum(self.returns(ticker))
            cached = math.log(self._anchor_price(ticker)) + cumulative
            cached = cached - cumulative[self.anchor_index]
            self._log_prices[ticker] = cached
        closes: FloatArray = np.exp(cached)
        return closes


#: The simulated market of each seed, generated once per process (see DemoSource).
_MARKETS: dict[int, _Market] = {}


class DemoSource:
    """The simulated demo market: deterministic closes for any ticker, from 2012-01-03 on."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self._market: _Market | None = None

    @property
    def name(self) -> str:
        """Return "demo"."""
        return "demo"

    @property
    def simulated(self) -> bool:
        """Return True: these prices are simulated."""
        return True

    @property
    def generation(self) -> str:
        """Return a digest of the generator's code: closes stored by another generation differ."""
        return demo_generation()

    def _market_through(self, end: date) -> _Market:
        """Return the simulated market covering EPOCH to ``end`` (at least to ANCHOR)."""
        _, calendar_end = calendar_bounds()
        horizon = min(max(end, ANCHOR), calendar_end)
        if self._market is None or self._market.sessions[-1] < np.datetime64(horizon, "D"):
            # Grow to the whole calendar at once: regenerating is cheap and then happens once.
            # Shared per seed within the process: every source with a seed makes the same market,
            # and with ~500 index members generating it is the demo refresh's main cost.
            shared = _MARKETS.get(self.seed)
            if shared is None or shared.sessions[-1] < np.datetime64(horizon, "D"):
                shared = _Market(self.seed, sessions_in_range(EPOCH, calendar_end))
                _MARKETS[self.seed] = shared
            self._market = shared
        return self._market

    def fetch(self, tickers: Sequence[str], start: date | None, end: date) -> FetchResult:
        """Return simulated closes for ``tickers`` from ``start`` (None: EPOCH) to ``end``."""
        wanted = list(dict.fromkeys(tickers))
        market = self._market_through(end)
        first = np.datetime64(max(start or EPOCH, EPOCH), "D")
        last = np.datetime64(end, "D")
        low = int(np.searchsorted(market.sessions, first, side="left"))
        high = int(np.searchsorted(market.sessions, last, side="right"))
        index = pd.DatetimeIndex(market.sessions[low:high].astype("datetime64[ns]"), name="date")
        columns = {ticker: market.prices(ticker)[low:high] for ticker in wanted}
        closes = pd.DataFrame(columns, index=index, columns=wanted, dtype=np.float64)
        return FetchResult(closes=closes)


@cache
def demo_generation() -> str:
    """Return a digest of the code that makes the demo's closes and members (this module's).

    A store keeps the demo's closes; a release that changes the simulation would otherwise
    serve old closes beside new ones. Any change to the code starts the demo's data afresh.
    """
    here = Path(__file__).resolve()
    digest = hashlib.blake2b(digest_size=8)
    for path in (here, here.parents[1] / "members" / "demo.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()
