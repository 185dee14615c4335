"""Which stages have been opened, when and by whom (None: by their date)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection
from storage.db import fetchall


async def opened(conn: Connection) -> dict[str, datetime]:
    rows = await fetchall(conn, "SELECT stage_id, opened_at FROM stage_openings")
    return {r["stage_id"]: from_iso(r["opened_at"]) for r in rows}


async def record(
    conn: Connection, stage_id: str, now: datetime, by: int | None
) -> bool:
    """Open a stage once; False when it already was."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO stage_openings(stage_id, opened_at, opened_by) VALUES (?, ?, ?)",
        (stage_id, to_iso(now), by),
    )
    return cur.rowcount > 0


async def interns_not_told(conn: Connection, stage_id: str) -> list[int]:
    """Interns with no status in this stage yet: the ones its opening has not reached."""
    rows = await fetchall(
        conn,
        "SELECT r.person_id FROM roles r JOIN persons p ON p.id = r.person_id"
        " WHERE r.role = 'intern' AND p.deleted_at IS NULL AND NOT EXISTS ("
        " SELECT 1 FROM stage_status s WHERE s.person_id = r.person_id AND s.stage_id = ?)"
        " ORDER BY r.person_id",
        (stage_id,),
    )
    return [r["person_id"] for r in rows]
