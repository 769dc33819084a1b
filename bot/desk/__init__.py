"""The desk: the domain's briefings, views and charts made ready for Telegram, once per session."""
