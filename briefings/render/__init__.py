"""Rendering: the story and views as terminal text, Telegram HTML and JSON, in each language."""
