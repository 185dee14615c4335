"""Interns the bot can no longer reach (they blocked it, deleted the account): a human must.

Delivery marks the account and stops sending to it. Without this the intern would
silently drop out of the internship: reminders and announcements go nowhere. The
scheduler notices each episode once and tells the team's tutor (the coordinators when
the team has none); the person shows in /queue and /tickets as "needs attention" until
they write to the bot again.
"""

from __future__ import annotations

from datetime import datetime

from bot.context import notify
from bot.local_time import after_quiet_hours, zone_of
from bot.messages import Reply
from bot.people import names
from bot.services import Services
from storage import attention, persons, reachability, teams
from storage.connection import Connection

KIND = "unreachable"


def register(s: Services) -> None:
    s.scheduler.add("unreachable", watch)


async def watch(services: Services, now: datetime) -> int:
    """Scheduler job: raise new episodes, resolve the ones whose person is back."""
    told = 0
    async with services.db.transaction() as conn:
        lost = await reachability.unreachable_interns(conn)
        lost_ids = {item.person_id for item in lost}
        for item in await attention.open_items(conn):
            if item.kind == KIND and item.person_id not in lost_ids:
                await attention.resolve(conn, item.person_id, KIND, item.ref, now)
        for item in lost:
            detail = ", ".join(item.platforms)
            if await attention.raise_once(conn, item.person_id, KIND, item.since, detail, now):
                told += await _tell(conn, services, item, now)
    return told


async def _tell(
    conn: Connection, services: Services, item: reachability.Unreachable, now: datetime
) -> int:
    person = await persons.get_person(conn, item.person_id)
    name = (await names(conn, [item.person_id]))[item.person_id]
    team = await teams.team_of(conn, item.person_id)
    readers = [team.tutor_id] if team and team.tutor_id else await persons.persons_with_role(
        conn, "coordinator")
    texts = services.texts
    for reader in readers:
        zone = zone_of((await persons.get_person(conn, reader)).timezone,
                       services.settings.default_timezone)

        def build(lang: str) -> Reply:
            where = ", ".join(texts.get(lang, f"unreachable.platform.{p}")
                              if texts.has(f"unreachable.platform.{p}", lang) else p
                              for p in item.platforms)
            return Reply(texts.get(
                lang, "unreachable.tell", name=name,
                team=team.name if team else "", where=where,
                email=person.email or "—",
            ))

        await notify(conn, services, reader, f"unr:{item.person_id}:{item.since}:{reader}", build,
                     now=now, kind="escalation",
                     not_before=after_quiet_hours(now, zone, services.programme.quiet_hours))
    return len(readers)
