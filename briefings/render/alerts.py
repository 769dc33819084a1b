"""Render a session's regime-change alerts as Telegram messages (templates/alerts.html.j2)."""

from __future__ import annotations

from collections.abc import Sequence

from briefings.alerts import Alert
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing
from briefings.render.templates import render_template


def render_alerts(briefing: Briefing, alerts: Sequence[Alert], lang: str = DEFAULT_LANGUAGE) -> str:
    """Render ``alerts`` of ``briefing``'s session as Telegram HTML in ``lang``."""
    return render_template("alerts.html.j2", lang, b=briefing, alerts=list(alerts))
