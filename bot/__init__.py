"""The Telegram transport of marketbrief: commands, subscriptions and the daily broadcast."""

import os

# Opt in to PTB's timedelta API now: without it, reading RetryAfter.retry_after (which PTB
# itself does when it builds the exception) emits a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
