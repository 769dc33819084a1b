"""Market data sources: yfinance, Tiingo, a CSV directory, the demo market, and chains of them."""

from __future__ import annotations

from pathlib import Path

from briefings.sources.base import (
    ChangeMarkedSource,
    FetchResult,
    PriceSource,
    SourceError,
    SourceSpecError,
)

#: The ``--source`` forms open_source understands.
SOURCE_CHOICES: tuple[str, ...] = ("yfinance", "tiingo", "demo", "csv:DIR", "yfinance,tiingo")
CSV_PREFIX = "csv:"


def open_source(spec: str) -> PriceSource:
    """Return the source named by ``spec``: "yfinance", "tiingo", "demo", "csv:DIR" or a chain.

    A chain is names joined by commas (``yfinance,tiingo``): each ticker is asked of the first,
    and of the next when the one before cannot serve it.
    """
    text = spec.strip()
    if "," in text and not text.startswith(CSV_PREFIX):
        parts = [part.strip() for part in text.split(",")]
        if any(not part for part in parts) or len(set(parts)) != len(parts):
            raise SourceSpecError("a source chain names each source once, e.g. yfinance,tiingo")
        if "demo" in parts:
            raise SourceSpecError("the demo source cannot be chained with market data")
        from briefings.sources.chain import ChainSource

        return ChainSource([open_source(part) for part in parts])
    if text == "demo":
        from briefings.sources.demo import DemoSource

        return DemoSource()
    if text == "yfinance":
        # Imported on demand: yfinance takes seconds to import, which --source demo never pays.
        from briefings.sources.yahoo import YFinanceSource

        return YFinanceSource()
    if text == "tiingo":
        import os

        from briefings.config import Settings
        from briefings.sources.tiingo import KEY_VARIABLE, TiingoSource

        pacing = Settings.from_env().data_dir / "cache" / "tiingo" / "requests.json"
        return TiingoSource(os.environ.get(KEY_VARIABLE), pacing)
    if text.startswith(CSV_PREFIX):
        directory = text.removeprefix(CSV_PREFIX).strip()
        if not directory:
            raise SourceSpecError("csv: needs a directory, e.g. csv:./prices")
        from briefings.sources.csvdir import CsvDirectorySource

        return CsvDirectorySource(Path(directory))
    raise SourceSpecError(f"unknown source {spec!r}; choose one of: {', '.join(SOURCE_CHOICES)}")


__all__ = [
    "SOURCE_CHOICES",
    "ChangeMarkedSource",
    "FetchResult",
    "PriceSource",
    "SourceError",
    "SourceSpecError",
    "open_source",
]
