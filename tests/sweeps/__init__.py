"""Sweeps: one check over every real session, run by the CI after the tests.

Each sweep runs as ``uv run python -m tests.sweeps.<name>``, prints what it checked and exits
non-zero when a session fails; the test suite runs the same check on a few sampled sessions.
"""
