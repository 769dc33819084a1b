"""The bot's HTTP client for the Bot API: PTB's request interface on aiohttp, JSON bodies.

PTB's default (httpx) spends most of a broadcast's CPU in its connection pool, which checks
every pooled connection's socket on each request, and in URL-encoding every message's text
character by character. aiohttp's pool and C parser cost a fraction of that, and a JSON body
(which the Bot API accepts) is encoded by ``json.dumps`` in C. Uploads (charts) go as
multipart forms, as before. Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``),
as with httpx, looked up once per host (aiohttp's own lookup reads the environment and
``.netrc`` on a thread for every request).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.logs import redact

#: Seconds, as PTB's HTTPXRequest defaults.
DEFAULT_TIMEOUT = 5.0
DEFAULT_POOL_TIMEOUT = 1.0
DEFAULT_MEDIA_WRITE_TIMEOUT = 20.0
_JSON_HEADERS = {"Content-Type": "application/json"}


def _seconds(value: object, default: float | None) -> float | None:
    """Return a per-call timeout, or ``default`` when PTB passed its DEFAULT_NONE."""
    if isinstance(value, int | float) or value is None:
        return None if value is None else float(value)
    return default


class AiohttpRequest(BaseRequest):
    """Make Bot API requests with one aiohttp session (a keep-alive connection pool)."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT,
        media_write_timeout: float | None = DEFAULT_MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self.connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connection_pool_size)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the HTTP status and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        data: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files:
            data = _form(request_data.json_parameters if request_data else {}, files)
            write_default = self._media_write_timeout
        elif request_data is not None:
            data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = _JSON_HEADERS
            write_default = self._write_timeout
        else:
            write_default = self._write_timeout
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, write_default) if files else 0.0
        # aiohttp has no write timeout: an upload's read timeout also covers sending its body.
        timeout = self._timeout(
            _seconds(pool_timeout, self._pool_timeout),
            _seconds(connect_timeout, self._connect_timeout),
            None if read is None or write is None else read + write,
        )
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # An error may quote the URL, and the URL holds the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}: {redact(str(error))}") from error

    def _timeout(
        self, connect: float | None, sock_connect: float | None, sock_read: float | None
    ) -> aiohttp.ClientTimeout:
        """Return the ClientTimeout of these seconds (made once: a broadcast asks per message)."""
        key = (connect, sock_connect, sock_read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=None, connect=connect, sock_connect=sock_connect, sock_read=sock_read
            )
            self._timeouts[key] = timeout
        return timeout

    def _proxy(self, url: str) -> str | None:
        """Return the environment's proxy for the URL's scheme and host (cached per origin)."""
        path_at = url.find("/", url.find("//") + 2)
        origin = url if path_at < 0 else url[:path_at]
        if origin in self._proxies:
            return self._proxies[origin]
        parts = urlsplit(url)
        proxy = urllib.request.getproxies_environment().get(parts.scheme)
        bypass = urllib.request.proxy_bypass(parts.hostname or "")
        self._proxies[origin] = None if bypass else proxy
        return self._proxies[origin]


def _form(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    """Return a multipart form of the parameters and the files (name, content, mime type)."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        if not isinstance(content, bytes):
            content = content.read()
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
