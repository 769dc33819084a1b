"""Conversations: the handlers of commands and buttons, their replies and keyboards."""
