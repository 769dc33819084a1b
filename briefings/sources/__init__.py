"""Market data sources: yfinance, a CSV directory, and the simulated demo market."""

from briefings.sources.base import FetchResult, PriceSource, SourceError, SourceSpecError

__all__ = ["FetchResult", "PriceSource", "SourceError", "SourceSpecError"]
