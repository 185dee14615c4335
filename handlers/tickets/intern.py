"""Questions to a tutor, the intern's side: ask, add to a question, "that helped".

`ask` (the menu button) and `/ask` open a short dialog; the message (text, photo, file
or voice) becomes a ticket for the team's tutor, or goes straight to the coordinators
when the team has none. A messenger reply to any ticket message continues that ticket,
for the intern as for the staff (see `on_reply`).
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from handlers.internship import menu
from handlers.tickets import cards, escalation, staff, writing
from handlers.tickets.writing import ASK_DIALOG, Said
from storage import persons, teams, tickets
from storage.dialogs import Dialog
from storage.tickets import Ticket

INTERN = {"intern"}


def register(s: Services) -> None:
    r = s.router
    r.command("ask", ask_command, INTERN)
    r.payload("ask", ask_button, INTERN)
    r.payload("askok", helped_button, INTERN)
    r.payload("askno", cancel_button)
    r.dialog(ASK_DIALOG, ask_dialog)
    r.reply_to(on_reply)
    staff.register(s)
    escalation.register(s)


async def ask_command(ctx: Ctx) -> None:
    """`/ask` opens the dialog; `/ask <question>` asks at once."""
    if ctx.args:
        if not await _room_for_more(ctx):
            return
        said = Said(" ".join(ctx.args)[: writing.MAX_TEXT], None)
        stage_id, step = await cards.where(ctx.conn, ctx.services.programme, ctx.person.id)
        await new_ticket(ctx, said, stage_id, step)
        return
    await open_question(ctx)


async def ask_button(ctx: Ctx) -> None:
    """`ask` starts a new question; `ask|<id>` adds to the intern's own ticket."""
    if not ctx.args:
        await open_question(ctx)
        return
    ticket = await _own_ticket(ctx, ctx.args[0])
    if ticket is None:
        return
    await writing.enter(ctx, ASK_DIALOG, str(ticket.id))
    await ctx.reply(ctx.t("tickets.write_more", id=ticket.id), writing.cancel_row(ctx))


async def _room_for_more(ctx: Ctx) -> bool:
    limit = ctx.services.programme.escalation.max_open_per_intern
    if await tickets.count_unclosed_of_intern(ctx.conn, ctx.person.id) >= limit:
        await ctx.reply(ctx.t("tickets.too_many", limit=limit))
        return False
    return True


async def open_question(ctx: Ctx) -> None:
    if not await _room_for_more(ctx):
        return
    stage_id, step = await cards.where(ctx.conn, ctx.services.programme, ctx.person.id)
    await writing.enter(ctx, ASK_DIALOG, "", {"stage": stage_id, "step": step})
    await ctx.reply(ctx.t("tickets.write_question"), writing.cancel_row(ctx))


async def ask_dialog(ctx: Ctx, dialog: Dialog) -> None:
    said = await writing.read(ctx)
    if said is None:
        return
    if dialog.ref:
        ticket = await writing.find(ctx, dialog.ref)
        if ticket is None or ticket.intern_id != ctx.person.id:
            await ctx.reply(ctx.t("tickets.not_yours"))
        else:
            await add_to_ticket(ctx, ticket, said)
    else:
        await new_ticket(ctx, said, dialog.data.get("stage"), dialog.data.get("step"))
    await writing.leave(ctx, dialog)


async def ask_kept(ctx: Ctx, items: list[Said]) -> int | None:
    """Messages kept from outside any dialog become one question: their texts together, the
    first file with it and any further file added after it. None when the person already
    has as many open questions as the programme allows (they were told; nothing is lost)."""
    if not await _room_for_more(ctx):
        return None
    text = "\n\n".join(s.text for s in items if s.text)[: writing.MAX_TEXT]
    files = [s.file for s in items if s.file is not None]
    stage_id, step = await cards.where(ctx.conn, ctx.services.programme, ctx.person.id)
    ticket_id = await new_ticket(ctx, Said(text, files[0] if files else None), stage_id, step)
    ticket = await tickets.get(ctx.conn, ticket_id)
    assert ticket is not None
    for file in files[1:]:
        await add_to_ticket(ctx, ticket, Said("", file), confirm=False)
    return ticket_id


async def new_ticket(ctx: Ctx, said: Said, stage_id: str | None, step: str | None) -> int:
    """Create the ticket; the tutor gets the card, or the coordinators if there is no tutor."""
    team = await teams.team_of(ctx.conn, ctx.person.id)
    ticket_id = await tickets.create(
        ctx.conn, intern_id=ctx.person.id, team_id=team.id if team else None,
        tutor_id=team.tutor_id if team else None, stage_id=stage_id, step=step,
        question=said.text or "", now=ctx.now,
    )
    message_id = await tickets.add_message(ctx.conn, ticket_id, ctx.person.id, "intern",
                                           said.text, said.file, ctx.incoming.platform, ctx.now)
    ticket = await tickets.get(ctx.conn, ticket_id)
    assert ticket is not None
    more = [[Button(ctx.t("tickets.btn.add_more"), f"ask|{ticket_id}")]]
    if ticket.tutor_id is None:
        await escalation.escalate(ctx.conn, ctx.services, ticket_id, "no_tutor", ctx.now,
                                         ctx.written)
        await writing.confirm(ctx, ticket_id, message_id, "tickets.sent_to_coordinators", more)
        return ticket_id
    await staff.send_to_tutor(ctx, ticket)
    await writing.confirm(ctx, ticket_id, message_id, "tickets.sent_to_tutor", more)
    return ticket_id


async def add_to_ticket(ctx: Ctx, ticket: Ticket, said: Said, *, confirm: bool = True) -> None:
    """A further message in the intern's ticket: it waits for an answer again."""
    message_id = await tickets.add_message(ctx.conn, ticket.id, ctx.person.id, "intern",
                                           said.text, said.file, ctx.incoming.platform, ctx.now)
    await tickets.follow_up(ctx.conn, ticket.id, ctx.now)
    fresh = await tickets.get(ctx.conn, ticket.id)
    assert fresh is not None
    message = (await tickets.messages(ctx.conn, ticket.id))[-1]
    readers = [fresh.tutor_id] if fresh.tutor_id else []
    if not readers or fresh.status == "escalated":
        readers += await persons.persons_with_role(ctx.conn, "coordinator")
    for reader in dict.fromkeys(readers):
        parts = await cards.follow_up_for_staff(ctx.conn, ctx.services, fresh, message,
                                                       reader)
        not_before = await escalation.staff_not_before(ctx.conn, ctx.services, reader,
                                                              ctx.now)
        for suffix, part in parts:
            await ctx.notify(reader, f"tk:{ticket.id}:m:{message_id}:{reader}{suffix}", part,
                             not_before=not_before)
    if confirm:
        await writing.confirm(ctx, ticket.id, message_id, "tickets.added")


async def helped_button(ctx: Ctx) -> None:
    """"That helped": the intern closes the ticket and the tutor hears it was useful."""
    ticket = await _own_ticket(ctx, ctx.args[0] if ctx.args else "")
    if ticket is None:
        return
    if not await tickets.close(ctx.conn, ticket.id, ctx.now):
        await ctx.reply(ctx.t("tickets.already_thanked", id=ticket.id))
        return
    await ctx.reply(ctx.t("tickets.glad_it_helped"), menu.rows(ctx.services.texts, ctx.lang))
    if ticket.tutor_id:
        await ctx.notify(ticket.tutor_id, f"tk:{ticket.id}:helped:{writing.update_tag(ctx)}",
                         cards.plain(ctx.services.texts, "tickets.tutor_helped",
                                            id=ticket.id))


async def cancel_button(ctx: Ctx) -> None:
    dialog = await writing.current_ticket_dialog(ctx)
    if dialog is None:
        await ctx.services.core.stale(ctx)
        return
    back_to_something = "prev" in dialog.data
    rows = None if back_to_something or not ctx.has_role("intern") else menu.rows(
        ctx.services.texts, ctx.lang)
    await ctx.reply(ctx.t("tickets.cancelled"), rows)
    await writing.leave(ctx, dialog)


async def _own_ticket(ctx: Ctx, raw: str) -> Ticket | None:
    ticket = await writing.find(ctx, raw)
    if ticket is None or ticket.intern_id != ctx.person.id:
        await ctx.reply(ctx.t("tickets.not_yours"))
        return None
    return ticket


async def on_reply(ctx: Ctx) -> bool:
    """A messenger reply to one of our ticket messages continues that ticket."""
    incoming = ctx.incoming
    assert incoming.reply_to_ref is not None
    ticket_id = await tickets.ticket_of_message(
        ctx.conn, incoming.platform, incoming.chat_ref, ctx.person.id, incoming.reply_to_ref
    )
    if ticket_id is None:
        return False
    ticket = await tickets.get(ctx.conn, ticket_id)
    if ticket is None:
        return False
    if ticket.intern_id == ctx.person.id:
        said = await writing.read(ctx, in_dialog=False)
        if said is not None:
            await add_to_ticket(ctx, ticket, said)
        return True
    if not staff.may_act(ctx, ticket):
        await ctx.reply(ctx.t("tickets.not_yours"))
        return True
    said = await writing.read(ctx, in_dialog=False)
    if said is not None:
        await staff.answer(ctx, ticket, said)
    return True
