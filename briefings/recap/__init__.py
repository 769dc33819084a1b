"""Recaps: the week or the month in review, as ranked facts with their rank in history."""
