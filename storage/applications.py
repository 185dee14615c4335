"""Applications to the internship and the coordinators' decisions on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    person_id: int
    status: str
    answers: dict[str, Any]
    reason: str | None
    created_at: str


def _app(row: Row) -> Application:
    return Application(
        row["id"], row["person_id"], row["status"], json.loads(row["answers"]),
        row["reason"], row["created_at"],
    )


async def create(
    conn: Connection, person_id: int, answers: dict[str, Any], now: datetime
) -> int:
    return await insert(
        conn,
        "INSERT INTO applications(person_id, status, answers, created_at)"
        " VALUES (?, 'pending', ?, ?)",
        (person_id, json.dumps(answers, ensure_ascii=False), to_iso(now)),
    )


async def get(conn: Connection, application_id: int) -> Application | None:
    row = await fetchone(conn, "SELECT * FROM applications WHERE id = ?", (application_id,))
    return _app(row) if row else None


async def latest_for(conn: Connection, person_id: int) -> Application | None:
    row = await fetchone(
        conn,
        "SELECT * FROM applications WHERE person_id = ? ORDER BY id DESC LIMIT 1",
        (person_id,),
    )
    return _app(row) if row else None


async def pending(conn: Connection, limit: int = 50) -> list[Application]:
    rows = await fetchall(
        conn,
        "SELECT * FROM applications WHERE status = 'pending' ORDER BY created_at, id LIMIT ?",
        (limit,),
    )
    return [_app(r) for r in rows]


async def count_pending(conn: Connection) -> int:
    row = await fetchone(conn, "SELECT COUNT(*) AS n FROM applications WHERE status = 'pending'")
    return int(row["n"]) if row else 0


async def decide(
    conn: Connection,
    application_id: int,
    status: str,
    decided_by: int,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Decide only a pending application, so two coordinators cannot both decide it."""
    cur = await conn.execute(
        "UPDATE applications SET status = ?, decided_by = ?, decided_at = ?, reason = ?"
        " WHERE id = ? AND status = 'pending'",
        (status, decided_by, to_iso(now), reason, application_id),
    )
    return cur.rowcount > 0


async def reopen(
    conn: Connection, application_id: int, decided_by: int, now: datetime, reason: str
) -> bool:
    """Hand an application back for correction: it is withdrawn, the edit is a new one."""
    cur = await conn.execute(
        "UPDATE applications SET status = 'withdrawn', decided_by = ?, decided_at = ?, reason = ?"
        " WHERE id = ? AND status IN ('pending', 'approved', 'rejected')",
        (decided_by, to_iso(now), reason, application_id),
    )
    return cur.rowcount > 0


async def pending_after(conn: Connection, cursor: int, size: int) -> list[Application]:
    """A page of pending applications after the cursor (the last id of the page before):
    deciding on some never shifts the ones not yet seen, as an offset would."""
    rows = await fetchall(
        conn,
        "SELECT * FROM applications WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
        (cursor, size),
    )
    return [_app(r) for r in rows]


async def previous_page_cursor(conn: Connection, first: int, size: int) -> int | None:
    """The cursor of the page before the one starting at `first`; None on the first page."""
    rows = await fetchall(
        conn,
        "SELECT id FROM applications WHERE status = 'pending' AND id < ? ORDER BY id DESC LIMIT ?",
        (first, size + 1),
    )
    if not rows:
        return None
    return int(rows[size]["id"]) if len(rows) > size else 0


async def count_pending_before(conn: Connection, first: int) -> int:
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM applications WHERE status = 'pending' AND id < ?", (first,)
    )
    return int(row["n"]) if row else 0


async def still_pending(conn: Connection, ids: list[int]) -> list[int]:
    """Those of `ids` nobody has decided yet, in id order."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn, f"SELECT id FROM applications WHERE status = 'pending' AND id IN ({marks}) ORDER BY id",
        tuple(ids),
    )
    return [int(r["id"]) for r in rows]
