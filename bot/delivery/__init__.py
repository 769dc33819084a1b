"""Delivery: the daily briefing and alert pushes, the sender, the outbox and the flood limits."""
