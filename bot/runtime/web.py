"""The bot's HTTP side (aiohttp): the webhook, GET /healthz and the Lab on one listener.

PTB's own webhook server (tornado, behind ``run_webhook``) serves exactly one path, so the
health endpoint could not share its port; aiohttp is already a dependency and runs on the
same event loop as the application. Updates go through ``application.update_queue`` as with
``run_webhook``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.lab.gates import TelegramGate
from bot.lab.server import add_lab_routes, lab_server
from bot.runtime.health import health_report
from bot.runtime.webconfig import HEALTH_PATH, SECRET_HEADER, ListenAddress, WebhookSettings
from bot.runtime.webhook_body import NotAnUpdate, update_from_body
from bot.services.hub import BotApplication, get_services
from briefings import LabViews

log = logging.getLogger(__name__)

#: Telegram's updates are small; a larger body is not one of them.
MAX_UPDATE_BYTES = 1024 * 1024


def build_web_app(application: BotApplication, webhook: WebhookSettings | None) -> web.Application:
    """Return the aiohttp app: /healthz always, the webhook path when ``webhook`` is given."""
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)

    async def healthz(request: web.Request) -> web.Response:
        status, body = await health_report(application)
        return web.json_response(body, status=status)

    app.router.add_get(HEALTH_PATH, healthz)
    _add_lab(app, application)
    if webhook is not None:
        app.router.add_post(webhook.path, _webhook_handler(application, webhook.secret))
    return app


def _add_lab(app: web.Application, application: BotApplication) -> None:
    """Serve the Rotation Lab when MARKETBRIEF_PUBLIC_URL gives it an address."""
    services = get_services(application)
    if services.settings.lab.public_url is None:
        return
    clock = services.clock

    def unix_time() -> float:
        return clock().timestamp()

    gate = TelegramGate(services.settings.token, unix_time)
    add_lab_routes(app, lab_server(LabViews(services.desk.service), gate))


def _webhook_handler(
    application: BotApplication, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning(
                "webhook: refused a request without the secret token (from %s)", request.remote
            )
            return web.Response(status=403, text="forbidden")
        body = await request.read()  # past client_max_size: 413, before anything is parsed
        try:
            update = update_from_body(body, application.bot)
        except NotAnUpdate as exc:
            log.warning("webhook: refused a body that is not an Update: %s", exc)
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    return receive


async def start_web(app: web.Application, address: ListenAddress) -> web.AppRunner:
    """Serve ``app`` on ``address`` (TCP or unix socket); stop it with ``runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site: web.BaseSite
    if address.unix_path is not None:
        address.unix_path.parent.mkdir(parents=True, exist_ok=True)
        address.unix_path.unlink(missing_ok=True)
        site = web.UnixSite(runner, str(address.unix_path))
    else:
        site = web.TCPSite(runner, address.host, address.port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int | None:
    """Return the TCP port the runner listens on (useful with port 0), None for a socket."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    return None
