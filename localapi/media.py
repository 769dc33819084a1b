"""Recognise uploaded images (PNG, JPEG, GIF, WebP) and read their pixel size from the header."""

from __future__ import annotations

import struct
from dataclasses import dataclass

JPEG_SIZE_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True)
class ImageInfo:
    """An image's format and its width and height in pixels."""

    format: str
    width: int
    height: int


def image_info(content: bytes) -> ImageInfo | None:
    """Return the image's format and size, or None when the bytes are no image Telegram takes."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return ImageInfo("png", width, height)
    if content.startswith(b"\xff\xd8"):
        return _jpeg_info(content)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return ImageInfo("gif", width, height)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _webp_info(content)
    return None


def _jpeg_info(content: bytes) -> ImageInfo | None:
    """Walk JPEG segments to the first start-of-frame, which holds height then width."""
    position = 2
    while position + 9 <= len(content):
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker in JPEG_SIZE_MARKERS:
            height, width = struct.unpack(">HH", content[position + 5 : position + 9])
            return ImageInfo("jpeg", width, height)
        (segment_length,) = struct.unpack(">H", content[position + 2 : position + 4])
        position += 2 + segment_length
    return None


def _webp_info(content: bytes) -> ImageInfo | None:
    """Read the canvas size from a VP8, VP8L or VP8X chunk."""
    chunk = content[12:16]
    if chunk == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        height = int.from_bytes(content[27:30], "little") + 1
        return ImageInfo("webp", width, height)
    if chunk == b"VP8L" and len(content) >= 25:
        bits = int.from_bytes(content[21:25], "little")
        return ImageInfo("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8 " and len(content) >= 30:
        width, height = struct.unpack("<HH", content[26:30])
        return ImageInfo("webp", width & 0x3FFF, height & 0x3FFF)
    return None
