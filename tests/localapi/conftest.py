"""Fixtures: a running LocalBotApi and a real PTB Bot pointed at it."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from localapi import LocalBotApi

TOKEN = "123456:TEST"


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt into PTB's timedelta periods; the int form warns, and warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    """Return a started server on a free port (stopped afterwards)."""
    async with LocalBotApi(token=TOKEN) as running:
        yield running


@pytest.fixture
async def bot(server: LocalBotApi) -> AsyncIterator[Bot]:
    """Return an initialised PTB Bot talking to `server`."""
    async with Bot(TOKEN, base_url=server.base_url) as client:
        yield client


def png_bytes(width: int, height: int) -> bytes:
    """Return a valid greyscale PNG of the given size (all black)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
