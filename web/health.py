"""`GET /healthz` for monitoring: no sign-in, no personal data, only counts and names."""

from __future__ import annotations

import asyncio

from aiohttp import web

from storage import panel_queries
from web.panel import Panel

DB_TIMEOUT_S = 2.0


def register(panel: Panel) -> None:
    async def healthz(request: web.Request) -> web.Response:
        db, pending = "ok", None
        roles: dict[str, object] = {"instance": panel.s.instance.name}
        try:
            async with asyncio.timeout(DB_TIMEOUT_S):
                async with panel.s.db.read() as conn:
                    pending = await panel_queries.outbox_pending(conn)
                roles = await panel.s.instance.status()
        except Exception:
            db = "error"
        body = {
            "status": "ok" if db == "ok" else "degraded",
            "db": db,
            "adapters": sorted(panel.s.delivery.messengers),
            "outbox_pending": pending,
            **roles,  # this instance, the live ones, and which holds the scheduler and each poll
        }
        return web.json_response(body, status=200 if db == "ok" else 503)

    panel.app.router.add_get("/healthz", healthz)
