"""When a question rises to the coordinators, and the scheduler job that watches the clocks.

A ticket escalates when its tutor has not taken it within `escalation.take_within_hours`
of working time (the tutor's zone, outside quiet hours), when nobody answered the intern
within `escalation.answer_within_hours`, when the team has no tutor, or when the tutor
hands it over. Each escalation has its own number in the idempotency key, so a job that
runs twice, or crashes half-way, never tells a coordinator twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.context import notify
from bot.local_time import after_quiet_hours
from bot.services import Services
from bot.working_hours import working_deadline
from handlers.tickets import cards
from storage import persons, tickets
from storage.connection import Connection
from storage.tickets import Ticket

log = logging.getLogger(__name__)

REASONS = ("not_taken", "not_answered", "no_tutor", "handed_over")


def register(s: Services) -> None:
    s.scheduler.add("ticket_escalation", escalate_due)


async def zone_of(conn: Connection, services: Services, person_id: int) -> ZoneInfo:
    person = await persons.get_person(conn, person_id)
    if person.timezone:
        try:
            return ZoneInfo(person.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("person %s has an unknown time zone; using the programme's", person_id)
    return services.programme.zone


async def staff_not_before(
    conn: Connection, services: Services, person_id: int, now: datetime
) -> datetime | None:
    """Staff are not woken at night: a notice written in quiet hours waits for the morning."""
    zone = await zone_of(conn, services, person_id)
    awake = after_quiet_hours(now, zone, services.programme.quiet_hours)
    return awake if awake > now else None


def take_deadline(ticket: Ticket, services: Services, zone: ZoneInfo) -> datetime:
    rules = services.programme.escalation
    return working_deadline(ticket.assigned_at, rules.take_within_hours, zone,
                            services.programme.quiet_hours)


def answer_deadline(ticket: Ticket, services: Services) -> datetime | None:
    if ticket.waiting_since is None:
        return None
    return ticket.waiting_since + timedelta(hours=services.programme.escalation.answer_within_hours)


async def due_reason(
    conn: Connection, services: Services, ticket: Ticket, now: datetime,
    zones: dict[int, ZoneInfo],
) -> str | None:
    """Why the ticket must escalate now, if it must; `zones` caches tutors' zones per tick."""
    if ticket.tutor_id is None:
        return "no_tutor"
    answer_by = answer_deadline(ticket, services)
    if answer_by is not None and answer_by <= now:
        return "not_answered"
    if ticket.status == "open":
        zone = zones.get(ticket.tutor_id)
        if zone is None:
            zone = zones[ticket.tutor_id] = await zone_of(conn, services, ticket.tutor_id)
        if take_deadline(ticket, services, zone) <= now:
            return "not_taken"
    return None


async def escalate(
    conn: Connection,
    services: Services,
    ticket_id: int,
    reason: str,
    now: datetime,
    written: list[int] | None = None,
) -> bool:
    """Mark the ticket escalated and tell every coordinator, once per escalation."""
    number = await tickets.escalate(conn, ticket_id, reason, now)
    if number is None:
        return False
    ticket = await tickets.get(conn, ticket_id)
    assert ticket is not None
    coordinators = await persons.persons_with_role(conn, "coordinator")
    if not coordinators:
        log.warning("ticket %s escalated (%s) but there is no coordinator", ticket_id, reason)
    for coordinator in coordinators:
        card = await cards.staff_card(
            conn, services, ticket, coordinator, headline="tickets.card_escalated",
            coordinator=True,
        )
        not_before = await staff_not_before(conn, services, coordinator, now)
        for suffix, part in card:
            await notify(
                conn, services, coordinator, f"tk:{ticket_id}:esc:{number}:{coordinator}{suffix}",
                part, now=now, not_before=not_before, written=written,
            )
    return True


async def escalate_due(services: Services, now: datetime) -> int:
    """The scheduler job: escalate every ticket whose clock ran out.

    Most ticks find nothing, so they only read; the write transaction re-checks each
    candidate, because a tutor may have taken or answered it in between.
    """
    zones: dict[int, ZoneInfo] = {}
    rules = services.programme.escalation
    async with services.db.read() as conn:
        candidates = await tickets.escalation_candidates(
            conn, now - timedelta(hours=rules.take_within_hours),
            now - timedelta(hours=rules.answer_within_hours),
        )
        due = [t.id for t in candidates if await due_reason(conn, services, t, now, zones)]
    if not due:
        return 0
    done = 0
    async with services.db.transaction() as conn:
        for ticket_id in due:
            ticket = await tickets.get(conn, ticket_id)
            if ticket is None or ticket.status not in ("open", "taken"):
                continue
            reason = await due_reason(conn, services, ticket, now, zones)
            if reason and await escalate(conn, services, ticket.id, reason, now):
                log.info("ticket %s escalated: %s", ticket.id, reason)
                done += 1
    return done
