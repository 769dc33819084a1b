"""The trailing windows every figure is measured over, in display order.

Their definitions (which close each window starts from) are in ``briefings.analytics.returns``.
"""

WINDOWS: tuple[str, ...] = ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y")


def window_named(text: str) -> str | None:
    """Return the window ``text`` names (case-insensitive: 1m is 1M), None when it names none."""
    window = text.strip().upper()
    return window if window in WINDOWS else None
