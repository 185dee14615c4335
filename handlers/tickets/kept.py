"""What a person writes outside any dialog: kept, and sent as a question with one tap.

WHY: an intern who writes «Я не смогу прийти на первую встречу, что делать?», or sends a
photo or a voice message, believes someone read it. The bot used to answer with the
whole /help and the message went nowhere. Now it is kept (in the database: a restart
loses nothing) and a short answer offers to send that very message to the team's tutor,
or to the coordinators while there is no tutor or the person is still applying; several
messages in a row join the same offer. Nobody is asked to type it again, and a decided
offer is never asked twice. Anything else that reaches "nothing to do" gets a few lines
with buttons, not the long help (that stays on /help).
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from handlers.internship import menu
from handlers.tickets import intern, writing
from handlers.tickets.writing import Said
from storage import applications, kept, teams

PREFIX = "kept"
STAFF = frozenset({"tutor", "coordinator"})


def register(s: Services) -> None:
    s.router.on_idle(idle)
    # Anyone may press: what is sent or dropped is always the presser's own kept messages.
    s.router.payload(PREFIX, on_button)


def _wrote(ctx: Ctx) -> bool:
    incoming = ctx.incoming
    return incoming.payload is None and (
        bool((incoming.text or "").strip()) or incoming.file is not None or incoming.unsupported is not None
    )


async def idle(ctx: Ctx) -> None:
    if not _wrote(ctx) or STAFF & ctx.roles:
        await nudge(ctx)
        return
    said = await writing.read(ctx, in_dialog=False)  # explains itself when it cannot be kept
    if said is None:
        return
    await kept.keep(ctx.conn, ctx.person.id, ctx.incoming.platform, said.text, said.file, ctx.now)
    count = len(await kept.waiting(ctx.conn, ctx.person.id))
    who = "tutor" if await _has_tutor(ctx) else "coordinators"
    key = f"kept.offer_{who}" if count == 1 else f"kept.more_{who}"
    rows = [[Button(ctx.t(f"kept.btn.send_{who}", count=count), f"{PREFIX}|send")],
            [Button(ctx.t("kept.btn.drop"), f"{PREFIX}|drop")]]
    if ctx.has_role("intern"):
        rows.append([Button(ctx.t("menu.next"), "menu|next")])
    await ctx.reply(ctx.t(key, count=count), rows)


async def on_button(ctx: Ctx) -> None:
    action = ctx.args[0] if len(ctx.args) == 1 else ""
    if action not in ("send", "drop"):
        await ctx.services.core.stale(ctx)
        return
    waiting = await kept.waiting(ctx.conn, ctx.person.id)
    if not waiting:
        await ctx.reply(ctx.t("kept.nothing_waiting"), _next_rows(ctx))
        return
    ids = [k.id for k in waiting]
    if action == "drop":
        await kept.decide(ctx.conn, ids, "dropped", ctx.now)
        await ctx.reply(ctx.t("kept.dropped"), _next_rows(ctx))
        return
    ticket_id = await intern.ask_kept(ctx, [Said(k.text, k.file) for k in waiting])
    if ticket_id is not None:
        await kept.decide(ctx.conn, ids, "sent", ctx.now, ticket_id)


async def nudge(ctx: Ctx) -> None:
    """A few lines with buttons: what to do now for an intern, where one stands otherwise."""
    if ctx.has_role("intern"):
        await menu.whats_next(ctx)
        return
    if STAFF & ctx.roles:
        await ctx.reply(ctx.t("kept.staff_hint"))
        return
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    if latest is None or latest.status not in ("pending", "approved"):
        await ctx.reply(ctx.t("kept.apply_hint"), [[Button(ctx.t("kept.btn.apply"), "apply")]])
        return
    await ctx.reply(ctx.t(f"help.where_{latest.status}"))


async def _has_tutor(ctx: Ctx) -> bool:
    if not ctx.has_role("intern"):
        return False
    team = await teams.team_of(ctx.conn, ctx.person.id)
    return team is not None and team.tutor_id is not None


def _next_rows(ctx: Ctx) -> list[list[Button]] | None:
    return [[Button(ctx.t("menu.next"), "menu|next")]] if ctx.has_role("intern") else None
