"""/tickets: the interns' questions waiting for the staff, with the time left before each
escalates, and the answer form. A tutor sees only the tickets assigned to them and a
coordinator all of them: the same `staff.may_act` and queries as the chat's /queue and
/tickets. An answer goes through `staff.answer`, so the intern gets it in the messenger
exactly as an answer typed in the chat.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from aiohttp import web

from handlers.tickets import cards, staff, writing
from handlers.tickets.escalation import answer_deadline, take_deadline, zone_of
from handlers.tickets.staff import STAFF
from storage import tickets
from storage.connection import Connection
from storage.tickets import Ticket
from web.acting import PanelCtx, act, read_ctx
from web.panel import Panel
from web.viewer import Viewer


def register(panel: Panel) -> None:
    panel.page("/tickets", partial(show_queue, panel), STAFF, nav="panel.nav.tickets")
    panel.page("/tickets/{id}", partial(show_ticket, panel), STAFF)
    panel.form("/tickets/{id}/answer", partial(answer_ticket, panel), STAFF)


async def deadline(panel: Panel, conn: Connection, ticket: Ticket) -> datetime | None:
    """When this ticket rises to the coordinators unless someone acts (the escalation job's rules)."""
    if ticket.status == "escalated" or ticket.tutor_id is None:
        return None
    moments = [answer_deadline(ticket, panel.s)]
    if ticket.status == "open":
        moments.append(take_deadline(ticket, panel.s, await zone_of(conn, panel.s, ticket.tutor_id)))
    found = [m for m in moments if m is not None]
    return min(found) if found else None


async def show_queue(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    texts, lang, now = panel.s.texts, viewer.lang, panel.s.clock.now()
    rows = []
    async with panel.s.db.read() as conn:
        coordinator = viewer.has_role("coordinator")
        waiting = await (tickets.active(conn) if coordinator else tickets.of_tutor(conn, viewer.person.id))
        for ticket in waiting:
            first = await tickets.first_message(conn, ticket.id)
            due = await deadline(panel, conn, ticket)
            rows.append({
                "id": ticket.id,
                "intern": await cards.person_label(conn, ticket.intern_id),
                "question": cards.question_of(texts, lang, ticket, first, 120),
                "status": ticket.status,
                "status_text": viewer.t(f"tickets.status.{ticket.status}"),
                "asked": cards.duration(texts, lang, now - ticket.created_at),
                "left": None if due is None else cards.duration(texts, lang, due - now),
                "late": due is not None and due <= now,
                "tutor": (await cards.person_label(conn, ticket.tutor_id)) if ticket.tutor_id
                else viewer.t("panel.tickets.no_tutor"),
            })
    return await panel.render(request, viewer, "tickets.html", rows=rows, coordinator=coordinator)


async def _ticket(panel: Panel, request: web.Request, viewer: Viewer) -> Ticket | None:
    """The ticket of the URL if this person may act on it (else None: 403, ids reveal nothing)."""
    ticket_id = writing.number(request.match_info["id"])
    if ticket_id is None:
        return None
    async with panel.s.db.read() as conn:
        ticket = await tickets.get(conn, ticket_id)
        if ticket is None or not staff.may_act(read_ctx(panel, viewer, conn), ticket):
            return None
    return ticket


async def show_ticket(panel: Panel, request: web.Request, viewer: Viewer, *, error: str | None = None,
                      text: str = "") -> web.Response:
    ticket = await _ticket(panel, request, viewer)
    if ticket is None:
        return await panel.error(request, 403, "panel.errors.forbidden", viewer)
    texts, lang = panel.s.texts, viewer.lang
    async with panel.s.db.read() as conn:
        messages = await tickets.messages(conn, ticket.id)
        intern = await cards.person_label(conn, ticket.intern_id)
        names = {m.author_id: await cards.person_label(conn, m.author_id) for m in messages if m.author_id}
    shown = [{
        "staff": m.author_role != "intern",
        "who": f"{viewer.t('panel.tickets.author.' + m.author_role)} · {names.get(m.author_id, '—')}"
        if texts.has(f"panel.tickets.author.{m.author_role}") else names.get(m.author_id, "—"),
        "text": m.text,
        "file": viewer.t("panel.tickets.file", kind=cards.kind_name(texts, lang, m.file.kind))
        if m.file else "",
    } for m in messages]
    return await panel.render(
        request, viewer, "ticket.html", ticket=ticket, intern=intern, messages=shown,
        status_text=viewer.t(f"tickets.status.{ticket.status}"), error=error, text=text,
        limit=writing.MAX_TEXT,
    )


async def answer_ticket(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    ticket = await _ticket(panel, request, viewer)
    if ticket is None:
        return await panel.error(request, 403, "panel.errors.forbidden", viewer)
    data = await request.post()
    text = str(data.get("text", "")).strip()
    if not text:
        return await show_ticket(panel, request, viewer, error=viewer.t("panel.tickets.empty"))
    if len(text) > writing.MAX_TEXT:
        return await show_ticket(panel, request, viewer, text=text, error=viewer.t(
            "panel.tickets.too_long", length=len(text), limit=writing.MAX_TEXT))

    async def run(ctx: PanelCtx) -> None:
        fresh = await tickets.get(ctx.conn, ticket.id)
        if fresh is None or not staff.may_act(ctx, fresh):
            await ctx.reply(ctx.t("tickets.not_yours"))
            return
        await staff.answer(ctx, fresh, writing.Said(text, None))

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    sent = [viewer.t("tickets.answer_sent", id=ticket.id)] if acted.done else []
    panel.flash(viewer, acted.notes or sent)
    raise web.HTTPSeeOther(f"/tickets/{ticket.id}")
