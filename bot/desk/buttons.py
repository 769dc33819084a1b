"""Every inline button's callback data: what each button means, and its wire format.

The wire formats (buttons already sent in chats keep working, so they never change):

- ``v:<view>:<session>``, e.g. ``v:rot:2025-12-11``: a view of the daily summary's session;
- ``<view>:<window>``, e.g. ``rot:1M``, ``sec:YTD``, ``mov:MTD``: a window of /rotation,
  /sectors or /movers;
- ``sub:yes``: the confirmation under "/start subscribe";
- ``shr``: *Share with the group* under an answer only its asker sees.

Telegram takes at most 64 bytes of callback data (``MAX_DATA_BYTES``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum, unique
from typing import assert_never

from briefings import WINDOWS

#: The most bytes of callback data Telegram accepts on a button.
MAX_DATA_BYTES = 64


@unique
class View(StrEnum):
    """A view a button opens, by its code in the callback data."""

    SUMMARY = "sum"
    ROTATION = "rot"
    SECTORS = "sec"
    BREADTH = "brd"
    SINCE_LOW = "low"
    CHART = "cht"
    FULL = "full"
    MOVERS = "mov"


#: The views of the daily summary's buttons (the summary itself included: the back button).
SUMMARY_VIEWS = frozenset(
    {View.SUMMARY, View.ROTATION, View.SECTORS, View.BREADTH, View.SINCE_LOW, View.CHART, View.FULL}
)
#: The views whose buttons switch the window they are measured over.
WINDOW_VIEWS = frozenset({View.ROTATION, View.SECTORS, View.MOVERS})


@dataclass(frozen=True)
class ViewButton:
    """A summary button: open ``view`` of the briefing of ``session``."""

    view: View
    session: date

    def __post_init__(self) -> None:
        if self.view not in SUMMARY_VIEWS:
            raise ValueError(f"not a summary view: {self.view!r}")


@dataclass(frozen=True)
class WindowButton:
    """A window button: show ``view`` over ``window`` (one of briefings.windows.WINDOWS)."""

    view: View
    window: str

    def __post_init__(self) -> None:
        if self.view not in WINDOW_VIEWS:
            raise ValueError(f"not a window view: {self.view!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"not a window: {self.window!r}")


@dataclass(frozen=True)
class SubscribeButton:
    """The confirmation button: subscribe this chat to the daily briefing."""


@dataclass(frozen=True)
class ShareButton:
    """Share with the group: post the pressed ephemeral answer for every member."""


ButtonChoice = ViewButton | WindowButton | SubscribeButton | ShareButton

_SUBSCRIBE_DATA = "sub:yes"
_SHARE_DATA = "shr"


def _one_of(codes: Iterable[str]) -> str:
    return "|".join(re.escape(code) for code in sorted(codes))


_VIEW_DATA = re.compile(
    rf"v:(?P<view>{_one_of(SUMMARY_VIEWS)}):(?P<session>[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})"
)
_WINDOW_DATA = re.compile(rf"(?P<view>{_one_of(WINDOW_VIEWS)}):(?P<window>{_one_of(WINDOWS)})")


def encode(choice: ButtonChoice) -> str:
    """Return the callback data of ``choice``'s button."""
    if isinstance(choice, ViewButton):
        return f"v:{choice.view.value}:{choice.session.isoformat()}"
    if isinstance(choice, WindowButton):
        return f"{choice.view.value}:{choice.window}"
    if isinstance(choice, SubscribeButton):
        return _SUBSCRIBE_DATA
    if isinstance(choice, ShareButton):
        return _SHARE_DATA
    assert_never(choice)


def decode(data: object) -> ButtonChoice | None:
    """Return the choice a button's callback data encodes; None when it is malformed or foreign."""
    if not isinstance(data, str):
        return None
    if data == _SUBSCRIBE_DATA:
        return SubscribeButton()
    if data == _SHARE_DATA:
        return ShareButton()
    if match := _WINDOW_DATA.fullmatch(data):
        return WindowButton(View(match["view"]), match["window"])
    if match := _VIEW_DATA.fullmatch(data):
        try:
            session = date.fromisoformat(match["session"])
        except ValueError:  # shaped like a date but none, e.g. 2025-02-30
            return None
        return ViewButton(View(match["view"]), session)
    return None


def pattern(kind: type[ButtonChoice]) -> Callable[[object], bool]:
    """Return a CallbackQueryHandler pattern that takes the data of ``kind``'s buttons only."""

    def is_kind(data: object) -> bool:
        return isinstance(decode(data), kind)

    return is_kind


def unreadable(data: object) -> bool:
    """Return whether ``data`` is no button's: malformed, from an older bot, or foreign."""
    return decode(data) is None
