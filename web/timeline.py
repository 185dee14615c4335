"""/timeline: the programme on one time axis (stages from opening to deadline, events,
today), each item with its effective moment, who moved it, the reminders planned for
it, and a form to move it. Coordinators only.

A move is the chat's /move: the same dialogue function (`schedule_commands.move_dialog`)
reads the new moment, refuses a past one, stores the override and re-plans every
intern's reminders in the same transaction; "tell the interns" is the chat's
`tell_interns`, each intern in their own time zone and language.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import from_iso
from bot.local_time import spoken, zone_of
from bot.people import names
from handlers.coordination import schedule_commands
from handlers.coordination.schedule_commands import COORDINATOR, MOVE_DIALOG
from handlers.internship import local_deadlines, timetable
from scenarios.models import pick
from scenarios.timezones import zone_label
from storage import dialogs, panel_reports
from storage.dialogs import Dialog
from web import svg
from web.acting import PanelCtx, act
from web.panel import Panel
from web.viewer import Viewer

KINDS = ("event", "deadline")
WIDE = 1130
"""The chart's width on a desktop: the page's whole card (base.html: main is 1200 px)."""
INPUT = "%Y-%m-%dT%H:%M"


def register(panel: Panel) -> None:
    panel.page("/timeline", partial(show, panel), COORDINATOR, nav="panel.nav.timeline")
    panel.form("/timeline/move", partial(move_item, panel), COORDINATOR)


def coordinator_zone(panel: Panel, viewer: Viewer) -> ZoneInfo:
    """The zone the chat's /move reads a coordinator's time in (schedule_commands._zone)."""
    return zone_of(viewer.person.timezone, panel.s.settings.default_timezone)


def _ticks(first: datetime, last: datetime, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """A date under the axis about every week (fewer on a long programme)."""
    days = max(1, (last - first).days)
    step = timedelta(days=max(7, days // 6))
    start = first.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    ticks, moment = [], start
    while moment < last:
        ticks.append((moment, moment.strftime("%d.%m")))
        moment += step
    return ticks


async def show(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    programme, texts, lang = panel.s.programme, panel.s.texts, viewer.lang
    zone = coordinator_zone(panel, viewer)
    now = panel.s.clock.now()
    items: list[dict[str, Any]] = []
    drawn: list[tuple[str, datetime | None, datetime | None, str]] = []
    async with panel.s.db.read() as conn:
        moved = await panel_reports.overrides(conn)
        planned = await panel_reports.planned_reminders(conn)
        movers = await names(conn, {o.changed_by for o in moved.values() if o.changed_by})
        for event in programme.events:
            at = await timetable.event_start(conn, programme, event.id)
            items.append(_item("event", event.id, pick(event.title, lang), at, zone, zone, False))
            drawn.append((pick(event.title, lang), at, None, "event"))
        for stage in programme.stages:
            deadline = await timetable.stage_deadline(conn, programme, stage.id)
            opens = await timetable.stage_opens(conn, programme, stage.id)
            if deadline is None:
                continue
            local = stage.deadline_local
            item = _item("deadline", stage.id, pick(stage.title, lang), deadline,
                         programme.zone if local else zone, zone, local)
            if local:
                item["when"] = local_deadlines.for_everyone(texts, lang, deadline, programme)
            items.append(item)
            drawn.append((pick(stage.title, lang), opens or deadline, deadline, "stage"))
    for item in items:
        override = moved.get((item["kind"], item["id"]))
        item["moved"] = viewer.t(
            "panel.timeline.moved_by", who=movers.get(override.changed_by or 0, "—"),
            when=from_iso(override.changed_at).astimezone(zone).strftime("%d.%m.%Y %H:%M"),
        ) if override else ""
        item["reminders"] = planned.get((item["kind"], item["id"]), 0)
        if not item["when"]:  # a local deadline already says "by each intern's clock"
            item["when"] = spoken(texts, lang, item["at"], zone)
        item["past"] = item["at"] <= now
    drawn.sort(key=lambda d: d[1] or d[2] or now)
    moments = [m for _, a, b, _ in drawn for m in (a, b) if m]
    ticks = _ticks(min([*moments, now]), max([*moments, now]), zone) if moments else []
    chart = svg.pair(lambda w: svg.timeline(drawn, now, ticks, viewer.t("panel.timeline.title"), w),
                     WIDE) if moments else ""
    items.sort(key=lambda i: i["at"])
    return await panel.render(
        request, viewer, "timeline.html", items=items, chart=chart, zone=zone_label(zone.key, lang),
        programme_zone=zone_label(programme.zone.key, lang), min_at=now.astimezone(zone).strftime(INPUT),
    )


def _item(kind: str, item_id: str, title: str, at: datetime, input_zone: ZoneInfo, zone: ZoneInfo,
          local: bool) -> dict[str, Any]:
    return {"kind": kind, "id": item_id, "title": title, "at": at, "local": local,
            "value": at.astimezone(input_zone).strftime(INPUT), "when": ""}


async def move_item(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    data = await request.post()
    kind, item = str(data.get("kind", "")), str(data.get("item", ""))[:80]
    text = str(data.get("at", "")).strip()[:20]
    tell = data.get("tell") == "1"
    programme = panel.s.programme
    known = ({e.id for e in programme.events} if kind == "event"
             else {s.id for s in programme.stages if s.deadline} if kind == "deadline" else set())
    if item not in known:
        return await panel.error(request, 400, "panel.errors.stale_form", viewer)

    async def run(ctx: PanelCtx) -> bool:
        """The chat's own dialogue step, as if the coordinator had pressed the item in /move
        and typed the moment; a dialogue they had open in the chat is left as it was."""
        before = await dialogs.get(ctx.conn, ctx.person.id)
        dialog = Dialog(MOVE_DIALOG, f"{kind}:{item}")
        await dialogs.put(ctx.conn, ctx.person.id, dialog, ctx.now)
        ctx.incoming = dataclasses.replace(ctx.incoming, text=text)
        await schedule_commands.move_dialog(ctx, dialog)
        done = await dialogs.get(ctx.conn, ctx.person.id) is None  # the dialogue ends on success only
        if before is not None:
            await dialogs.put(ctx.conn, ctx.person.id, before, ctx.now)
        elif not done:
            await dialogs.clear(ctx.conn, ctx.person.id)
        if done and tell:
            await schedule_commands.tell_interns(ctx, kind, item)
        return done

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, acted.notes)
    raise web.HTTPSeeOther(f"/timeline#{kind}-{item}")
