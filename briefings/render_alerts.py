"""Render a session's regime-change alerts as Telegram messages (templates/alerts.html.j2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from briefings.alerts import Alert
from briefings.model import Briefing
from briefings.render import TELEGRAM_LIMIT, render_template, split_message


@dataclass(frozen=True)
class AlertMessage:
    """One Telegram message of a session's alerts and the alert keys it carries."""

    keys: tuple[str, ...]
    text: str


def render_alerts(briefing: Briefing, alerts: Sequence[Alert]) -> str:
    """Render ``alerts`` of ``briefing``'s session as Telegram HTML."""
    return render_template("alerts.html.j2", b=briefing, alerts=list(alerts))


def alert_messages(briefing: Briefing, alerts: Sequence[Alert]) -> list[AlertMessage]:
    """Return the fewest messages holding ``alerts`` in order, each under Telegram's limit.

    Alerts are grouped whole, so each message's keys are known; a single alert too long for
    one message (never seen) is split with ``split_message`` and its keys go with the last part.
    """
    messages: list[AlertMessage] = []
    group: list[Alert] = []
    for alert in alerts:
        if group and len(render_alerts(briefing, [*group, alert])) > TELEGRAM_LIMIT:
            messages.extend(_messages(briefing, group))
            group = []
        group.append(alert)
    if group:
        messages.extend(_messages(briefing, group))
    return messages


def _messages(briefing: Briefing, group: Sequence[Alert]) -> list[AlertMessage]:
    parts = split_message(render_alerts(briefing, group))
    keys = tuple(alert.key for alert in group)
    return [
        AlertMessage(keys if index == len(parts) - 1 else (), part)
        for index, part in enumerate(parts)
    ]
