"""Signing in without passwords: Telegram and VK Mini Apps, or a one-time link from /web.

A bad or missing signature, or data older than a day, is 401; a person without a
tutor's or coordinator's role is 403. The checks of the signatures come from the
messengers (`bot.sign_in.SignInCheck`, wired by the entry point).
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.sign_in import BadSignature
from storage import persons, web_sessions
from web.panel import STAFF, Panel
from web.viewer import Viewer

SIGNED_DATA_MAX_AGE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)
LINK_TOKEN_MAX = 128


def register(panel: Panel) -> None:
    async def signin_page(request: web.Request) -> web.StreamResponse:
        if await panel.viewer(request) is not None:
            raise web.HTTPSeeOther("/")
        return await panel.render(request, None, "signin.html", lang=browser_language(panel, request),
                                  telegram="telegram" in panel.sign_ins, vk="vk" in panel.sign_ins)

    async def home(request: web.Request) -> web.StreamResponse:
        viewer = await panel.viewer(request)
        if viewer is None:
            raise web.HTTPSeeOther("/signin")
        items = panel.visible_nav(viewer)
        if not items:
            return await panel.error(request, 403, "panel.errors.forbidden", viewer)
        raise web.HTTPSeeOther(items[0].path)

    async def by_messenger(request: web.Request, platform: str, field: str) -> web.StreamResponse:
        check = panel.sign_ins.get(platform)
        lang = browser_language(panel, request)
        if check is None:
            return await panel.error(request, 404, "panel.errors.not_set_up", lang=lang)
        data = await request.post()
        try:
            signed = check(str(data.get(field, "")))
        except BadSignature:
            return await panel.error(request, 401, "panel.errors.bad_signature", lang=lang)
        lang = panel.s.texts.language_for(signed.language_code) if signed.language_code else lang
        now = panel.s.clock.now()
        if signed.signed_at is None or not now - SIGNED_DATA_MAX_AGE <= signed.signed_at <= now + CLOCK_SKEW:
            return await panel.error(request, 401, "panel.errors.expired", lang=lang)
        async with panel.s.db.read() as conn:
            account = await persons.find_account(conn, signed.platform, signed.user_ref)
            roles = await persons.roles_of(conn, account.person_id) if account else set()
        if account is None or not roles & STAFF:
            return await panel.error(request, 403, "panel.errors.not_staff", lang=lang)
        return await panel.sign_in(account.person_id, platform)

    async def telegram(request: web.Request) -> web.StreamResponse:
        return await by_messenger(request, "telegram", "init_data")

    async def vk(request: web.Request) -> web.StreamResponse:
        return await by_messenger(request, "vk", "params")

    async def link_page(request: web.Request) -> web.StreamResponse:
        """GET only shows a button: link previews fetch the address and must not spend it."""
        token = request.match_info["token"]
        lang = browser_language(panel, request)
        usable = False
        if len(token) <= LINK_TOKEN_MAX:
            async with panel.s.db.read() as conn:
                usable = await web_sessions.login_token_usable(conn, token, panel.s.clock.now())
        if not usable:
            return await panel.error(request, 401, "panel.errors.link_spent", lang=lang)
        return await panel.render(request, None, "login_link.html", lang=lang, token=token)

    async def link_use(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        lang = browser_language(panel, request)
        person_id = None
        if len(token) <= LINK_TOKEN_MAX:
            async with panel.s.db.transaction() as conn:
                person_id = await web_sessions.use_login_token(conn, token, panel.s.clock.now())
                roles = await persons.roles_of(conn, person_id) if person_id else set()
        if person_id is None:
            return await panel.error(request, 401, "panel.errors.link_spent", lang=lang)
        if not roles & STAFF:
            return await panel.error(request, 403, "panel.errors.not_staff", lang=lang)
        return await panel.sign_in(person_id, "link")

    async def logout(request: web.Request, viewer: Viewer) -> web.StreamResponse:
        return await panel.sign_out(viewer)

    panel.app.router.add_get("/", home)
    panel.app.router.add_get("/signin", signin_page)
    panel.app.router.add_post("/auth/telegram", telegram)
    panel.app.router.add_post("/auth/vk", vk)
    panel.app.router.add_get("/login/{token}", link_page)
    panel.app.router.add_post("/login/{token}", link_use)
    panel.form("/logout", logout, set(STAFF))


def browser_language(panel: Panel, request: web.Request) -> str:
    """Before sign-in the browser's language is all we know."""
    header = request.headers.get("Accept-Language", "")
    return panel.s.texts.language_for(header.split(",")[0].strip() or None)
