"""/link: one person, several messengers.

`/link` in one messenger gives a one-time code; `/link CODE` (or the Telegram deep
link `/start link-CODE`) in the other merges the two accounts into one person, so
progress, team and roles follow whichever messenger the person writes from.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.context import Ctx
from bot.messages import Reply
from bot.services import Services
from storage import linking, outbox, persons

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read from one screen and typed on another."""
CODE_LENGTH = 8
CODE_TTL = timedelta(minutes=10)
DEEP_LINK_PREFIX = "link-"
PLATFORM_NAMES = {"telegram": "Telegram", "vk": "VK", "max": "MAX", "console": "console"}


def register(s: Services) -> None:
    s.router.command("link", link)
    s.router.deep_link(DEEP_LINK_PREFIX, deep_link)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def link(ctx: Ctx) -> None:
    if ctx.args:
        await redeem(ctx, ctx.args[0])
        return
    code = new_code()
    await linking.create_code(ctx.conn, code, ctx.person.id, ctx.account.id, ctx.now, ctx.now + CODE_TTL)
    minutes = int(CODE_TTL.total_seconds() // 60)
    await ctx.reply(ctx.t("link.code", code=code, minutes=minutes))
    username = ctx.services.settings.telegram_bot_username.lstrip("@")
    if username and ctx.account.platform != "telegram":
        await ctx.reply(ctx.t("link.telegram_link", url=f"https://t.me/{username}?start={DEEP_LINK_PREFIX}{code}"))


async def deep_link(ctx: Ctx) -> None:
    await redeem(ctx, ctx.args[0].removeprefix(DEEP_LINK_PREFIX))


async def redeem(ctx: Ctx, typed: str) -> None:
    code = typed.strip().upper().replace("-", "").replace(" ", "")
    found = await linking.use_code(ctx.conn, code, ctx.now) if code else None
    if found is None:
        await ctx.reply(ctx.t("link.bad_code"))
        return
    if found.person_id == ctx.person.id:
        await ctx.reply(ctx.t("link.same_person"))
        return
    keep, _ = await linking.merge(ctx.conn, found.person_id, ctx.person.id, ctx.now)
    here = PLATFORM_NAMES.get(ctx.account.platform, ctx.account.platform)
    accounts = {a.id: a for a in await persons.accounts_of(ctx.conn, keep)}
    origin = accounts.get(found.account_id)
    there = PLATFORM_NAMES.get(origin.platform, origin.platform) if origin else ""
    await ctx.reply(ctx.t("link.done", other=there))
    if origin is not None:
        person = await persons.get_person(ctx.conn, keep)
        lang = person.locale or ctx.lang
        row = await outbox.enqueue(
            ctx.conn, idem_key=f"link:{code}", person_id=keep, platform=origin.platform,
            chat_ref=origin.chat_ref, reply=Reply(ctx.services.texts.get(lang, "link.done", other=here)),
            now=ctx.now, kind="notice",
        )
        if row is not None:
            ctx.written.append(row)
