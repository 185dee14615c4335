"""Where each person stands in each stage of the programme (see stage_status)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchall, fetchone

STATUSES = ("open", "submitted", "returned", "accepted", "done", "skipped")
FINISHED = ("submitted", "accepted", "done", "skipped")
"""Statuses in which nothing more is asked of the person: no reminder, no nudge."""


async def set_status(
    conn: Connection, person_id: int, stage_id: str, status: str, now: datetime
) -> None:
    if status not in STATUSES:
        raise ValueError(status)
    await conn.execute(
        "INSERT INTO stage_status(person_id, stage_id, status, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(person_id, stage_id) DO UPDATE SET status = excluded.status,"
        " updated_at = excluded.updated_at",
        (person_id, stage_id, status, to_iso(now)),
    )


async def status(conn: Connection, person_id: int, stage_id: str) -> str | None:
    row = await fetchone(
        conn, "SELECT status FROM stage_status WHERE person_id = ? AND stage_id = ?",
        (person_id, stage_id),
    )
    return row["status"] if row else None


async def statuses_of(conn: Connection, person_id: int) -> dict[str, str]:
    rows = await fetchall(
        conn, "SELECT stage_id, status FROM stage_status WHERE person_id = ?", (person_id,)
    )
    return {r["stage_id"]: r["status"] for r in rows}


async def counts(conn: Connection) -> dict[tuple[str, str], int]:
    rows = await fetchall(
        conn,
        "SELECT s.stage_id, s.status, COUNT(*) AS n FROM stage_status s"
        " JOIN persons p ON p.id = s.person_id WHERE p.deleted_at IS NULL"
        " GROUP BY s.stage_id, s.status",
    )
    return {(r["stage_id"], r["status"]): r["n"] for r in rows}
