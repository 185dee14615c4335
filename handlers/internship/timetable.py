"""Effective moments of events, deadlines and stage openings.

The programme file gives the plan; a coordinator may move an event or a deadline
(stored in schedule_overrides). Everything that needs a time asks here, so reminders,
menus and reports follow a move at once.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import from_iso, to_iso
from scenarios.models import Programme
from storage.db import fetchone


async def _override(conn: aiosqlite.Connection, kind: str, item_id: str) -> datetime | None:
    row = await fetchone(
        conn, "SELECT moment FROM schedule_overrides WHERE item_kind = ? AND item_id = ?",
        (kind, item_id),
    )
    return from_iso(row["moment"]) if row else None


async def event_start(conn: aiosqlite.Connection, programme: Programme, event_id: str) -> datetime:
    moved = await _override(conn, "event", event_id)
    return moved or programme.moment(programme.event(event_id).starts_at)


async def stage_deadline(
    conn: aiosqlite.Connection, programme: Programme, stage_id: str
) -> datetime | None:
    moved = await _override(conn, "deadline", stage_id)
    if moved:
        return moved
    deadline = programme.stage(stage_id).deadline
    return programme.moment(deadline) if deadline else None


async def stage_opens(
    conn: aiosqlite.Connection, programme: Programme, stage_id: str
) -> datetime | None:
    moved = await _override(conn, "opens", stage_id)
    if moved:
        return moved
    opens = programme.stage(stage_id).opens_at
    return programme.moment(opens) if opens else None


async def move(
    conn: aiosqlite.Connection,
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
