"""/web and /panel: how tutors and coordinators get into the web panel from the chat.

/web answers a one-time sign-in link (10 minutes, usable once; only its hash is stored).
/panel opens the panel as a Telegram Mini App where it can (an https address), and
elsewhere gives the same one-time link as a button.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from storage import web_sessions

STAFF = {"tutor", "coordinator"}
LINK_MINUTES = 10


def register(s: Services) -> None:
    s.router.command("web", web_link, STAFF)
    s.router.command("panel", panel, STAFF)


def _url(ctx: Ctx) -> str:
    return ctx.services.settings.web_public_url


async def login_link(ctx: Ctx) -> str:
    token = secrets.token_urlsafe(32)
    await web_sessions.create_login_token(ctx.conn, token, ctx.person.id, ctx.now,
                                          ctx.now + timedelta(minutes=LINK_MINUTES))
    return f"{_url(ctx)}/login/{token}"


async def web_link(ctx: Ctx) -> None:
    if not _url(ctx):
        await ctx.reply(ctx.t("panel_chat.not_set_up"))
        return
    url = await login_link(ctx)
    await ctx.reply(ctx.t("panel_chat.link") + "\n" + url,
                    [[Button(ctx.t("panel_chat.link_button"), url=url)]])


async def panel(ctx: Ctx) -> None:
    if not _url(ctx):
        await ctx.reply(ctx.t("panel_chat.not_set_up"))
        return
    if ctx.account.platform == "telegram" and _url(ctx).startswith("https://"):
        button = Button(ctx.t("panel_chat.open_button"), url=f"{_url(ctx)}/signin", web_app=True)
        await ctx.reply(ctx.t("panel_chat.panel_text"), [[button]])
        return
    url = await login_link(ctx)
    await ctx.reply(ctx.t("panel_chat.panel_text") + "\n" + ctx.t("panel_chat.link"),
                    [[Button(ctx.t("panel_chat.open_button"), url=url)]])
