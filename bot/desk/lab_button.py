"""The Lab's button: a web_app button in private chats, the direct Mini App link in groups.

Telegram takes ``web_app`` inline buttons only in private chats between a user and the bot
(Bot API, InlineKeyboardButton.web_app); a group gets a plain URL button to the direct link
t.me/<bot>/<app>?startapp=<view>_<language>, which opens the same page inside Telegram.
"""

from __future__ import annotations

from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.config import BotSettings
from bot.lab.config import start_param
from briefings import render_template

#: The view the Lab opens on when none is named.
DEFAULT_VIEW = "rrg-sectors"


def lab_button(
    settings: BotSettings,
    *,
    private: bool,
    bot_username: str,
    lang: str,
    view: str = DEFAULT_VIEW,
) -> InlineKeyboardButton | None:
    """Return the button that opens the Lab on ``view`` in ``lang``; None where it cannot."""
    lab = settings.lab
    label = render_template("bot/lab_button.txt.j2", lang).strip()
    if private:
        if lab.page_url is None:
            return None
        url = f"{lab.page_url}?{urlencode({'view': view, 'lang': lang})}"
        return InlineKeyboardButton(label, web_app=WebAppInfo(url=url))
    link = lab.direct_link(bot_username, start_param(view, lang))
    return None if link is None else InlineKeyboardButton(label, url=link)


def with_lab_row(
    keyboard: InlineKeyboardMarkup, button: InlineKeyboardButton | None
) -> InlineKeyboardMarkup:
    """Return ``keyboard`` with the Lab's button as a last row (unchanged without a button)."""
    if button is None:
        return keyboard
    rows = [list(row) for row in keyboard.inline_keyboard]
    return InlineKeyboardMarkup([*rows, [button]])
