"""Market data sources: yfinance, a CSV directory, and the simulated demo market."""

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
SOURCE_CHOICES: tuple[str, ...] = ("yfinance", "demo", "csv:DIR")
CSV_PREFIX = "csv:"


def open_source(spec: str) -> PriceSource:
    """Return the source named by ``spec``: "yfinance", "demo" or "csv:DIR"."""
    text = spec.strip()
    if text == "demo":
        from briefings.sources.demo import DemoSource

        return DemoSource()
    if text == "yfinance":
        # Imported on demand: yfinance takes seconds to import, which --source demo never pays.
        from briefings.sources.yahoo import YFinanceSource

        return YFinanceSource()
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
