"""Who said they will not attend which event."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchall, fetchone


async def mark(conn: Connection, person_id: int, event_id: str, now: datetime) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO event_absences(person_id, event_id, created_at) VALUES (?, ?, ?)",
        (person_id, event_id, to_iso(now)),
    )
    return cur.rowcount > 0


async def unmark(conn: Connection, person_id: int, event_id: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM event_absences WHERE person_id = ? AND event_id = ?", (person_id, event_id)
    )
    return cur.rowcount > 0


async def is_absent(conn: Connection, person_id: int, event_id: str) -> bool:
    row = await fetchone(
        conn, "SELECT 1 FROM event_absences WHERE person_id = ? AND event_id = ?",
        (person_id, event_id),
    )
    return row is not None


async def absent(conn: Connection) -> list[tuple[str, int, str | None, str | None]]:
    """(event, person, full name, team name) for every "I won't attend", by event."""
    rows = await fetchall(
        conn,
        "SELECT a.event_id, a.person_id, p.full_name, t.name AS team FROM event_absences a"
        " JOIN persons p ON p.id = a.person_id LEFT JOIN team_members m ON m.person_id = p.id"
        " LEFT JOIN teams t ON t.id = m.team_id ORDER BY a.event_id, p.full_name",
    )
    return [(r["event_id"], r["person_id"], r["full_name"], r["team"]) for r in rows]
