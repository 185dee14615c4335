"""The coordinator's hand on the timetable and the sending: /move, /pause, /resume, /schedule.

A move is stored as a timetable override (handlers/internship/timetable.py) and every intern's
reminders of that item are re-planned in the same transaction, so nothing is sent
for the old moment. A local deadline (`local: true`) is moved as a wall-clock time
that every intern then meets on their own clock. Pause holds everything but direct
replies and survives a restart. All of it is for coordinators only, checked by the router (commands,
buttons) and again by the dialog, which the router does not guard.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Ctx
from bot.local_time import spoken, zone_of
from bot.messages import Button, Reply
from bot.router import dialog_allowed
from bot.services import Services
from handlers.coordination import schedule_view
from handlers.internship import local_deadlines, reminders, timetable
from scenarios.models import pick
from scenarios.timespec import parse_local, same_wall_clock
from scenarios.timezones import zone_label
from storage import dialogs, outbox, persons
from storage import reminders as store
from storage.dialogs import Dialog

COORDINATOR = {"coordinator"}
MOVE_DIALOG = "move_when"
KINDS = {"e": "event", "d": "deadline"}
_DOTTED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?\s+(\d{1,2})[:.](\d{2})\s*$")


def register(s: Services) -> None:
    r = s.router
    r.command("move", move, COORDINATOR)
    r.command("pause", pause, COORDINATOR)
    r.command("resume", resume, COORDINATOR)
    r.command("schedule", schedule, COORDINATOR)
    r.payload("mv", move_button, COORDINATOR)
    r.dialog(MOVE_DIALOG, move_dialog)


def _zone(ctx: Ctx) -> ZoneInfo:
    return zone_of(ctx.person.timezone, ctx.services.settings.default_timezone)


def _when(ctx: Ctx, moment: datetime) -> str:
    return spoken(ctx.services.texts, ctx.lang, moment, _zone(ctx))


def _is_local(ctx: Ctx, kind: str, item: str) -> bool:
    """A local deadline (`local: true`): moved and shown as a wall-clock time, not a moment."""
    return kind == "deadline" and ctx.services.programme.stage(item).deadline_local


def _item_when(ctx: Ctx, kind: str, item: str, moment: datetime) -> str:
    if _is_local(ctx, kind, item):
        return local_deadlines.for_everyone(ctx.services.texts, ctx.lang, moment, ctx.services.programme)
    return _when(ctx, moment)


async def _moment(ctx: Ctx, kind: str, item: str) -> datetime | None:
    programme = ctx.services.programme
    if kind == "event":
        return await timetable.event_start(ctx.conn, programme, item)
    return await timetable.stage_deadline(ctx.conn, programme, item)


def _title(ctx: Ctx, kind: str, item: str) -> str | None:
    programme = ctx.services.programme
    try:
        found = programme.event(item) if kind == "event" else programme.stage(item)
    except KeyError:
        return None
    if kind == "deadline" and not found.deadline:  # type: ignore[union-attr]
        return None
    return pick(found.title, ctx.lang)


async def move(ctx: Ctx) -> None:
    """Show every event and deadline as a button with its current moment."""
    programme = ctx.services.programme
    rows: list[list[Button]] = []
    for event in programme.events:
        at = await timetable.event_start(ctx.conn, programme, event.id)
        label = ctx.t("sched.button_event", title=pick(event.title, ctx.lang), when=_when(ctx, at))
        rows.append([Button(label, f"mv|e|{event.id}")])
    for stage in programme.stages:
        at = await timetable.stage_deadline(ctx.conn, programme, stage.id)
        if at is not None:
            label = ctx.t("sched.button_deadline", title=pick(stage.title, ctx.lang),
                          when=_item_when(ctx, "deadline", stage.id, at))
            rows.append([Button(label, f"mv|d|{stage.id}")])
    if len(rows) > 9:  # VK shows 10 rows: two a row, so «Отмена» stays on the keyboard
        rows = [[b for row in rows[i:i + 2] for b in row] for i in range(0, len(rows), 2)]
    rows.append([Button(ctx.t("common.cancel"), "mv|cancel")])
    await ctx.reply(ctx.t("sched.move_choose"), rows)


async def move_button(ctx: Ctx) -> None:
    """`mv|e|<event>` / `mv|d|<stage>` asks for the new moment; `mv|cancel` stops."""
    if ctx.args == ["cancel"]:
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("sched.move_cancelled"))
        return
    if len(ctx.args) == 3 and ctx.args[0] == "tell" and ctx.args[1] in KINDS:
        kind, item = KINDS[ctx.args[1]], ctx.args[2]
        if _title(ctx, kind, item) is None:
            await ctx.services.core.stale(ctx)
            return
        await tell_interns(ctx, kind, item)
        return
    if len(ctx.args) != 2 or ctx.args[0] not in KINDS:
        await ctx.services.core.stale(ctx)
        return
    kind, item = KINDS[ctx.args[0]], ctx.args[1]
    title = _title(ctx, kind, item)
    current = await _moment(ctx, kind, item) if title else None
    if title is None or current is None:
        await ctx.services.core.stale(ctx)
        return
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(MOVE_DIALOG, f"{kind}:{item}"), ctx.now)
    cancel = [[Button(ctx.t("common.cancel"), "mv|cancel")]]
    if _is_local(ctx, kind, item):  # the wall-clock time every intern reads on their own clock
        example = current.astimezone(ctx.services.programme.zone).strftime("%d.%m.%Y %H:%M")
        await ctx.reply(ctx.t("sched.move_ask_local", title=title, example=example,
                              when=_item_when(ctx, kind, item, current)), cancel)
        return
    await ctx.reply(
        ctx.t("sched.move_ask", title=title, when=_when(ctx, current), zone=str(_zone(ctx)),
              example=current.astimezone(_zone(ctx)).strftime("%d.%m.%Y %H:%M")),
        cancel,
    )


def parse_when(text: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """`2026-12-09 17:00`, `09.12.2026 17:00` or `09.12 17:00` in the coordinator's zone."""
    match = _DOTTED.match(text)
    try:
        if match:
            day, month, year, hour, minute = match.groups()
            local_now = now.astimezone(zone)
            naive = datetime(int(year or local_now.year), int(month), int(day), int(hour), int(minute))
            if year is None and naive.replace(tzinfo=zone) < now:
                naive = naive.replace(year=naive.year + 1)
        else:
            naive = parse_local(text)
            if len(text.strip()) <= 10:  # a bare date: a time is needed
                return None
    except ValueError:
        return None
    return naive.replace(tzinfo=zone)


async def move_dialog(ctx: Ctx, dialog: Dialog) -> None:
    if not await dialog_allowed(ctx, COORDINATOR):
        return
    kind, _, item = dialog.ref.partition(":")
    title = _title(ctx, kind, item)
    if title is None:
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.services.core.stale(ctx)
        return
    cancel = [[Button(ctx.t("common.cancel"), "mv|cancel")]]
    local = _is_local(ctx, kind, item)
    zone = ctx.services.programme.zone if local else _zone(ctx)  # a local one: the wall-clock time
    moment = parse_when(ctx.incoming.text or "", zone, ctx.now) if ctx.incoming.file is None else None
    if moment is None:
        await ctx.reply(ctx.t("sched.move_bad_date"), cancel)
        return
    if moment <= ctx.now:
        await ctx.reply(ctx.t("sched.move_past", when=_item_when(ctx, kind, item, moment)), cancel)
        return
    first = await _first_clock(ctx, moment) if local else None
    if first is not None:
        await ctx.reply(ctx.t("sched.move_past_local", zone=zone_label(first.key, ctx.lang),
                              when=_item_when(ctx, kind, item, moment)), cancel)
        return
    await timetable.move(ctx.conn, kind, item, moment, ctx.person.id, ctx.now)
    await reminders.follow_schedule_changes(ctx.conn, ctx.services, ctx.now, {(kind, item)})
    await dialogs.clear(ctx.conn, ctx.person.id)
    people = len(await store.planned_people(ctx.conn))
    code = "e" if kind == "event" else "d"
    await ctx.reply(
        ctx.t("sched.moved", title=title, when=_item_when(ctx, kind, item, moment), people=people),
        [[Button(ctx.t("sched.tell_interns"), f"mv|tell|{code}|{item}")]],
    )


async def _first_clock(ctx: Ctx, wall: datetime) -> ZoneInfo | None:
    """The intern's zone where a local deadline's new wall-clock time has already passed
    (the easternmost first), or None when it is still ahead for everyone."""
    programme = ctx.services.programme
    people = await persons.persons_with_role(ctx.conn, "intern")
    known = await store.zones(ctx.conn, people)
    zones = {timetable.intern_zone(programme, known.get(p)) for p in people}
    passed = [z for z in zones if same_wall_clock(wall, programme.zone, z) <= ctx.now]
    return min(passed, key=lambda z: same_wall_clock(wall, programme.zone, z)) if passed else None


async def tell_interns(ctx: Ctx, kind: str, item: str) -> None:
    """Announce the new moment to every intern, each in their own time and language."""
    title_of = ctx.services.programme.event if kind == "event" else ctx.services.programme.stage
    moment = await _moment(ctx, kind, item)
    if moment is None:
        await ctx.services.core.stale(ctx)
        return
    texts, settings = ctx.services.texts, ctx.services.settings
    stamp = moment.strftime("%Y%m%dT%H%M")
    count = 0
    interns = await persons.persons_with_role(ctx.conn, "intern")
    for person_id in interns:
        timezone = (await persons.get_person(ctx.conn, person_id)).timezone
        zone = zone_of(timezone, settings.default_timezone)
        mine = moment if kind == "event" else timetable.personal(  # a local deadline: their own clock
            ctx.services.programme, item, moment, timetable.intern_zone(ctx.services.programme, timezone))

        def build(lang: str, zone: ZoneInfo = zone, mine: datetime = mine) -> Reply:
            return Reply(texts.get(lang, f"sched.moved_notice_{kind}",
                                   title=pick(title_of(item).title, lang),
                                   when=spoken(texts, lang, mine, zone)))

        count += await ctx.notify(person_id, f"moved:{kind}:{item}:{stamp}:{person_id}", build,
                                  kind="broadcast")
    await ctx.reply(ctx.t("sched.told", count=count) if count or not interns else ctx.t("sched.told_already"))


async def pause(ctx: Ctx) -> None:
    await ctx.services.delivery.set_paused(True, ctx.conn)
    waiting = (await outbox.status_counts(ctx.conn)).get("pending", 0)
    await ctx.reply(ctx.t("sched.paused", waiting=waiting))


async def resume(ctx: Ctx) -> None:
    await ctx.services.delivery.set_paused(False, ctx.conn)
    waiting = (await outbox.status_counts(ctx.conn)).get("pending", 0)
    await ctx.reply(ctx.t("sched.resumed", waiting=waiting))


async def schedule(ctx: Ctx) -> None:
    """What is scheduled next, and how sending stands (schedule_view.py)."""
    await schedule_view.show(ctx)
