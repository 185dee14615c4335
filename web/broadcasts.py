"""/broadcasts: compose a message with placeholders, choose the audience, preview it as
any recipient will read it, send it now, later or urgently after a confirmation naming
the count, and read the delivery report of the past ones. Coordinators only.

Everything goes through the chat's /broadcast code: `placeholders.check` for the text,
`audiences` for who gets it, `broadcast_preview` for the warnings, `broadcasts.send`
(first batch at once, the scheduler the rest) and the outbox's own counts for the
report, so a broadcast from the panel is the same broadcast as one from the chat.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import from_iso, to_iso
from bot.people import names
from handlers.coordination import audiences, broadcast_preview, placeholders
from handlers.coordination import broadcasts as chat
from handlers.coordination.broadcasts import COORDINATOR, MAX_BODY
from scenarios.models import pick
from scenarios.stage_work import survey_stage
from storage import broadcasts, flags, panel_reports, teams
from web import svg
from web.acting import PanelCtx, act
from web.panel import Panel
from web.viewer import Viewer

PAGE_SIZE = 10
PICKER = 200
"""Recipients listed by name in the preview's picker; arrows walk through all of them."""
ACTIONS = ("now", "urgent", "later")
COLOURS = {"sent": "#2e7d32", "waiting": "#f9a825", "failed": "#c62f3b", "unreachable": "#8a1c25",
           "cancelled": "#9aa3ad"}


def register(panel: Panel) -> None:
    panel.page("/broadcasts", partial(show, panel), COORDINATOR, nav="panel.nav.broadcasts")
    panel.form("/broadcasts/preview", partial(make_draft, panel), COORDINATOR)
    panel.page("/broadcasts/{id:\\d+}", partial(show_draft, panel), COORDINATOR)
    panel.form("/broadcasts/{id:\\d+}/confirm", partial(ask, panel), COORDINATOR)
    panel.form("/broadcasts/{id:\\d+}/send", partial(send_draft, panel), COORDINATOR)
    panel.form("/broadcasts/{id:\\d+}/cancel", partial(cancel_queued, panel), COORDINATOR)


def zone_of_viewer(panel: Panel, viewer: Viewer) -> ZoneInfo:
    """The zone the chat reads a coordinator's "send at" in (broadcasts._zone)."""
    return ZoneInfo(viewer.person.timezone or panel.s.programme.timezone)


Choices = list[tuple[str, list[tuple[str, str]]]]


async def audience_choices(panel: Panel, viewer: Viewer, conn: Any) -> Choices:
    """Every audience the chat offers, grouped: (group label, [(spec, label)])."""
    programme = panel.s.programme
    t = viewer.t
    stages = programme.stages[1:]
    simple = [("all", t("panel.bc.aud_all")), ("tutors", t("panel.bc.aud_tutors"))]
    if survey_stage(programme):
        simple.append(("survey", t("panel.bc.aud_survey")))
    groups = [(t("panel.bc.aud_common"), simple),
              (t("panel.bc.aud_stage"), [(f"stage:{s.id}", pick(s.title, viewer.lang)) for s in stages]),
              (t("panel.bc.aud_missing"), [(f"missing:{s.id}", pick(s.title, viewer.lang)) for s in stages])]
    team_list = await teams.all_teams(conn)
    if team_list:
        groups.append((t("panel.bc.aud_team"), [(f"team:{tm.id}", tm.name) for tm in team_list]))
    groups.append((t("panel.bc.aud_platform"), [
        (f"platform:{p}", t(f"bc.platform.{p}") if viewer.texts.has(f"bc.platform.{p}") else p)
        for p in await audiences.platforms(conn)]))
    return groups


def audience_label(choices: Choices, spec: str) -> str:
    for group, items in choices:
        for value, label in items:
            if value == spec:
                return label if value in ("all", "tutors", "survey") else f"{group}: {label}"
    return spec or "—"


async def show(panel: Panel, request: web.Request, viewer: Viewer, *, body: str = "", audience: str = "all",
               error: str | None = None, status: int = 200) -> web.Response:
    raw = request.query.get("page", "")
    page = min(int(raw), 10_000) if raw.isdigit() and len(raw) < 6 and int(raw) > 0 else 1
    zone = zone_of_viewer(panel, viewer)
    async with panel.s.db.read() as conn:
        choices = await audience_choices(panel, viewer, conn)
        source = request.query.get("from", "")
        if source.isdigit() and len(source) < 12 and not body:  # "edit": the draft's text back in the form
            old = await broadcasts.get(conn, int(source))
            if old is not None and old.author_id == viewer.person.id:
                body, audience = old.body, old.audience or "all"
        total, past = await panel_reports.broadcasts_page(conn, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        now_iso = to_iso(panel.s.clock.now())
        held = {item.broadcast.id: await panel_reports.held(conn, item.broadcast.id, now_iso)
                for item in past if item.counts.get("pending")}
        authors = await names(conn, {i.broadcast.author_id for i in past if i.broadcast.author_id})
        paused = await flags.get(conn, flags.PAUSED) == "1"
    rows = []
    for item in past:
        b, counts = item.broadcast, item.counts
        waiting = counts.get("pending", 0) + counts.get("sending", 0)
        parts = [(counts.get("sent", 0), COLOURS["sent"]), (waiting, COLOURS["waiting"]),
                 (counts.get("failed", 0), COLOURS["failed"]),
                 (counts.get("unreachable", 0), COLOURS["unreachable"]),
                 (counts.get("cancelled", 0), COLOURS["cancelled"])]
        rows.append({
            "id": b.id, "status": b.status, "body": b.body, "urgent": b.urgent,
            "audience": audience_label(choices, b.audience), "author": authors.get(b.author_id or 0, "—"),
            "created": from_iso(item.created_at).astimezone(zone).strftime("%d.%m.%Y %H:%M"),
            "send_at": b.send_at.astimezone(zone).strftime("%d.%m.%Y %H:%M") if b.send_at else "",
            "written": b.recipients, "sent": counts.get("sent", 0), "waiting": waiting,
            "held": held.get(b.id, 0),
            "failed": counts.get("failed", 0), "unreachable": counts.get("unreachable", 0),
            "cancelled": counts.get("cancelled", 0), "mine": b.author_id == viewer.person.id,
            "bar": svg.delivery(parts, viewer.t("panel.bc.report_of", id=b.id)),
        })
    return await panel.render(
        request, viewer, "broadcasts.html", status=status, body=body, audience=audience, error=error,
        choices=choices, known=placeholders.KNOWN, limit=MAX_BODY, rows=rows, paused=paused, colours=COLOURS,
        previous=f"/broadcasts?page={page - 1}" if page > 1 else None,
        next=f"/broadcasts?page={page + 1}" if page * PAGE_SIZE < total else None,
    )


def explain(viewer: Viewer, exc: placeholders.PlaceholderError) -> str:
    """The chat's own words for a template mistake (bc.tpl.*), never jinja2's."""
    return viewer.t(f"bc.tpl.{exc.key}", **exc.params)


async def make_draft(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """The text and the audience checked as the chat checks them, then kept as a draft."""
    data = await request.post()
    body = str(data.get("body", "")).replace("\r\n", "\n").strip()
    audience = str(data.get("audience", ""))
    error = None
    if not body:
        error = viewer.t("panel.bc.empty")
    elif len(body) > MAX_BODY:
        error = viewer.t("bc.too_long", max=MAX_BODY, length=len(body))
    elif not audiences.valid(audience, panel.s.programme):
        error = viewer.t("panel.bc.pick_audience")
    else:
        try:
            placeholders.check(body)
        except placeholders.PlaceholderError as exc:
            error = explain(viewer, exc)
    if error:
        return await show(panel, request, viewer, body=body, audience=audience, error=error, status=400)

    async def run(ctx: PanelCtx) -> int:
        draft_id = await broadcasts.create(ctx.conn, ctx.person.id, body, ctx.now)
        await broadcasts.update_draft(ctx.conn, draft_id, audience=audience)
        return draft_id

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    if not acted.done:
        panel.flash(viewer, acted.notes)
        raise web.HTTPSeeOther("/broadcasts")
    raise web.HTTPSeeOther(f"/broadcasts/{acted.result}")


async def _own_draft(
    panel: Panel, viewer: Viewer, conn: Any, broadcast_id: int
) -> broadcasts.Broadcast | None:
    """Only the author's own drafts can be previewed and sent, as in the chat."""
    found = await broadcasts.get(conn, broadcast_id)
    return found if found is not None and found.author_id == viewer.person.id else None


async def show_draft(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    broadcast_id = int(request.match_info["id"])
    services, now = panel.s, panel.s.clock.now()
    raw = request.query.get("i", "0")
    index = int(raw) if raw.isdigit() and len(raw) < 7 else 0
    async with services.db.read() as conn:
        draft = await _own_draft(panel, viewer, conn, broadcast_id)
        if draft is None:
            return await panel.error(request, 403, "panel.errors.forbidden", viewer)
        if draft.status != "draft":
            panel.flash(viewer, [viewer.t(f"bc.already_{draft.status}", id=draft.id)])
            raise web.HTTPSeeOther("/broadcasts")
        choices = await audience_choices(panel, viewer, conn)
        recipients = await audiences.resolve(conn, services.programme, draft.audience)
        index = min(index, max(len(recipients) - 1, 0))
        error, sample, warnings, picker = None, "", "", []
        if recipients:
            try:
                found = await broadcast_preview.analyse(conn, services, draft.body, recipients, now, now)
                sample = (await chat.render_for(conn, services, draft.body, [recipients[index]], now))[
                    recipients[index]]
                zone = zone_of_viewer(panel, viewer)
                warnings = broadcast_preview.notes(services, viewer.lang, found, zone)
            except placeholders.PlaceholderError as exc:
                error = explain(viewer, exc)
            start = max(0, min(index - PICKER // 2, len(recipients) - PICKER))
            who = await names(conn, recipients[start:start + PICKER])
            picker = [(start + n, who[pid]) for n, pid in enumerate(recipients[start:start + PICKER])]
            current = (await names(conn, [recipients[index]]))[recipients[index]]
        else:
            current = ""
    zone = zone_of_viewer(panel, viewer)
    local_now = now.astimezone(zone)
    return await panel.render(
        request, viewer, "broadcast.html", draft=draft, audience=audience_label(choices, draft.audience),
        count=len(recipients), index=index, current=current, picker=picker, sample=sample, warnings=warnings,
        error=error, zone=zone.key, min_at=local_now.strftime("%Y-%m-%dT%H:%M"),
        default_at=(local_now.replace(minute=0, second=0, microsecond=0)).strftime("%Y-%m-%dT%H:%M"),
        previous=f"/broadcasts/{draft.id}?i={index - 1}" if index > 0 else None,
        next=f"/broadcasts/{draft.id}?i={index + 1}" if index + 1 < len(recipients) else None,
    )


def parse_at(raw: str, zone: ZoneInfo) -> datetime | None:
    """The browser's `datetime-local` value (`2026-11-25T18:00`) in the coordinator's zone."""
    try:
        return datetime.strptime(raw.strip()[:16], "%Y-%m-%dT%H:%M").replace(tzinfo=zone)
    except ValueError:
        return None


async def ask(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """The confirmation naming the count (and the moment, for a later send)."""
    broadcast_id = int(request.match_info["id"])
    data = await request.post()
    action = str(data.get("action", ""))
    if action not in ACTIONS:
        return await panel.error(request, 400, "panel.errors.stale_form", viewer)
    zone = zone_of_viewer(panel, viewer)
    at = parse_at(str(data.get("at", "")), zone) if action == "later" else None
    if action == "later" and (at is None or at <= panel.s.clock.now()):
        panel.flash(viewer, [viewer.t("panel.bc.bad_at" if at is None else "bc.when_past")])
        raise web.HTTPSeeOther(f"/broadcasts/{broadcast_id}")
    async with panel.s.db.read() as conn:
        draft = await _own_draft(panel, viewer, conn, broadcast_id)
        if draft is None:
            return await panel.error(request, 403, "panel.errors.forbidden", viewer)
        count = len(await audiences.resolve(conn, panel.s.programme, draft.audience))
    return await panel.render(
        request, viewer, "broadcast_confirm.html", draft=draft, action=action, count=count,
        at=str(data.get("at", "")), when=at.strftime("%d.%m.%Y %H:%M") if at else "", zone=zone.key,
    )


async def send_draft(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    broadcast_id = int(request.match_info["id"])
    data = await request.post()
    action = str(data.get("action", ""))
    if action not in ACTIONS:
        return await panel.error(request, 400, "panel.errors.stale_form", viewer)
    at = parse_at(str(data.get("at", "")), zone_of_viewer(panel, viewer)) if action == "later" else None
    if action == "later" and at is None:
        panel.flash(viewer, [viewer.t("panel.bc.bad_at")])
        raise web.HTTPSeeOther(f"/broadcasts/{broadcast_id}")

    async def run(ctx: PanelCtx) -> None:
        draft = await broadcasts.get(ctx.conn, broadcast_id)
        if draft is None or draft.author_id != ctx.person.id:
            await ctx.reply(ctx.t("panel.bc.not_yours"))
            return
        if draft.status != "draft":
            await ctx.reply(ctx.t(f"bc.already_{draft.status}", id=draft.id))
            return
        if at is not None:  # what the chat's "send later" dialogue does with the typed time
            if at <= ctx.now:
                await ctx.reply(ctx.t("bc.when_past"))
                return
            await broadcasts.update_draft(ctx.conn, draft.id, send_at=at)
            draft = await broadcasts.get(ctx.conn, draft.id)
            assert draft is not None
        await chat.send(ctx, draft, scheduled=at is not None, urgent=action == "urgent")

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, acted.notes)
    raise web.HTTPSeeOther("/broadcasts")


async def cancel_queued(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """A scheduled broadcast (or the rest of one being written) is called off, as the chat's
    "cancel" button does: messages already written stay written."""
    broadcast_id = int(request.match_info["id"])
    data = await request.post()

    async def run(ctx: PanelCtx) -> None:
        draft = await broadcasts.get(ctx.conn, broadcast_id)
        if draft is None or draft.author_id != ctx.person.id:
            await ctx.reply(ctx.t("panel.bc.not_yours"))
            return
        ctx.args = [str(broadcast_id), "x"]
        await chat.broadcast_button(ctx)

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, acted.notes)
    raise web.HTTPSeeOther("/broadcasts")
