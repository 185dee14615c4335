"""The small HTTP server a messenger's webhook posts to, shared by the adapters that have one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(url: str, listen: str, handler: Handler) -> tuple[web.AppRunner, int]:
    """Listen on `listen` (host:port, port 0 for any) at the path of the public `url`.

    Returns the runner (its cleanup waits for the updates in hand, up to 30 s) and the
    port really bound. No access log: the path and the sender's address are all it would
    say, and a webhook's path is half its secret.
    """
    app = web.Application()
    app.router.add_post(urlsplit(url).path or "/", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=30)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    return runner, int(runner.addresses[0][1])
