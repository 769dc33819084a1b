"""Render a session's regime-change alerts as Telegram messages (templates/alerts.html.j2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from briefings.alerts import Alert
from briefings.i18n import DEFAULT_LANGUAGE
from briefings.model import Briefing
from bot.desk.split import TELEGRAM_LIMIT, split_message, telegram_length
from briefings.render.templates import render_template


@dataclass(frozen=True)
class AlertMessage:
    """One Telegram message of a session's alerts and the alert keys it carries."""

    keys: tuple[str, ...]
    text: str


def render_alerts(briefing: Briefing, alerts: Sequence[Alert], lang: str = DEFAULT_LANGUAGE) -> str:
    """Render ``alerts`` of ``briefing``'s session as Telegram HTML in ``lang``."""
    return render_template("alerts.html.j2", lang, b=briefing, alerts=list(alerts))


def alert_messages(
    briefing: Briefing, alerts: Sequence[Alert], lang: str = DEFAULT_LANGUAGE
) -> list[AlertMessage]:
    """Return the fewest messages holding ``alerts`` in order, each under Telegram's limit.

    Alerts are grouped whole, so each message's keys are known; a single alert too long for
    one message (never seen) is split with ``split_message`` and its keys go with the last part.
    """
    messages: list[AlertMessage] = []
    group: list[Alert] = []
    for alert in alerts:
        longer = render_alerts(briefing, [*group, alert], lang)
        if group and telegram_length(longer) > TELEGRAM_LIMIT:
            messages.extend(_messages(briefing, group, lang))
            group = []
        group.append(alert)
    if group:
        messages.extend(_messages(briefing, group, lang))
    return messages


def _messages(briefing: Briefing, group: Sequence[Alert], lang: str) -> list[AlertMessage]:
    parts = split_message(render_alerts(briefing, group, lang))
    keys = tuple(alert.key for alert in group)
    return [
        AlertMessage(keys if index == len(parts) - 1 else (), part)
        for index, part in enumerate(parts)
    ]
