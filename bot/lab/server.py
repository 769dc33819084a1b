"""The Lab's pages and JSON endpoints on an aiohttp app: static files, views, words.

    GET  /lab/                 the page (bot/lab/static/index.html)
    GET  /lab/static/<file>    its script and style sheet (a fixed list, nothing else)
    GET  /lab/api/view/<view>  a view's JSON (401 without a valid Authorization)
    GET  /lab/api/words/<lang> the page's words (for anyone: words, no market data)
    POST /lab/api/session      (standalone only) the one-time token for a session

Both API routes answer 429 past the per-user (or, for strangers, per-address) limit.

Every answer carries a Content-Security-Policy that lets the page run only its own script and
style and talk only to this server; JSON is built off the event loop, once per data version,
and gzipped once per distinct body (not per request).
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.lab.gates import Gate, TokenGate, Visitor
from bot.lab.limits import RequestLimiter
from briefings import LANGUAGES, LabViews, NoDataError, UnknownLabView

log = logging.getLogger(__name__)

LAB_PATH = "/lab/"
STATIC_DIR = Path(__file__).with_name("static")
#: The only files served from STATIC_DIR, with their content types.
STATIC_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
#: Telegram's web clients show a Mini App in an iframe of these origins.
TELEGRAM_FRAME_ANCESTORS = "https://web.telegram.org https://*.web.telegram.org"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    f"frame-ancestors 'self' {TELEGRAM_FRAME_ANCESTORS}"
)
#: The longest JSON answer the Lab sends; a view past it is a bug, not something to send.
MAX_RESPONSE_BYTES = 256 * 1024
#: How long browsers keep the page's script and style sheet.
STATIC_MAX_AGE_SECONDS = 3600

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


#: Compressed bodies kept: every view, the words in each language and the static files, twice.
MAX_COMPRESSED = 32


class GzipCache:
    """Gzip each distinct body once: views change only with the data, so do their bytes."""

    def __init__(self, max_entries: int = MAX_COMPRESSED) -> None:
        self._max = max_entries
        self._bodies: dict[bytes, bytes] = {}

    def compressed(self, body: bytes) -> bytes:
        """Return ``body`` gzipped (level 6), from the cache when it was gzipped before."""
        found = self._bodies.get(body)  # the cached views' own bytes: their hash is kept
        if found is None:
            found = gzip.compress(body, 6)
            if len(self._bodies) >= self._max:
                del self._bodies[next(iter(self._bodies))]
            self._bodies[body] = found
        return found


_GZIP = GzipCache()


def _body_response(request: web.Request, body: bytes, headers: dict[str, str]) -> web.Response:
    """Answer ``body``, gzipped (once per distinct body) when the client accepts gzip."""
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        headers = {**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        body = _GZIP.compressed(body)
    return web.Response(body=body, headers=headers)


@dataclass(frozen=True)
class LabServer:
    """What the Lab's routes need: the views, who may read them, and the request limits."""

    views: LabViews
    gate: Gate
    limiter: RequestLimiter


def lab_server(
    views: LabViews, gate: Gate, clock: Callable[[], float] = time.monotonic
) -> LabServer:
    """Return the Lab's server parts with the default per-user limits."""
    return LabServer(views, gate, RequestLimiter(clock))


def add_lab_routes(app: web.Application, lab: LabServer) -> None:
    """Serve the Lab's page, static files and JSON endpoints under /lab/ on ``app``."""
    app.router.add_get("/lab", _redirect_to_lab)
    app.router.add_get(LAB_PATH, _page)
    app.router.add_get(LAB_PATH + "static/{name}", _static)
    app.router.add_get(LAB_PATH + "api/view/{view}", _guarded(lab, _view))
    app.router.add_get(LAB_PATH + "api/words/{lang}", _guarded(lab, _words, public=True))
    if isinstance(lab.gate, TokenGate):
        app.router.add_post(LAB_PATH + "api/session", _session_handler(lab.gate))


async def _redirect_to_lab(request: web.Request) -> web.Response:
    raise web.HTTPFound(LAB_PATH + (f"?{request.query_string}" if request.query_string else ""))


async def _page(request: web.Request) -> web.Response:
    return _body_response(
        request,
        _static_bytes("index.html"),
        {
            **SECURITY_HEADERS,
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-cache",
        },
    )


async def _static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = STATIC_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    return _body_response(
        request,
        _static_bytes(name),
        {
            **SECURITY_HEADERS,
            "Content-Type": content_type,
            "Cache-Control": f"public, max-age={STATIC_MAX_AGE_SECONDS}",
        },
    )


@functools.cache
def _static_bytes(name: str) -> bytes:
    """Return a static file's bytes, read once (the package's files do not change)."""
    return (STATIC_DIR / name).read_bytes()


class _NoSuchLanguage(LookupError):
    """Raise when the page asks for words in a language the catalog does not have."""


Handler = Callable[[web.Request, LabServer, Visitor], Awaitable[bytes]]


def _guarded(
    lab: LabServer, handler: Handler, *, public: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap ``handler``: refuse without a valid Authorization, limit per user, bound the answer.

    A ``public`` handler (the page's words, needed to say "refused" in the reader's language)
    also answers strangers, limited per remote address.
    """

    async def guarded(request: web.Request) -> web.Response:
        visitor = lab.gate.visitor(request.headers.get("Authorization", ""))
        if visitor is None and public:
            visitor = Visitor(f"address:{request.remote}")
        if visitor is None:
            return _json_error(401, "unauthorized")
        wait = lab.limiter.wait_for(visitor.key)
        if wait > 0:
            response = _json_error(429, "too many requests")
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        try:
            body = await handler(request, lab, visitor)
        except (UnknownLabView, _NoSuchLanguage):
            return _json_error(404, "not found")
        except NoDataError:
            return _json_error(503, "no data yet")
        if len(body) > MAX_RESPONSE_BYTES:
            log.error("lab: an answer of %d bytes is past the limit; not sent", len(body))
            return _json_error(500, "answer too large")
        return _body_response(
            request,
            body,
            {
                **SECURITY_HEADERS,
                "Content-Type": "application/json; charset=utf-8",
                "Cache-Control": "private, no-cache",
            },
        )

    return guarded


async def _view(request: web.Request, lab: LabServer, visitor: Visitor) -> bytes:
    view = request.match_info["view"]
    return await asyncio.get_running_loop().run_in_executor(None, lab.views.view_json, view)


async def _words(request: web.Request, lab: LabServer, visitor: Visitor) -> bytes:
    language = request.match_info["lang"]
    if language not in LANGUAGES:
        raise _NoSuchLanguage(language)
    return await asyncio.get_running_loop().run_in_executor(None, lab.views.words_json, language)


def _session_handler(gate: TokenGate) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def session(request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        granted = gate.exchange(token) if scheme == "Token" else None
        if granted is None:
            return _json_error(401, "unauthorized")
        return web.json_response({"session": granted}, headers=SECURITY_HEADERS)

    return session


def _json_error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps({"error": message}).encode(),
        headers={**SECURITY_HEADERS, "Content-Type": "application/json; charset=utf-8"},
    )
