"""The trailing windows every figure is measured over, in display order.

Their definitions (which close each window starts from) are in ``briefings.analytics.returns``.
"""

WINDOWS: tuple[str, ...] = ("1D", "1W", "MTD", "1M", "3M", "YTD", "1Y")
