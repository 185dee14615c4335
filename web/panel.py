"""The panel's aiohttp application: sessions, CSRF, role checks, and how pages plug in.

A page module registers with `panel.page(path, handler, roles, nav=...)` (GET) and
`panel.form(path, handler, roles)` (POST). Both wrappers sign the request in from the
session cookie, read the person's roles afresh and check them with the chat router's own
`allowed` (a refusal is 403); a form also needs the session's CSRF token (else 403).
Handlers get `(request, viewer)` and answer with `panel.render(...)` or a redirect.
web/PANEL_SKELETON in /tmp/team describes the conventions for new pages.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.router import Route, allowed
from bot.services import Services
from bot.sign_in import SignInCheck
from storage import persons, web_sessions
from web.viewer import Viewer
from web.views import Views

log = logging.getLogger(__name__)

COOKIE = "panel_session"
SESSION_HOURS = 12
STAFF = frozenset({"tutor", "coordinator"})
"""Who may sign in at all; each page names its own roles on top."""
MAX_BODY = 256 * 1024
PAGES_AT_ONCE = 1
"""Pages built at the same time. The chat engine shares this event loop and the database
lock: without a bound, twenty people reloading the panel queue twenty reads ahead of
every intern's update (engine p99 465 ms measured, 52 ms with two, 23 ms with one, and
the panel served more pages with one). Past it, panel requests wait for each other."""

VIEWER = web.RequestKey("viewer", Viewer | None)  # type: ignore[arg-type]
"""The request's signed-in person, looked up once per request."""

PageHandler = Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label_key: str
    route: Route


class Panel:
    def __init__(self, services: Services, *, sign_ins: dict[str, SignInCheck] | None = None) -> None:
        self.s = services
        self.sign_ins = sign_ins or {}
        self.views = Views(services.texts)
        self.nav: list[NavItem] = []
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[self._headers])
        self._flash: dict[str, list[str]] = {}
        self._pages = asyncio.Semaphore(PAGES_AT_ONCE)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        from web.pages import register_all

        register_all(self)

    # --- serving -----------------------------------------------------------------------------
    async def start(self, listen: str | None = None) -> int:
        """Listen on host:port (WEB_LISTEN; port 0 picks a free one); returns the port."""
        host, _, port = (listen or self.s.settings.web_listen).rpartition(":")
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host or "127.0.0.1", int(port))
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else int(port)
        log.info("web panel listening on %s:%s", host or "127.0.0.1", self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """No page is cached or framed by a stranger; no script but our own inline ones."""
        response: web.StreamResponse = await handler(request)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
            " img-src 'self' data:; frame-ancestors https://web.telegram.org https://*.vk.com"
            " https://vk.com 'self'",
        )
        return response

    # --- registration ------------------------------------------------------------------------
    def page(self, path: str, handler: PageHandler, roles: set[str], *, nav: str | None = None) -> None:
        """A GET page for these roles; `nav` (a locale key) lists it in the menu."""
        route = Route(_no_ctx, frozenset(roles))
        if nav:
            self.nav.append(NavItem(path, nav, route))
        self.app.router.add_get(path, self._guard(handler, route, form=False))

    def form(self, path: str, handler: PageHandler, roles: set[str]) -> None:
        """A POST form for these roles; the CSRF token is checked before the handler runs."""
        self.app.router.add_post(path, self._guard(handler, Route(_no_ctx, frozenset(roles)), form=True))

    def _guard(self, handler: PageHandler, route: Route, *, form: bool) -> Any:
        async def guarded(request: web.Request) -> web.StreamResponse:
            async with self._pages:
                return await checked(request)

        async def checked(request: web.Request) -> web.StreamResponse:
            viewer = await self.viewer(request)
            if viewer is None:
                if form:
                    return await self.error(request, 401, "panel.errors.signed_out")
                raise web.HTTPSeeOther("/signin")
            if form:
                data = await request.post()
                token = str(data.get("csrf", ""))
                if not token or not hmac.compare_digest(token, viewer.csrf):
                    return await self.error(request, 403, "panel.errors.csrf", viewer)
            if not allowed(route, viewer):
                return await self.error(request, 403, "panel.errors.forbidden", viewer)
            return await handler(request, viewer)

        return guarded

    # --- sessions ----------------------------------------------------------------------------
    async def viewer(self, request: web.Request) -> Viewer | None:
        """The signed-in person of this request, with roles read now; None when signed out."""
        if VIEWER in request:
            return request[VIEWER]
        secret = request.cookies.get(COOKIE, "")
        found: Viewer | None = None
        if secret and len(secret) < 200:
            async with self.s.db.read() as conn:
                session = await web_sessions.session(conn, secret, self.s.clock.now())
                if session is not None:
                    person, roles = await persons.person_and_roles(conn, session.person_id)
                    accounts = await persons.accounts_of(conn, session.person_id)
                    if accounts and roles & STAFF:
                        account = accounts[0]
                        lang = person.locale or self.s.texts.language_for(account.language_code)
                        found = Viewer(person, account, roles, lang, session.csrf, secret, self.s.texts)
        request[VIEWER] = found
        return found

    async def sign_in(self, person_id: int, via: str) -> web.Response:
        """A new session for this person, then the first page their role may see."""
        secret = secrets.token_urlsafe(32)
        now = self.s.clock.now()
        async with self.s.db.transaction() as conn:
            await web_sessions.create_session(conn, secret, person_id, secrets.token_urlsafe(24), via, now,
                                              now + timedelta(hours=SESSION_HOURS))
        response = web.Response(status=303, headers={"Location": "/"})
        response.set_cookie(COOKIE, secret, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                            samesite="Lax", secure=self.s.settings.web_secure_cookies)
        return response

    async def sign_out(self, viewer: Viewer) -> web.Response:
        async with self.s.db.transaction() as conn:
            await web_sessions.end_session(conn, viewer.session_key)
        self._flash.pop(viewer.session_key, None)
        response = web.Response(status=303, headers={"Location": "/signin"})
        response.del_cookie(COOKIE, path="/")
        return response

    # --- answering ---------------------------------------------------------------------------
    def flash(self, viewer: Viewer, notes: list[str]) -> None:
        """Notes shown once on the next page (after a form's redirect)."""
        if notes:
            self._flash.setdefault(viewer.session_key, []).extend(notes)

    def visible_nav(self, viewer: Viewer) -> list[NavItem]:
        return [item for item in self.nav if allowed(item.route, viewer)]

    async def render(
        self, request: web.Request, viewer: Viewer | None, template: str, *, status: int = 200,
        lang: str | None = None, **context: Any,
    ) -> web.Response:
        """A page in the viewer's language, with the menu, the CSRF token and flash notes."""
        language = viewer.lang if viewer else (lang or self.s.texts.default)
        context.setdefault("notes", self._flash.pop(viewer.session_key, []) if viewer else [])
        html = await self.views.render(
            template, language, viewer=viewer, csrf=viewer.csrf if viewer else "",
            nav=self.visible_nav(viewer) if viewer else [], path=request.path, **context,
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    async def error(
        self, request: web.Request, status: int, key: str, viewer: Viewer | None = None,
        lang: str | None = None,
    ) -> web.Response:
        return await self.render(request, viewer, "error.html", status=status, lang=lang,
                                 message_key=key, code=status)


async def _no_ctx(_ctx: Any) -> None:
    """Routes here carry only roles for `allowed`; the page handler is called by the panel."""
