"""Opening stages: by their date (a scheduler job) or by a coordinator's /openstage.

An opening is recorded once (stage_openings); every intern of an opened stage who has
no status in it yet gets the announcement with its instructions and is marked 'open'.
The same job therefore also reaches interns approved after the opening, and the
idempotency key (`open:<stage>:<person>`) keeps a restart from sending anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import Ctx, notify
from bot.local_time import local, quiet_until, zone_of
from bot.messages import Button, Reply
from bot.services import Services
from handlers.internship import local_deadlines, menu, route, timetable
from scenarios.models import Stage, pick
from scenarios.routes import on_route, personal
from scenarios.stage_work import action_key, announcement_key, later_stages, needs_work
from storage import levels, openings, persons, stages
from storage.connection import Connection

COORDINATOR = {"coordinator"}


def register(s: Services) -> None:
    s.router.command("openstage", list_closed, COORDINATOR)
    s.router.payload("open", open_button, COORDINATOR)
    s.scheduler.add("stage_opening", open_due)


async def open_due(services: Services, now: datetime) -> int:
    """Scheduler job: open the stages whose moment has come, then tell whoever is not told."""
    sent = 0
    async with services.db.transaction() as conn:
        already = await openings.opened(conn)
        for stage in later_stages(services.programme):
            if stage.id in already:
                continue
            opens = await timetable.stage_opens(conn, services.programme, stage.id)
            if opens is not None and opens <= now:
                await openings.record(conn, stage.id, now, None)
                already[stage.id] = now
        for stage_id in already:
            sent += await announce(conn, services, stage_id, now)
    return sent


async def announce(
    conn: Connection, services: Services, stage_id: str, now: datetime,
    written: list[int] | None = None,
) -> int:
    """Send an opened stage's announcement to every intern not yet told of it."""
    waiting = await openings.interns_not_told(conn, stage_id)
    if not waiting:  # the usual case on a tick: one query per opened stage
        return 0
    programme = services.programme
    stage = programme.stage(stage_id)
    deadline = await timetable.stage_deadline(conn, programme, stage_id)
    event_at = await timetable.event_start(conn, programme, stage.event) if stage.event else None
    # A stage that leads up to its event (the presentation rules) is pointless once the
    # event is over: after downtime it is dropped, and quiet hours never push it past the start.
    opens = await timetable.stage_opens(conn, programme, stage_id)
    leads_up = event_at is not None and (opens is None or opens < event_at)
    expires = None
    if leads_up and stage.event and event_at:
        expires = event_at + timedelta(minutes=programme.event(stage.event).duration_minutes)
    count = 0
    diagnostic = programme.diagnostic
    offers = {diagnostic.at, diagnostic.again_at} if diagnostic else set()
    known = await levels.of_people(conn, waiting) if diagnostic else {}
    for person_id in waiting:
        # off this intern's route: no status, so a later level (the diagnostic taken after
        # the opening) still brings the announcement on the next tick
        row = known.get(person_id)
        if not on_route(programme, stage, row.level if row else None):
            continue
        own_stage = personal(programme, stage, row.level if row else None)
        status = "open" if needs_work(stage) else "done"
        await stages.set_status(conn, person_id, stage_id, status, now)
        person = await persons.get_person(conn, person_id)

        mine = timetable.personal(programme, stage_id, deadline, timetable.intern_zone(
            programme, person.timezone)) if deadline else None  # a local deadline: their own clock

        def build(lang: str, tz: str | None = person.timezone, mine: datetime | None = mine,
                  own: Stage = own_stage) -> Reply:
            return stage_reply(services, own, lang, tz, mine, event_at, now=now, opens=opens)

        zone = zone_of(person.timezone, programme.timezone)
        wait = quiet_until(now, zone, programme.quiet_hours)
        if wait and leads_up and event_at and wait >= event_at:
            wait = None
        if await notify(conn, services, person_id, announcement_key(stage_id, person_id), build,
                        now=now, written=written, not_before=wait, expires_at=expires):
            count += 1
        if stage_id in offers:
            which = await route.pending_sitting(conn, programme, person_id)
            if which is not None:
                suffix, offer = route.sitting_offer(services, which)
                await notify(conn, services, person_id, f"{suffix}:{person_id}", offer, now=now,
                             written=written, not_before=wait)
    return count


def stage_reply(
    services: Services,
    stage: Stage,
    lang: str,
    tz: str | None,
    deadline: datetime | None,
    event_at: datetime | None,
    *,
    now: datetime | None = None,
    opens: datetime | None = None,
) -> Reply:
    """The announcement of a stage: what to do, by when, the event and its link, materials.

    A stage planned to open after its meeting has an announcement written for after it
    ("thank you for joining"); opened early with /openstage, it says the meeting is
    still ahead instead (the stage's `before_event` text, else a plain line)."""
    texts, programme = services.texts, services.programme
    zone = programme.timezone
    lines = [texts.get(lang, "stage.opened", title=pick(stage.title, lang))]
    event = programme.event(stage.event) if stage.event and event_at is not None else None
    state = meeting_state(event_at, event.duration_minutes, now) if event and event_at and now else "ahead"
    early = event is not None and event_at is not None and state == "ahead" and (
        opens is not None and opens >= event_at)
    if early and event is not None:
        lines.append(pick(stage.before_event, lang) if stage.before_event else texts.get(
            lang, "stage.before_meeting", title=pick(event.title, lang)))
    elif stage.announcement:
        lines.append(pick(stage.announcement, lang))
    if stage.instructions:
        lines.append(pick(stage.instructions, lang))
    if stage.prompts:
        numbered = "\n".join(f"{i}. {pick(p, lang)}" for i, p in enumerate(stage.prompts, 1))
        lines.append(texts.get(lang, "stage.prompts", prompts=numbered))
    if event is not None and event_at is not None:
        key = {"ahead": "stage.event", "now": "stage.event_now"}.get(state, "stage.event_past")
        lines.append(texts.get(lang, key, title=pick(event.title, lang),
                               when=local(event_at, tz, zone, lang), link=event.link))
    if deadline is not None and needs_work(stage):
        when = local_deadlines.for_intern(texts, lang, stage, deadline, tz, programme)
        lines.append(texts.get(lang, "stage.deadline", when=when))
    rows = [[Button(pick(m.title, lang), url=m.url)] for m in stage.materials]
    if needs_work(stage):
        rows.append([Button(texts.get(lang, action_key(stage)), f"go|{stage.id}")])
    rows.extend(menu.rows(texts, lang))
    return Reply("\n\n".join(lines), rows)


def meeting_state(start: datetime, duration_minutes: int, now: datetime) -> str:
    """`ahead`, `now` (under way) or `past`: a meeting is spoken of by the clock."""
    if now < start:
        return "ahead"
    return "now" if now < start + timedelta(minutes=duration_minutes) else "past"


async def _meeting_note(ctx: Ctx, stage_id: str) -> str:
    """On the confirmation: the stage's meeting, spoken of as ahead, under way or past."""
    programme = ctx.services.programme
    stage = programme.stage(stage_id)
    if not stage.event:
        return ""
    event = programme.event(stage.event)
    start = await timetable.event_start(ctx.conn, programme, stage.event)
    state = meeting_state(start, event.duration_minutes, ctx.now)
    when = local(start, ctx.person.timezone, programme.timezone, ctx.lang)
    return "\n\n" + ctx.t(f"stage.confirm_meeting_{state}", title=pick(event.title, ctx.lang), when=when)


async def list_closed(ctx: Ctx) -> None:
    """/openstage: the stages not opened yet, as buttons."""
    already = await openings.opened(ctx.conn)
    rows = [
        [Button(pick(s.title, ctx.lang), f"open|{s.id}")]
        for s in later_stages(ctx.services.programme) if s.id not in already
    ]
    if not rows:
        await ctx.reply(ctx.t("stage.all_open"))
        return
    await ctx.reply(ctx.t("stage.choose_to_open"), rows)


async def open_button(ctx: Ctx) -> None:
    """`open|<stage>` asks to confirm; `open|<stage>|yes` opens it now, `|no` cancels."""
    stage_ids = {s.id for s in later_stages(ctx.services.programme)}
    if not ctx.args or ctx.args[0] not in stage_ids or ctx.args[1:] not in ([], ["yes"], ["no"]):
        await ctx.services.core.stale(ctx)
        return
    stage_id = ctx.args[0]
    title = pick(ctx.services.programme.stage(stage_id).title, ctx.lang)
    if stage_id in await openings.opened(ctx.conn):
        await ctx.reply(ctx.t("stage.already_open", title=title))
        return
    if ctx.args[1:] == ["no"]:
        await ctx.reply(ctx.t("stage.open_cancelled", title=title))
        return
    if ctx.args[1:] != ["yes"]:
        await ctx.reply(
            ctx.t("stage.confirm_open", title=title) + await _meeting_note(ctx, stage_id),
            [[Button(ctx.t("stage.open_yes"), f"open|{stage_id}|yes"),
              Button(ctx.t("common.cancel"), f"open|{stage_id}|no")]],
        )
        return
    await openings.record(ctx.conn, stage_id, ctx.now, ctx.person.id)
    count = await announce(ctx.conn, ctx.services, stage_id, ctx.now, ctx.written)
    await ctx.reply(ctx.t("stage.opened_by_you", title=title, count=count))
