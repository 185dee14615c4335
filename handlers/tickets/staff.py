"""Tutors and coordinators on tickets: the card's buttons, answering, queues and statistics.

Every action goes through `_ticket_for`: a coordinator may act on any ticket, a tutor
only on tickets assigned to them (their own teams' interns, or ones a coordinator passed
to them). A foreign or unknown id gets the same polite refusal, so ids reveal nothing.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import mean, median

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.services import Services
from handlers.tickets import cards, writing
from handlers.tickets.escalation import escalate, staff_not_before
from handlers.tickets.writing import REPLY_DIALOG
from storage import attention, persons, teams, tickets
from storage.dialogs import Dialog
from storage.tickets import Ticket

STAFF = {"tutor", "coordinator"}
COORDINATOR = {"coordinator"}
LIST_LIMIT = 20


def register(s: Services) -> None:
    r = s.router
    r.payload("tk", on_button, STAFF)
    r.command("ticket", show_command, STAFF)
    r.command("queue", queue, {"tutor"})
    r.command("tickets", all_tickets, COORDINATOR)
    r.command("ticketstats", stats, COORDINATOR)
    r.dialog(REPLY_DIALOG, reply_dialog)


def may_act(ctx: Ctx, ticket: Ticket) -> bool:
    return ctx.has_role("coordinator") or (
        ctx.has_role("tutor") and ticket.tutor_id == ctx.person.id
    )


async def _ticket_for(ctx: Ctx, raw: str) -> Ticket | None:
    ticket = await writing.find(ctx, raw)
    if ticket is None or not may_act(ctx, ticket):
        await ctx.reply(ctx.t("tickets.not_yours"))
        return None
    return ticket


async def show_card(ctx: Ctx, ticket: Ticket, headline: str = "tickets.card_view") -> None:
    """Send the card as a ticket message, so a messenger reply to it answers the ticket."""
    card = await cards.staff_card(
        ctx.conn, ctx.services, ticket, ctx.person.id, headline=headline,
        coordinator=ctx.has_role("coordinator"),
    )
    tag = writing.update_tag(ctx)
    for suffix, part in card:
        await ctx.notify(ctx.person.id, f"tk:{ticket.id}:view:{ctx.person.id}:{tag}{suffix}", part)


async def show_command(ctx: Ctx) -> None:
    """`/ticket 12`: open one ticket by its number."""
    if not ctx.args:
        await ctx.reply(ctx.t("tickets.usage_ticket"))
        return
    ticket = await _ticket_for(ctx, ctx.args[0].lstrip("#"))
    if ticket is not None:
        await show_card(ctx, ticket)


async def on_button(ctx: Ctx) -> None:
    """`tk|<id>|<action>[|<arg>]`: r reply, t take, c close, p pass, a reassign, to, s show."""
    if len(ctx.args) < 2:
        await ctx.services.core.stale(ctx)
        return
    ticket = await _ticket_for(ctx, ctx.args[0])
    if ticket is None:
        return
    action = ctx.args[1]
    if action == "s":
        await show_card(ctx, ticket)
    elif action == "r":
        await start_reply(ctx, ticket)
    elif action == "t":
        await take(ctx, ticket)
    elif action == "c":
        await close(ctx, ticket)
    elif action == "p":
        await hand_over(ctx, ticket)
    elif action == "a" and ctx.has_role("coordinator"):
        await choose_tutor(ctx, ticket)
    elif action == "to" and ctx.has_role("coordinator") and len(ctx.args) == 3:
        await reassign(ctx, ticket, ctx.args[2])
    elif action in ("a", "to"):
        await ctx.reply(ctx.t("tickets.coordinators_only"))
    else:
        await ctx.services.core.stale(ctx)


async def start_reply(ctx: Ctx, ticket: Ticket) -> None:
    if ticket.status == "closed":
        await ctx.reply(ctx.t("tickets.already_closed", id=ticket.id))
        return
    await writing.enter(ctx, REPLY_DIALOG, str(ticket.id))
    await ctx.reply(ctx.t("tickets.write_answer", id=ticket.id), writing.cancel_row(ctx))


async def take(ctx: Ctx, ticket: Ticket) -> None:
    if ticket.tutor_id != ctx.person.id:
        await ctx.reply(ctx.t("tickets.take_not_assigned", id=ticket.id))
        return
    if not await tickets.take(ctx.conn, ticket.id, ctx.now):
        status = ctx.t(f"tickets.status.{ticket.status}")
        await ctx.reply(ctx.t("tickets.cannot_take", id=ticket.id, status=status))
        return
    # A ticket message, not a plain reply: a tutor who took it naturally answers with a
    # messenger reply to this latest message about it, and that must reach the intern.
    text = ctx.t("tickets.taken_ok", id=ticket.id)
    buttons = [[Button(ctx.t("tickets.btn.reply"), f"tk|{ticket.id}|r")]]
    tag = writing.update_tag(ctx)
    await ctx.notify(ctx.person.id, f"tk:{ticket.id}:takenok:{tag}",
                     lambda _lang: Reply(text, buttons))
    await ctx.notify(ticket.intern_id, f"tk:{ticket.id}:taken:{tag}",
                     cards.plain(ctx.services.texts, "tickets.intern_taken", id=ticket.id))


async def close(ctx: Ctx, ticket: Ticket) -> None:
    if not await tickets.close(ctx.conn, ticket.id, ctx.now):
        await ctx.reply(ctx.t("tickets.already_closed", id=ticket.id))
        return
    await ctx.reply(ctx.t("tickets.closed_ok", id=ticket.id))
    texts = ctx.services.texts

    def again(lang: str) -> list[list[Button]]:
        return [[Button(texts.get(lang, "tickets.btn.ask_again"), f"ask|{ticket.id}")]]

    await ctx.notify(ticket.intern_id, f"tk:{ticket.id}:closed:{writing.update_tag(ctx)}",
                     cards.plain(texts, "tickets.intern_closed", again, id=ticket.id))


async def hand_over(ctx: Ctx, ticket: Ticket) -> None:
    if ticket.tutor_id != ctx.person.id:
        await ctx.reply(ctx.t("tickets.coordinators_see_all"))
        return
    if await escalate(ctx.conn, ctx.services, ticket.id, "handed_over", ctx.now, ctx.written):
        await ctx.reply(ctx.t("tickets.handed_over_ok", id=ticket.id))
    else:
        status = ctx.t(f"tickets.status.{ticket.status}")
        await ctx.reply(ctx.t("tickets.cannot_hand_over", id=ticket.id, status=status))


async def tutors(ctx: Ctx) -> list[int]:
    """Everyone a ticket can go to: people with the tutor role and every team's tutor."""
    ids = set(await persons.persons_with_role(ctx.conn, "tutor"))
    ids |= {t.tutor_id for t in await teams.all_teams(ctx.conn) if t.tutor_id}
    return sorted(ids)


async def choose_tutor(ctx: Ctx, ticket: Ticket) -> None:
    candidates = [t for t in await tutors(ctx) if t != ticket.tutor_id]
    if not candidates:
        await ctx.reply(ctx.t("tickets.no_tutors"))
        return
    rows = []
    for tutor_id in candidates[:LIST_LIMIT]:
        names = ", ".join(t.name for t in await teams.teams_of_tutor(ctx.conn, tutor_id))
        label = await cards.person_label(ctx.conn, tutor_id)
        rows.append([Button(f"{label} ({names})" if names else label,
                            f"tk|{ticket.id}|to|{tutor_id}")])
    await ctx.reply(ctx.t("tickets.choose_tutor", id=ticket.id), rows)


async def reassign(ctx: Ctx, ticket: Ticket, raw: str) -> None:
    tutor_id = writing.number(raw)
    if tutor_id is None or tutor_id not in await tutors(ctx):
        await ctx.services.core.stale(ctx)
        return
    if not await tickets.reassign(ctx.conn, ticket.id, tutor_id, ctx.now):
        await ctx.reply(ctx.t("tickets.already_closed", id=ticket.id))
        return
    moved = await tickets.get(ctx.conn, ticket.id)
    assert moved is not None
    name = await cards.person_label(ctx.conn, tutor_id)
    await ctx.reply(ctx.t("tickets.reassigned_ok", id=ticket.id, tutor=name))
    await send_to_tutor(ctx, moved, "tickets.card_reassigned")


async def send_to_tutor(ctx: Ctx, ticket: Ticket, headline: str = "tickets.card_new") -> None:
    """The card to the ticket's tutor; one per (re)assignment."""
    assert ticket.tutor_id is not None
    card = await cards.staff_card(
        ctx.conn, ctx.services, ticket, ticket.tutor_id, headline=headline, coordinator=False
    )
    key = f"tk:{ticket.id}:card:{ticket.tutor_id}:{int(ticket.assigned_at.timestamp())}"
    not_before = await staff_not_before(ctx.conn, ctx.services, ticket.tutor_id, ctx.now)
    for suffix, part in card:
        await ctx.notify(ticket.tutor_id, key + suffix, part, not_before=not_before)


async def follow_team_tutor(ctx: Ctx, team_id: int, tutor_id: int) -> int:
    """A team's new tutor takes over its unclosed questions, so none waits for someone who
    no longer tutors the team; those still waiting for an answer reach them as new cards."""
    moved = 0
    for ticket in await tickets.unclosed_of_team(ctx.conn, team_id):
        if ticket.tutor_id == tutor_id or not await tickets.reassign(ctx.conn, ticket.id, tutor_id, ctx.now):
            continue
        moved += 1
        fresh = await tickets.get(ctx.conn, ticket.id)
        if fresh is not None and fresh.status != "answered":
            await send_to_tutor(ctx, fresh, "tickets.card_reassigned")
    return moved


async def follow_intern(ctx: Ctx, intern_id: int, team_id: int, tutor_id: int | None) -> None:
    """An intern moved to another team: their questions go to that team's tutor (to the
    coordinators at once when it has none), not to the tutor they left."""
    for ticket in await tickets.move_intern(ctx.conn, intern_id, team_id):
        if ticket.tutor_id == tutor_id:
            continue
        if tutor_id is None:
            if ticket.status != "answered":
                await escalate(ctx.conn, ctx.services, ticket.id, "no_tutor", ctx.now)
        elif await tickets.reassign(ctx.conn, ticket.id, tutor_id, ctx.now):
            fresh = await tickets.get(ctx.conn, ticket.id)
            if fresh is not None and fresh.status != "answered":
                await send_to_tutor(ctx, fresh, "tickets.card_reassigned")


async def tutor_removed(ctx: Ctx, tutor_id: int) -> int:
    """A tutor lost the role: their unclosed questions go to the coordinators at once."""
    escalated = 0
    for ticket in await tickets.unclosed_of_tutor(ctx.conn, tutor_id):
        if ticket.status == "answered":
            continue  # nothing waits; the intern's next message finds the team's new tutor
        escalated += await escalate(ctx.conn, ctx.services, ticket.id, "tutor_removed", ctx.now)
    return escalated


async def reply_dialog(ctx: Ctx, dialog: Dialog) -> None:
    ticket = await writing.find(ctx, dialog.ref)
    if ticket is None or not may_act(ctx, ticket):
        await ctx.reply(ctx.t("tickets.not_yours"))
        await writing.leave(ctx, dialog)
        return
    said = await writing.read(ctx)
    if said is None:
        return
    await answer(ctx, ticket, said)
    await writing.leave(ctx, dialog)


async def answer(ctx: Ctx, ticket: Ticket, said: writing.Said) -> None:
    """Record the staff's answer and deliver it to the intern, quoting the question."""
    if ticket.status == "closed":
        await ctx.reply(ctx.t("tickets.already_closed", id=ticket.id))
        return
    role = "tutor" if ticket.tutor_id == ctx.person.id else "coordinator"
    message_id = await tickets.add_message(
        ctx.conn, ticket.id, ctx.person.id, role, said.text, said.file,
        ctx.incoming.platform, ctx.now,
    )
    await tickets.answered(ctx.conn, ticket.id, ctx.now)
    message = (await tickets.messages(ctx.conn, ticket.id))[-1]
    assert message.id == message_id
    parts = await cards.answer_for_intern(ctx.conn, ctx.services, ticket, message)
    for suffix, part in parts:
        await ctx.notify(ticket.intern_id, f"tk:{ticket.id}:m:{message_id}:{ticket.intern_id}{suffix}",
                         part)
    await writing.confirm(ctx, ticket.id, message_id, "tickets.answer_sent")


async def queue(ctx: Ctx) -> None:
    """A tutor's open tickets, oldest first, then their interns who need attention."""
    mine = await tickets.of_tutor(ctx.conn, ctx.person.id)
    members = await teams.tutors_team_members(ctx.conn, ctx.person.id)
    items = await attention.open_items(ctx.conn, members) if members else []
    if not mine and not items:
        await ctx.reply(ctx.t("tickets.queue_empty"))
        return
    lines = [ctx.t("tickets.queue_title", count=len(mine))]
    rows = await _ticket_lines(ctx, mine, lines, with_tutor=False)
    await _attention_lines(ctx, items, lines)
    await ctx.reply("\n".join(lines), rows)


async def _attention_lines(ctx: Ctx, items: list[attention.Attention], lines: list[str]) -> None:
    """Interns the schedule flagged (overdue, silent) next to the questions."""
    if not items:
        return
    lines.append("\n" + ctx.t("tickets.attention_title", count=len(items)))
    for item in items[:LIST_LIMIT]:
        name = await cards.person_label(ctx.conn, item.person_id)
        key = f"tickets.attention.{item.kind}"
        kind = ctx.t(key) if ctx.services.texts.has(key) else item.kind
        detail = f" — {item.detail}" if item.detail else ""
        lines.append(f"⚠️ {name}: {kind}{detail}")
    if len(items) > LIST_LIMIT:
        lines.append(ctx.t("tickets.and_more", count=len(items) - LIST_LIMIT))


async def all_tickets(ctx: Ctx) -> None:
    """Every ticket still waiting for the staff (escalated first, then the oldest), and
    every intern who needs attention."""
    waiting = await tickets.active(ctx.conn)
    items = await attention.open_items(ctx.conn)
    if not waiting and not items:
        await ctx.reply(ctx.t("tickets.all_empty"))
        return
    escalated = sum(1 for t in waiting if t.status == "escalated")
    lines = [ctx.t("tickets.all_title", count=len(waiting), escalated=escalated)]
    rows = await _ticket_lines(ctx, waiting, lines, with_tutor=True)
    await _attention_lines(ctx, items, lines)
    await ctx.reply("\n".join(lines), rows)


async def _ticket_lines(
    ctx: Ctx, shown: list[Ticket], lines: list[str], *, with_tutor: bool
) -> list[list[Button]]:
    rows = []
    texts = ctx.services.texts
    for ticket in shown[:LIST_LIMIT]:
        intern = await cards.person_label(ctx.conn, ticket.intern_id)
        age = cards.duration(texts, ctx.lang, ctx.now - ticket.created_at)
        first = await tickets.first_message(ctx.conn, ticket.id)
        asked = cards.question_of(texts, ctx.lang, ticket, first, 60)
        line = f"{cards.STATUS_ICON[ticket.status]} #{ticket.id} · {intern} · {asked} · {age}"
        if with_tutor:
            tutor = (await cards.person_label(ctx.conn, ticket.tutor_id)
                     if ticket.tutor_id else ctx.t("tickets.no_tutor"))
            line += f" · {tutor}"
        lines.append(line)
        rows.append([Button(ctx.t("tickets.btn.open", id=ticket.id, intern=intern),
                            f"tk|{ticket.id}|s")])
    if len(shown) > LIST_LIMIT:
        lines.append(ctx.t("tickets.and_more", count=len(shown) - LIST_LIMIT))
    return rows


async def stats(ctx: Ctx) -> None:
    """Time to the first answer and who holds how many open tickets."""
    texts = ctx.services.texts
    by_status = await tickets.counts_by_status(ctx.conn)
    seconds = await tickets.first_answer_seconds(ctx.conn)
    lines = [ctx.t("tickets.stats_title", total=sum(by_status.values()))]
    lines.append(", ".join(
        f"{ctx.t(f'tickets.status.{s}')}: {by_status[s]}" for s in tickets.STATUSES
        if by_status.get(s)
    ))
    if seconds:
        lines.append(ctx.t(
            "tickets.stats_first_answer", count=len(seconds),
            median=cards.duration(texts, ctx.lang, timedelta(seconds=median(seconds))),
            mean=cards.duration(texts, ctx.lang, timedelta(seconds=mean(seconds))),
        ))
    else:
        lines.append(ctx.t("tickets.stats_no_answers"))
    per_tutor: dict[int | None, dict[str, int]] = {}
    for tutor_id, status, n in await tickets.counts_by_tutor(ctx.conn):
        per_tutor.setdefault(tutor_id, {})[status] = n
    if per_tutor:
        lines.append("\n" + ctx.t("tickets.stats_per_tutor"))
        for tutor_id, counts in per_tutor.items():
            name = (await cards.person_label(ctx.conn, tutor_id)
                    if tutor_id else ctx.t("tickets.no_tutor"))
            lines.append(ctx.t("tickets.stats_tutor_line", tutor=name,
                               open=sum(counts.values()), escalated=counts.get("escalated", 0)))
    await ctx.reply("\n".join(lines))
