"""Reminders, nudges and overdue flags: planned as rows, acted on by the scheduler tick.

Every intern gets a plan from the programme file (before each event, before each
deadline and on its morning, a nudge after days of silence, a flag when a deadline is
missed), stored in `reminders` with moments taken from handlers/internship/timetable.py, so a
coordinator's move re-plans the same rows. The tick turns due rows into outbox rows
with idempotency keys; a reminder whose purpose is gone (the stage is done) is
skipped, and one that comes too late after downtime (the event has begun) is dropped
and logged rather than sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import to_iso
from bot.context import notify
from bot.local_time import (
    MORNING_MARGIN,
    after_quiet_hours,
    before_event,
    local_morning_before,
    spoken,
    zone_of,
)
from bot.messages import Button, Reply
from bot.services import Services
from handlers.internship import local_deadlines, menu, timetable
from scenarios.models import Programme, Stage, pick
from scenarios.routes import on_route
from scenarios.stage_work import action_key, announcement_key
from scenarios.timespec import parse_duration, same_wall_clock
from storage import attention, levels, outbox, persons, stages, teams
from storage import flags as flag_store
from storage import reminders as store
from storage.connection import Connection
from storage.reminders import Planned, Reminder

log = logging.getLogger(__name__)

BATCH = 100
"""Rows per transaction: short ones (~10 ms), so updates from people interleave with a burst."""
MAX_BATCHES_PER_TICK = 100
"""Catching up after downtime: at most 10,000 rows per tick, the rest on the next ones."""


def register(s: Services) -> None:
    s.scheduler.add("reminders", tick)


@dataclass(frozen=True, slots=True)
class Moments:
    """The effective timetable, read once per planning pass (overrides win over the file)."""

    events: dict[str, datetime]
    deadlines: dict[str, datetime]
    """A local deadline's (`local: true`) is its wall-clock time in the programme's zone."""
    opens: dict[str, datetime | None]
    local: frozenset[str] = frozenset()
    """Stages whose deadline each intern meets by their own clock."""


async def moments(conn: Connection, programme: Programme) -> Moments:
    events = {e.id: await timetable.event_start(conn, programme, e.id) for e in programme.events}
    deadlines: dict[str, datetime] = {}
    opens: dict[str, datetime | None] = {}
    for stage in _reminded_stages(programme):
        deadline = await timetable.stage_deadline(conn, programme, stage.id)
        assert deadline is not None
        deadlines[stage.id] = deadline
        opens[stage.id] = await timetable.stage_opens(conn, programme, stage.id)
    local = frozenset(s.id for s in _reminded_stages(programme) if s.deadline_local)
    return Moments(events, deadlines, opens, local)


def _reminded_stages(programme: Programme) -> list[Stage]:
    """Stages that ask something of an intern by a deadline (not the application itself)."""
    return [s for s in programme.stages if s.kind != "application" and s.deadline]


def plan_for(
    s: Services, person_id: int, zone: ZoneInfo, at: Moments, now: datetime,
    only: set[tuple[str, str]] | None = None, wall_zone: ZoneInfo | None = None,
) -> list[Planned]:
    """One person's reminders; `only` limits it to moved items (("event", id), ("deadline", id)...).

    A local deadline is planned at the person's own moment: its wall-clock time in
    `wall_zone` (their zone, else the programme's; `zone` when not given).
    """
    rules, quiet = s.programme.reminders, s.programme.quiet_hours

    def wanted(kind: str, item: str) -> bool:
        return only is None or (kind, item) in only

    plan: list[Planned] = []
    for event_id, start in at.events.items():
        if start <= now or not wanted("event", event_id):
            continue
        for label in rules.before_event:
            due = before_event(start - parse_duration(label), start, zone, quiet)
            plan.append(Planned(person_id, "event", event_id, label, start, due))
    for stage_id, deadline in at.deadlines.items():
        if stage_id in at.local:
            deadline = same_wall_clock(deadline, s.programme.zone, wall_zone or zone)
        if deadline <= now:
            continue
        if wanted("deadline", stage_id):
            for label in rules.before_deadline:
                raw = deadline - parse_duration(label)
                due = after_quiet_hours(raw, zone, quiet)
                plan.append(Planned(person_id, "deadline", stage_id, label, deadline,
                                    due if due < deadline else raw))
            if rules.deadline_morning:
                morning = local_morning_before(deadline, zone, rules.deadline_morning, MORNING_MARGIN)
                due = after_quiet_hours(morning, zone, quiet)
                plan.append(Planned(person_id, "deadline", stage_id, "morning", deadline,
                                    due if due < deadline else morning))
            if rules.overdue_after:
                plan.append(Planned(person_id, "overdue", stage_id, "", deadline,
                                    deadline + parse_duration(rules.overdue_after)))
        if rules.silence_after and (wanted("opens", stage_id) or wanted("deadline", stage_id)):
            opened = at.opens[stage_id] or now
            due = after_quiet_hours(opened + parse_duration(rules.silence_after), zone, quiet)
            if due < deadline:  # a stage shorter than that gets the deadline reminders only
                plan.append(Planned(person_id, "silence", stage_id, "", opened, due))
    return plan


async def plan_people(
    conn: Connection, s: Services, person_ids: list[int], now: datetime,
    only: set[tuple[str, str]] | None = None,
) -> int:
    """(Re-)plan these people; rows of a moved item get the new moment and are due again.

    Re-planning a whole person (a new time zone) moves only rows still planned: what
    was sent for the same moment stays sent.
    """
    at = await moments(conn, s.programme)
    zones = await store.zones(conn, person_ids)
    plan: list[Planned] = []
    for person_id in person_ids:
        zone = zone_of(zones.get(person_id), s.settings.default_timezone)
        wall = timetable.intern_zone(s.programme, zones.get(person_id))
        mine = plan_for(s, person_id, zone, at, now, only, wall)
        if only is None and at.local:
            mine = await _keep_what_was_said(conn, person_id, at, mine)
        plan.extend(mine)
        if only is None:
            await store.mark_planned(conn, person_id, zones.get(person_id), now)
    await store.upsert(conn, plan)
    return len(plan)


async def _keep_what_was_said(
    conn: Connection, person_id: int, at: Moments, plan: list[Planned]
) -> list[Planned]:
    """A new time zone moves a local deadline's moment but not its wall-clock time: what
    was already sent about it said the same words, so it is not planned (and sent) again."""
    said = {(r.kind, r.ref, r.slot) for r in await store.of_person(conn, person_id)
            if r.state == "sent" and r.ref in at.local and r.kind in ("deadline", "overdue")}
    return [p for p in plan if (p.kind, p.ref, p.slot) not in said]


async def follow_schedule_changes(
    conn: Connection, s: Services, now: datetime,
    items: set[tuple[str, str]] | None = None,
) -> int:
    """Re-plan everyone's rows of moved items: the ones given, or those changed since last seen."""
    seen = await flag_store.get(conn, flag_store.SCHEDULE_SEEN) or ""
    changed = await store.schedule_changes(conn, seen)
    moved = set(items or ()) | {(kind, item) for kind, item, _ in changed}
    if not moved:
        return 0
    if changed:
        await flag_store.put(conn, flag_store.SCHEDULE_SEEN, max(c[2] for c in changed), now)
    people = await store.planned_people(conn)
    log.info("re-planning %s for %s people", sorted(moved), len(people))
    return await plan_people(conn, s, people, now, moved)


async def tick(s: Services, now: datetime) -> int:
    """Plan new interns, follow moves, close settled flags, then act on due rows (in batches)."""
    async with s.db.transaction() as conn:
        await follow_schedule_changes(conn, s, now)
        await store.resolve_settled(conn, now)
        newcomers = await store.unplanned_interns(conn)
        if newcomers:
            await plan_people(conn, s, newcomers, now)
    done = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        async with s.db.transaction() as conn:
            rows = await store.due(conn, now, BATCH)
            if rows:
                done += await Acting(conn, s, now).run(rows)
        if len(rows) < BATCH:
            break
    return done


class Acting:
    """One batch of due rows inside one transaction: decide, write the outbox, record why."""

    def __init__(self, conn: Connection, s: Services, now: datetime) -> None:
        self.conn, self.s, self.now = conn, s, now
        self.texts = s.texts
        self.rules = s.programme.reminders
        self.quiet = s.programme.quiet_hours
        self.people: dict[int, store.Recipient] = {}

    async def run(self, rows: list[Reminder]) -> int:
        people = await store.recipients(self.conn, sorted({r.person_id for r in rows}))
        self.people = people
        latest: dict[tuple[int, str, str], Reminder] = {}
        for row in rows:
            if row.kind in ("event", "deadline"):
                key = (row.person_id, row.kind, row.ref)
                if key not in latest or row.due_at >= latest[key].due_at:
                    latest[key] = row
        sent = 0
        for row in rows:
            who = people.get(row.person_id)
            if who is None or not who.active:
                await self.finish(row, "cancelled", "no longer an intern")
            elif row.kind in ("event", "deadline") and latest[(row.person_id, row.kind, row.ref)] is not row:
                await self.finish(row, "stale", "superseded by a later reminder of the same item")
            else:
                sent += await self._guarded(row, zone_of(who.timezone, self.s.settings.default_timezone))
        return sent

    async def _guarded(self, row: Reminder, zone: ZoneInfo) -> int:
        """Act on one row in a savepoint: a row that fails (say, its event was removed from
        the programme file) is set aside and logged instead of blocking every later one."""
        await self.conn.execute("SAVEPOINT reminder")
        try:
            done = int(await getattr(self, f"_{row.kind}")(row, zone))
        except Exception:
            log.exception("reminder %s (%s %s) failed; set aside", row.id, row.kind, row.ref)
            await self.conn.execute("ROLLBACK TO reminder")
            await self.finish(row, "skipped", "failed: see the log")
            done = 0
        await self.conn.execute("RELEASE reminder")
        return done

    async def finish(self, row: Reminder, state: str, note: str) -> None:
        if state == "stale":
            log.info("reminder %s (%s %s %s) dropped: %s", row.id, row.kind, row.ref, row.slot, note)
        await store.finish(self.conn, row.id, state, self.now, note)

    def key(self, row: Reminder, extra: str = "") -> str:
        moment = row.moment.strftime("%Y%m%dT%H%M")
        return f"{store.KEY_PREFIX}{row.kind}:{row.ref}:{row.slot}:{row.person_id}:{moment}{extra}"

    def work_buttons(self, lang: str, stage: Stage) -> list[list[Button]]:
        """A reminder about a stage carries the button that starts its work and the menu
        ("Ask a tutor" among it): the intern acts with one tap instead of looking for how."""
        start = [[Button(self.texts.get(lang, action_key(stage)), f"go|{stage.id}")]]
        return start + menu.rows(self.texts, lang)

    def later(self, zone: ZoneInfo) -> datetime | None:
        """Non-urgent messages wait out the reader's quiet hours."""
        moment = after_quiet_hours(self.now, zone, self.quiet)
        return moment if moment > self.now else None

    def intern_zone(self, person_id: int) -> ZoneInfo:
        """Whose clock the person's local deadlines follow."""
        who = self.people.get(person_id)
        return timetable.intern_zone(self.s.programme, who.timezone if who else None)

    async def _event(self, row: Reminder, zone: ZoneInfo) -> int:
        if self.now >= row.moment:
            await self.finish(row, "stale", "the event has already begun")
            return 0
        event = self.s.programme.event(row.ref)
        texts = self.texts

        def build(lang: str) -> Reply:
            text = texts.get(lang, "rem.event", title=pick(event.title, lang),
                             when=spoken(texts, lang, row.moment, zone), link=event.link)
            buttons = [[Button(texts.get(lang, "rem.join"), url=event.link)]] if event.link else []
            return Reply(text, buttons)

        wait = before_event(self.now, row.moment, zone, self.quiet)
        await notify(self.conn, self.s, row.person_id, self.key(row), build, now=self.now,
                     kind="reminder", not_before=wait if wait > self.now else None,
                     expires_at=row.moment)
        await self.finish(row, "sent", "")
        return 1

    async def _open_for(self, row: Reminder) -> bool | None:
        """True if the stage asks something of the person now; None if it is done (or not
        on their route: a stage of another level is never theirs to be reminded of)."""
        level = await levels.level_of(self.conn, row.person_id)
        if not on_route(self.s.programme, self.s.programme.stage(row.ref), level):
            return None
        status = await stages.status(self.conn, row.person_id, row.ref)
        if status in stages.FINISHED:
            return None
        if status in ("open", "returned"):
            return True
        opens = await timetable.stage_opens(self.conn, self.s.programme, row.ref)
        return status is None and opens is not None and opens <= self.now

    async def _just_announced(self, row: Reminder, send_at: datetime) -> bool:
        told = await outbox.status_of(self.conn, announcement_key(row.ref, row.person_id))
        if told is None or told.status in ("failed", "unreachable", "cancelled"):
            return False
        gap = parse_duration(self.rules.quiet_after_announcement)
        return send_at - told.not_before < gap

    async def _deadline(self, row: Reminder, zone: ZoneInfo) -> int:
        if self.now >= row.moment:
            await self.finish(row, "stale", "the deadline has passed")
            return 0
        if not await self._open_for(row):
            await self.finish(row, "skipped", "stage done or not open")
            return 0
        send_at = self.later(zone) or self.now
        if await self._just_announced(row, send_at):
            await self.finish(row, "skipped", "the stage's announcement named the deadline just before")
            return 0
        stage = self.s.programme.stage(row.ref)
        texts = self.texts

        def build(lang: str) -> Reply:
            return Reply(texts.get(lang, "rem.deadline", stage=pick(stage.title, lang),
                                   when=spoken(texts, lang, row.moment, zone)),
                         self.work_buttons(lang, stage))

        await notify(self.conn, self.s, row.person_id, self.key(row), build, now=self.now,
                     kind="reminder", not_before=self.later(zone), expires_at=row.moment)
        await self.finish(row, "sent", "")
        return 1

    async def _silence(self, row: Reminder, zone: ZoneInfo) -> int:
        deadline = await timetable.stage_deadline(self.conn, self.s.programme, row.ref,
                                                  self.intern_zone(row.person_id))
        if deadline is not None and self.now >= deadline:
            await self.finish(row, "skipped", "deadline passed: the overdue flag takes over")
            return 0
        open_now = await self._open_for(row)
        if open_now is None:
            await self.finish(row, "skipped", "stage done")
            return 0
        assert self.rules.silence_after is not None
        nudge_after = parse_duration(self.rules.silence_after)
        if not open_now:  # a stage a coordinator opens by hand: look again later
            await store.reschedule(self.conn, row.id, self.now + nudge_after)
            return 0
        seen = await store.last_seen(self.conn, row.person_id)
        since = max(seen, row.moment) if seen else row.moment
        silent = self.now - since
        if silent < nudge_after:
            again = after_quiet_hours(since + nudge_after, zone, self.quiet)
            await store.reschedule(self.conn, row.id, again)
            return 0
        stage = self.s.programme.stage(row.ref)
        texts = self.texts
        sent = 0

        def build(lang: str) -> Reply:
            when = spoken(texts, lang, deadline, zone) if deadline else ""
            return Reply(texts.get(lang, "rem.silence", stage=pick(stage.title, lang), when=when),
                         self.work_buttons(lang, stage))

        if await notify(self.conn, self.s, row.person_id, self.key(row, ":" + to_iso(since)), build,
                        now=self.now, kind="reminder", not_before=self.later(zone),
                        expires_at=deadline):
            sent += 1
        escalate = self.rules.silence_escalate_after
        if escalate and silent >= parse_duration(escalate):
            if await self._tell_tutor(row, "silent", "rem.tutor_silent", deadline, days=silent.days):
                sent += 1
            await self.finish(row, "sent", "tutor told")
        elif escalate:
            await store.reschedule(self.conn, row.id, since + parse_duration(escalate))
        else:
            await self.finish(row, "sent", "")
        return sent

    async def _overdue(self, row: Reminder, zone: ZoneInfo) -> int:
        if not await self._open_for(row):
            await self.finish(row, "skipped", "stage done or never opened")
            return 0
        if not await self._tell_tutor(row, "overdue", "rem.tutor_overdue", row.moment):
            await self.finish(row, "skipped", "already flagged")
            return 0
        stage = self.s.programme.stage(row.ref)
        texts = self.texts

        def build(lang: str) -> Reply:
            step = pick(stage.instructions, lang) or texts.get(lang, "rem.next_step_generic")
            return Reply(texts.get(lang, "rem.overdue", stage=pick(stage.title, lang),
                                   when=spoken(texts, lang, row.moment, zone), step=step),
                         self.work_buttons(lang, stage))

        await notify(self.conn, self.s, row.person_id, self.key(row), build, now=self.now,
                     kind="reminder", not_before=self.later(zone))
        await self.finish(row, "sent", "tutor told")
        return 2

    async def _tell_tutor(
        self, row: Reminder, kind: str, text_key: str, deadline: datetime | None, **extra: object
    ) -> bool:
        """Raise the attention item once; the first time, tell the tutor (or the coordinators).

        True when it was raised now; the team has no tutor yet: the coordinators hear of it.
        """
        stage = self.s.programme.stage(row.ref)
        status = await stages.status(self.conn, row.person_id, row.ref)
        detail = f"{stage.id}: {status or 'nothing handed in'}"
        if not await attention.raise_once(self.conn, row.person_id, kind, row.ref, detail, self.now):
            return False
        person = await persons.get_person(self.conn, row.person_id)
        team = await teams.team_of(self.conn, row.person_id)
        tutor = team.tutor_id if team else None
        readers = [tutor] if tutor else await persons.persons_with_role(self.conn, "coordinator")
        texts = self.texts
        interns = timetable.intern_zone(self.s.programme, person.timezone)
        for reader in readers:
            reader_zone = zone_of((await persons.get_person(self.conn, reader)).timezone,
                                  self.s.settings.default_timezone)

            def build(lang: str, zone: ZoneInfo = reader_zone) -> Reply:
                state = texts.get(lang, f"rem.state.{status or 'none'}")
                when = (local_deadlines.about_intern(texts, lang, stage, deadline, interns, zone)
                        if deadline else "")
                return Reply(texts.get(
                    lang, text_key, name=person.full_name or f"#{person.id}",
                    team=team.name if team else texts.get(lang, "rem.no_team"),
                    stage=pick(stage.title, lang), when=when, state=state, **extra,
                ))

            key = f"att:{kind}:{row.ref}:{row.person_id}:{reader}"
            await notify(self.conn, self.s, reader, key, build, now=self.now, kind="escalation",
                         not_before=after_quiet_hours(self.now, reader_zone, self.quiet))
        return True

