"""Effective moments of events, deadlines and stage openings.

The programme file gives the plan; a coordinator may move an event or a deadline
(stored in schedule_overrides). Everything that needs a time asks here, so reminders,
menus and reports follow a move at once. A local deadline (`local: true`) is a
wall-clock time with one moment per time zone: whatever concerns one intern asks
for it with that intern's zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import from_iso, to_iso
from bot.local_time import zone_of
from scenarios.models import Programme
from scenarios.timespec import same_wall_clock
from storage.connection import Connection
from storage.db import fetchone


async def _override(conn: Connection, kind: str, item_id: str) -> datetime | None:
    row = await fetchone(
        conn, "SELECT moment FROM schedule_overrides WHERE item_kind = ? AND item_id = ?",
        (kind, item_id),
    )
    return from_iso(row["moment"]) if row else None


async def event_start(conn: Connection, programme: Programme, event_id: str) -> datetime:
    moved = await _override(conn, "event", event_id)
    return moved or programme.moment(programme.event(event_id).starts_at)


async def stage_deadline(
    conn: Connection, programme: Programme, stage_id: str, zone: ZoneInfo | None = None
) -> datetime | None:
    """The deadline; for a local one (`local: true`) and a person's `zone`, their own moment.

    Without a zone a local deadline gives its wall-clock time in the programme's zone, the
    form a move stores it in (a coordinator moves the wall-clock time, not one instant).
    """
    moment = await _override(conn, "deadline", stage_id)
    if moment is None:
        deadline = programme.stage(stage_id).deadline
        if deadline is None:
            return None
        moment = programme.moment(deadline)
    return personal(programme, stage_id, moment, zone)


def personal(programme: Programme, stage_id: str, moment: datetime, zone: ZoneInfo | None) -> datetime:
    """`moment` (a stage's deadline as stage_deadline gives it without a zone) for a person
    in `zone`: the same instant for a fixed deadline, the same wall-clock time for a local one."""
    if zone is None or not programme.stage(stage_id).deadline_local:
        return moment
    return same_wall_clock(moment, programme.zone, zone)


def intern_zone(programme: Programme, timezone: str | None) -> ZoneInfo:
    """Whose clock a local deadline follows: the intern's zone, else the programme's."""
    return zone_of(timezone, programme.timezone)


async def stage_opens(
    conn: Connection, programme: Programme, stage_id: str
) -> datetime | None:
    moved = await _override(conn, "opens", stage_id)
    if moved:
        return moved
    opens = programme.stage(stage_id).opens_at
    return programme.moment(opens) if opens else None


async def move(
    conn: Connection,
    kind: str,
    item_id: str,
    moment: datetime,
    changed_by: int | None,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO schedule_overrides(item_kind, item_id, moment, changed_by, changed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(item_kind, item_id) DO UPDATE SET"
        " moment = excluded.moment, changed_by = excluded.changed_by,"
        " changed_at = excluded.changed_at",
        (kind, item_id, to_iso(moment), changed_by, to_iso(now)),
    )
