"""Invitations of tutors and coordinators: a one-time code, or a Telegram deep link with it.

The code is the only secret: whoever opens `/start inv-CODE` first, before it expires,
gets the role, and the coordinator who made it is told who joined.
"""

from __future__ import annotations

from datetime import timedelta

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.people import name
from bot.services import Services
from storage import invites, persons

COORDINATOR = {"coordinator"}
PREFIX = "inv-"
INVITE_TTL = timedelta(days=7)
INVITABLE = ("tutor", "coordinator")


def register(s: Services) -> None:
    s.router.command("invite", invite, COORDINATOR)
    s.router.payload("inv", invite_button, COORDINATOR)
    s.router.deep_link(PREFIX, redeem)


async def invite(ctx: Ctx) -> None:
    """`/invite` offers the roles as buttons; `/invite tutor` makes the code at once."""
    if ctx.args and ctx.args[0].lower() in INVITABLE:
        await _make(ctx, ctx.args[0].lower())
        return
    buttons = [[Button(ctx.t(f"invite.role.{role}"), f"inv|{role}") for role in INVITABLE]]
    await ctx.reply(ctx.t("invite.choose_role"), buttons)


async def invite_button(ctx: Ctx) -> None:
    """`inv|<role>` makes a code; `inv|x|<code>` withdraws an unused one (from /roles)."""
    if len(ctx.args) == 2 and ctx.args[0] == "x":
        done = await invites.cancel(ctx.conn, ctx.args[1], ctx.now)
        await ctx.reply(ctx.t("rolesadm.invite_cancelled" if done else "rolesadm.invite_gone"))
        return
    if len(ctx.args) != 1 or ctx.args[0] not in INVITABLE:
        await ctx.services.core.stale(ctx)
        return
    await _make(ctx, ctx.args[0])


async def _make(ctx: Ctx, role: str) -> None:
    expires = ctx.now + INVITE_TTL
    code = await invites.create(ctx.conn, role, ctx.person.id, ctx.now, expires)
    username = ctx.services.settings.telegram_bot_username.lstrip("@")
    link = f"https://t.me/{username}?start={PREFIX}{code}" if username else ""
    await ctx.reply(
        ctx.t("invite.created", role=ctx.t(f"invite.role.{role}"), code=f"{PREFIX}{code}",
              link=link, days=INVITE_TTL.days)
    )


async def redeem(ctx: Ctx) -> None:
    """`/start inv-CODE`: grant the role once, tell the inviter."""
    code = ctx.args[0][len(PREFIX):].strip().upper()
    found = await invites.get(ctx.conn, code) if code else None
    if found is None:
        await ctx.reply(ctx.t("invite.unknown"))
        return
    if found.used_by == ctx.person.id or found.role in ctx.roles:
        await ctx.reply(ctx.t("invite.already_yours", role=ctx.t(f"invite.role.{found.role}")))
        return
    if not await invites.redeem(ctx.conn, code, ctx.person.id, ctx.now):
        await ctx.reply(ctx.t("invite.used_or_expired"))
        return
    await persons.grant_role(ctx.conn, ctx.person.id, found.role, ctx.now)
    ctx.roles.add(found.role)
    await ctx.reply(ctx.t(f"invite.welcome_{found.role}"))
    if found.created_by is not None:
        who = await name(ctx.conn, ctx.person.id)
        texts = ctx.services.texts
        role, tutor_id = found.role, ctx.person.id

        def build(lang: str) -> Reply:
            text = texts.get(lang, "invite.joined", name=who, role=texts.get(lang, f"invite.role.{role}"))
            if role != "tutor":
                return Reply(text)
            # a new tutor is of use once they have a team: one tap to give them one
            return Reply(f"{text}\n{texts.get(lang, 'invite.give_team_hint')}",
                         [[Button(texts.get(lang, "invite.give_team"), f"tm|for|{tutor_id}")]])

        await ctx.notify(found.created_by, f"inv:{code}:joined", build)
