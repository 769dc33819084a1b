"""Try the bot offline: a local Bot API in-process, the real bot against it, a terminal chat.

Type commands as in Telegram (/brief, /rotation 1M, /subscribe 07:30 Europe/London, ...);
``:press LABEL`` presses an inline button of the latest message that has one, ``:quit`` ends.
Replies are shown as plain text; a photo is saved as a PNG file in a temporary folder (kept
after the chat ends) and its path printed. Works non-interactively too:
``marketbrief chat < script``.

``marketbrief chat --group`` plays a supergroup instead, with two members: ``:as admin`` and
``:as member`` switch who speaks. Messages only the speaker sees (ephemeral answers) are shown
as ``bot (only you)>``; ``:press`` presses the speaker's own copy first.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from telegram import Update
from telegram.ext import TypeHandler

from bot.config import BotSettings
from bot.runtime.app import build_application, running
from briefings import MarketService
from localapi import EphemeralMessage, LocalBotApi, SentMessage

#: A syntactically valid token for the local server; it never reaches Telegram.
OFFLINE_TOKEN = "1000001:OfflineTerminalChat_local_only"
USER_ID = 424242
#: The group of ``--group`` and its second member (USER_ID is its administrator).
GROUP_ID = -1001424242
MEMBER_ID = 424243
SPEAKERS = {"admin": USER_ID, "member": MEMBER_ID}
BOT_USERNAME = "marketbrief_bot"
#: How long the bot may take to handle one line.
REPLY_TIMEOUT = 30.0
#: The handler group of the "line handled" mark: after every group the bot uses.
HANDLED_GROUP = 1_000

_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """Return Telegram HTML as the plain text a person would read."""
    return html.unescape(_TAG.sub("", markup))


def offline_settings(source: str, env: Mapping[str, str] = os.environ) -> BotSettings:
    """Return bot settings for the offline chat: a fake token, its own database folder."""
    overrides = {
        "TELEGRAM_BOT_TOKEN": OFFLINE_TOKEN,
        "MARKETBRIEF_SOURCE": source,
        "MARKETBRIEF_ADMINS": str(USER_ID),
    }
    settings = BotSettings.from_env({**env, **overrides})
    # A folder of its own: the offline chat's subscriptions must never reach the real bot's.
    domain = replace(settings.domain, data_dir=settings.domain.data_dir / "terminal-chat")
    return replace(settings, domain=domain)


class ImageFolder:
    """Where the chat saves the photos it receives: a temporary folder made on first use."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder

    def save(self, message: SentMessage, image: bytes) -> Path:
        """Write ``image`` as photo-<message id>.png and return its path."""
        return self.save_as(f"photo-{message.message_id}.png", image)

    def save_as(self, name: str, image: bytes) -> Path:
        """Write ``image`` as ``name`` in the folder and return its path."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="marketbrief-chat-"))
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / name
        path.write_bytes(image)
        return path


def _width(text: str) -> int:
    """Return the terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def aligned_tables(text: str) -> str:
    """Return a rich message's plain text with each table's tab-separated cells in columns."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        columns = max(len(row) for row in table)
        widths = [
            max((_width(row[i]) for row in table if i < len(row)), default=0)
            for i in range(columns)
        ]
        for row in table:
            cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
            out.append("  ".join(cells).rstrip())
        table.clear()

    for line in text.split("\n"):
        if "\t" in line:
            table.append(line.split("\t"))
            continue
        if table:
            flush()
        out.append(line)
    if table:
        flush()
    return "\n".join(out)


def format_message(message: SentMessage, edited: bool, saved: Path | None = None) -> str:
    """Return a bot message as terminal text, its buttons below it.

    A photo is shown as its size and, when ``saved``, the file it was saved to.
    """
    if message.rich_message is not None:
        # A rich message's plain text: its blocks on their lines, table cells between tabs.
        body = aligned_tables(message.shown_text)
    else:
        body = html_to_text(message.text or message.caption or "")
    if message.photo is not None:
        where = f", saved as {saved}" if saved is not None else ""
        body = f"[image, {len(message.photo) // 1024} KiB{where}]\n{body}"
    lines = [f"bot{' (edited)' if edited else ''}> " + body.replace("\n", "\n     ")]
    for row in _keyboard(message.reply_markup):
        lines.append("     " + " ".join(f"[{label}]" for label in row))
    return "\n".join(lines)


def format_private(message: EphemeralMessage, edited: bool, saved: Path | None = None) -> str:
    """Return a message only the speaker sees as terminal text, its buttons below it."""
    if message.deleted:
        return "bot (only you)> (your private copy is closed)"
    body = html_to_text(message.text)
    if message.photo is not None:
        where = f", saved as {saved}" if saved is not None else ""
        body = f"[image, {len(message.photo) // 1024} KiB{where}]\n{body}"
    prefix = f"bot (only you{', edited' if edited else ''})> "
    lines = [prefix + body.replace("\n", "\n     ")]
    for row in _keyboard(message.reply_markup):
        lines.append("     " + " ".join(f"[{label}]" for label in row))
    return "\n".join(lines)


def _keyboard(markup: dict[str, Any] | None) -> list[list[str]]:
    if not markup:
        return []
    return [[button["text"] for button in row] for row in markup.get("inline_keyboard", [])]


def _button_data(messages: Sequence[SentMessage], label: str) -> tuple[int, str] | None:
    keyboards = [(message.message_id, message.reply_markup) for message in messages]
    return _button_in_latest(keyboards, label)


def _button_in_latest(
    keyboards: Sequence[tuple[int, dict[str, Any] | None]], label: str
) -> tuple[int, str] | None:
    """Return (message id, data) of the button ``label`` on the latest keyboard, if it has one."""
    wanted = label.strip("•[] ").casefold()
    for message_id, markup in reversed(keyboards):
        rows = (markup or {}).get("inline_keyboard", [])
        if not rows:
            continue
        for row in rows:
            for button in row:
                shown = button["text"].strip("• ").casefold()
                # "Rotation" presses "🔄 Rotation": the icon may be left out.
                matches = shown == wanted or shown.split(" ", 1)[-1] == wanted
                if matches and "callback_data" in button:
                    return message_id, button["callback_data"]
        return None
    return None


class TerminalChat:
    """One person in a private chat with the bot (or a group's speaker), printing replies."""

    def __init__(
        self,
        server: LocalBotApi,
        output: TextIO,
        images: ImageFolder | None = None,
        chat_id: int = USER_ID,
    ) -> None:
        self.server = server
        self.output = output
        self.images = images if images is not None else ImageFolder()
        self.chat_id = chat_id
        self.speaker = USER_ID
        self._seen: dict[int, tuple[str | None, int]] = {}
        self._seen_private: dict[tuple[int, int], tuple[str, int, bool]] = {}
        self._handled: dict[int, asyncio.Event] = {}

    @property
    def in_group(self) -> bool:
        """Whether this chat plays a group (``--group``)."""
        return self.chat_id != USER_ID

    def _event(self, update_id: int) -> asyncio.Event:
        return self._handled.setdefault(update_id, asyncio.Event())

    async def mark_handled(self, update: object, context: object) -> None:
        """Note that the bot is done with an update (a PTB handler in the last group).

        PTB runs an update's handler groups in order and awaits each, so every reply to the
        update has been sent by the time this runs.
        """
        if isinstance(update, Update):
            self._event(update.update_id).set()

    def _changes(self) -> list[tuple[SentMessage, bool]]:
        changed = []
        for message in self.server.bot_messages(self.chat_id):
            state = (message.text, len(message.edits))
            before = self._seen.get(message.message_id)
            if before != state:
                changed.append((message, before is not None))
                self._seen[message.message_id] = state
        return changed

    def _private_changes(self) -> list[tuple[EphemeralMessage, bool]]:
        if not self.in_group:
            return []
        changed = []
        for message in self.server.ephemeral_messages(self.chat_id, self.speaker, True):
            key = (message.receiver_user_id, message.ephemeral_message_id)
            state = (message.text, len(message.edits), message.deleted)
            before = self._seen_private.get(key)
            if before != state:
                changed.append((message, before is not None))
                self._seen_private[key] = state
        return changed

    async def _print_replies(self, update: dict[str, Any]) -> None:
        with contextlib.suppress(TimeoutError):  # a bot that never answers: say so below
            await asyncio.wait_for(self._event(int(update["update_id"])).wait(), REPLY_TIMEOUT)
        changes = self._changes()
        for message, edited in changes:
            saved = None if message.photo is None else self.images.save(message, message.photo)
            print(format_message(message, edited, saved), file=self.output, flush=True)
        private = self._private_changes()
        for own, edited in private:
            saved = None
            if own.photo is not None and not own.deleted:
                saved = self.images.save_as(f"private-{own.ephemeral_message_id}.png", own.photo)
            print(format_private(own, edited, saved), file=self.output, flush=True)
        if not changes and not private:
            print("(no reply)", file=self.output, flush=True)

    def _switch_speaker(self, name: str) -> None:
        speaker = SPEAKERS.get(name.strip().lower())
        if not self.in_group or speaker is None:
            print("(':as admin' or ':as member', in marketbrief chat --group)", file=self.output)
            return
        self.speaker = speaker
        # The new speaker's own copies are theirs to see from now on, not news.
        self._private_changes()
        print(f"(you are now the group's {name.strip().lower()})", file=self.output)

    def _press(self, label: str) -> dict[str, Any] | None:
        """Press ``label`` on the speaker's latest private copy, else on the chat's messages."""
        own = [
            (m.ephemeral_message_id, m.reply_markup)
            for m in self.server.ephemeral_messages(self.chat_id, self.speaker)
        ]
        target = _button_in_latest(own, label) if self.in_group else None
        if target is not None:
            return self.server.press_ephemeral_button(self.chat_id, self.speaker, *target)
        public = _button_data(self.server.bot_messages(self.chat_id), label)
        if public is None:
            return None
        return self.server.press_button(self.chat_id, self.speaker, *public)

    async def join_group(self) -> None:
        """Add the bot to the group as its administrator does, and show its greeting."""
        update = self.server.set_bot_status(self.chat_id, USER_ID, "member")
        await self._print_replies(update)

    async def handle(self, line: str) -> bool:
        """Act on one input line; return False to stop."""
        text = line.strip()
        if not text:
            return True
        if text in (":quit", ":q", ":exit"):
            return False
        if text.startswith(":as"):
            self._switch_speaker(text.removeprefix(":as"))
            return True
        if text.startswith(":press"):
            label = text.removeprefix(":press").strip()
            pressed = self._press(label)
            if pressed is None:
                print(f"(no button {label!r} on the latest keyboard)", file=self.output)
                return True
            update = pressed
        else:
            update = self.server.send_text(self.chat_id, self.speaker, text)
        await self._print_replies(update)
        return True


async def chat(
    source: str,
    input_stream: TextIO,
    output: TextIO,
    image_folder: Path | None = None,
    group: bool = False,
) -> int:
    """Run the offline chat until end of input or ``:quit``.

    Photos go to ``image_folder`` (None: a new temporary folder, made on the first photo).
    ``group``: play a supergroup with an administrator and a member instead of a private chat.
    """
    settings = offline_settings(source)
    service = MarketService.from_settings(settings.domain)
    interactive = input_stream.isatty()
    async with LocalBotApi(token=OFFLINE_TOKEN, bot_username=BOT_USERNAME) as server:
        server.add_chat(USER_ID, "private", title="You")
        if group:
            server.add_user(MEMBER_ID, first_name="Member")
            server.add_chat(GROUP_ID, "supergroup", title="Traders (offline)")
            server.set_member_status(GROUP_ID, USER_ID, "administrator")
            server.set_member_status(GROUP_ID, MEMBER_ID, "member")
        application = build_application(settings, service, base_url=server.base_url)
        conversation = TerminalChat(
            server, output, ImageFolder(image_folder), GROUP_ID if group else USER_ID
        )
        application.add_handler(TypeHandler(Update, conversation.mark_handled), group=HANDLED_GROUP)
        async with running(application):
            if interactive:
                print(
                    f"Offline chat with the bot on the {service.source_name} source. "
                    "Try /help; ':press 1M' presses a button; ':quit' ends.",
                    file=output,
                )
                if group:
                    print(
                        "A group: you speak as its admin; ':as member' and ':as admin' switch.",
                        file=output,
                    )
            if group:
                await conversation.join_group()
            while True:
                if interactive:
                    who = next(n for n, i in SPEAKERS.items() if i == conversation.speaker)
                    prompt = f"you ({who})> " if group else "you> "
                    print(prompt, end="", file=output, flush=True)
                line = await asyncio.to_thread(input_stream.readline)
                if not line or not await conversation.handle(line):
                    break
    return 0


def run_terminal_chat(source: str, group: bool = False) -> int:
    """Run the offline chat on stdin/stdout (the ``marketbrief chat [--group]`` command)."""
    try:
        return asyncio.run(chat(source, sys.stdin, sys.stdout, group=group))
    except KeyboardInterrupt:
        return 130
