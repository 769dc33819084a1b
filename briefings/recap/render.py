"""Render a recap as terminal text, Telegram HTML, JSON, or a phone-width summary for the push."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any, Literal

from briefings.i18n import DEFAULT_LANGUAGE
from briefings.recap.model import Recap
from briefings.render.layout import PHONE_WIDTH
from briefings.render.templates import render_template

RecapFormat = Literal["text", "html", "json", "summary"]
#: Columns of the terminal text (the summary keeps to the phone's PHONE_WIDTH).
TERMINAL_WIDTH = 76


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def recap_to_json(recap: Recap) -> dict[str, Any]:
    """Return the recap as JSON-ready data: its period and every fact with its rank."""
    data: dict[str, Any] = _plain(asdict(recap))
    return data


def render_recap(recap: Recap, fmt: RecapFormat = "text", lang: str = DEFAULT_LANGUAGE) -> str:
    """Render ``recap`` in ``fmt``: text, json, or html and the summary (at most 40 columns)."""
    if fmt == "json":
        return json.dumps(recap_to_json(recap), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return render_template("recap/recap.html.j2", lang, r=recap, width=PHONE_WIDTH)
    width = PHONE_WIDTH if fmt == "summary" else TERMINAL_WIDTH
    return render_template("recap/recap.txt.j2", lang, r=recap, width=width)
