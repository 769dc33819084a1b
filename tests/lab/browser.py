"""A headless Chromium (Debian's, through Selenium) and a Lab server running in a thread."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web

from bot.lab.gates import Gate, TelegramGate
from bot.lab.server import add_lab_routes, lab_server
from bot.runtime.web import bound_port, start_web
from bot.runtime.webconfig import ListenAddress
from briefings import LabViews, MarketService
from tests.lab.signing import TOKEN, signed_init_data

CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
#: A phone's screen, in CSS pixels.
PHONE_SIZE = (400, 860)
#: Telegram's dark theme parameters, as a client passes them.
DARK_THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
LIGHT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f1f1f1",
}


def _which(names: tuple[str, ...]) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


def chrome() -> Any:
    """Return a headless Chromium at phone size, or skip when there is none."""
    webdriver = pytest.importorskip("selenium.webdriver")
    binary, driver = _which(CHROMIUM_NAMES), _which(DRIVER_NAMES)
    if binary is None or driver is None:
        pytest.skip("no Chromium and chromedriver (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={PHONE_SIZE[0]},{PHONE_SIZE[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@dataclass
class RunningServer:
    """A Lab on 127.0.0.1 in a background thread: its address and what it serves."""

    base: str
    views: LabViews
    stop: threading.Event

    def view(self, name: str) -> dict[str, Any]:
        """Return a view's JSON, as the server built it."""
        loaded: dict[str, Any] = json.loads(self.views.view_json(name))
        return loaded

    def telegram_url(
        self,
        *,
        language: str = "en",
        theme: dict[str, str] | None = None,
        init_data: str | None = None,
        query: str = "",
    ) -> str:
        """Return the page's URL as Telegram opens it: launch parameters in the fragment."""
        data = signed_init_data(language) if init_data is None else init_data
        fragment = urlencode(
            {
                "tgWebAppData": data,
                "tgWebAppVersion": "8.0",
                "tgWebAppPlatform": "android",
                "tgWebAppThemeParams": json.dumps(theme or LIGHT_THEME),
            },
            quote_via=quote,
        )
        return f"{self.base}/lab/{query}#{fragment}"


@dataclass
class _Started:
    port: int = 0


def serve(service: MarketService, gate: Gate | None = None) -> Iterator[RunningServer]:
    """Serve the Lab of ``service`` (Telegram's initData by default) until the caller is done."""
    views = LabViews(service)
    gate = gate or TelegramGate(TOKEN, time.time)
    ready, stop, started = threading.Event(), threading.Event(), _Started()

    async def main() -> None:
        app = web.Application()
        add_lab_routes(app, lab_server(views, gate))
        runner = await start_web(app, ListenAddress("127.0.0.1", 0))
        started.port = bound_port(runner) or 0
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(30), "the Lab server did not start"
    try:
        yield RunningServer(f"http://127.0.0.1:{started.port}", views, stop)
    finally:
        stop.set()
        thread.join(10)
