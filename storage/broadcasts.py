"""Broadcasts: a coordinator's template, its audience, when it goes out, and its report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    author_id: int | None
    body: str
    audience: str
    status: str
    recipients: int
    """Messages written to the outbox so far."""
    send_at: datetime | None
    cursor: int = 0
    """The last person id written; the next batch starts after it."""
    urgent: bool = False
    """Sent at once even to those in their quiet hours."""


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        row["id"], row["author_id"], row["body"], row["audience"], row["status"],
        row["recipients"], from_iso(row["send_at"]) if row["send_at"] else None, row["cursor"],
        bool(row["urgent"]),
    )


async def create(conn: Connection, author_id: int, body: str, now: datetime) -> int:
    return await insert(
        conn, "INSERT INTO broadcasts(author_id, body, created_at) VALUES (?, ?, ?)",
        (author_id, body, to_iso(now)),
    )


async def get(conn: Connection, broadcast_id: int) -> Broadcast | None:
    row = await fetchone(conn, "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _broadcast(row) if row else None


async def update_draft(
    conn: Connection, broadcast_id: int, *, audience: str | None = None,
    send_at: datetime | None = None,
) -> None:
    """Change a draft only; a queued broadcast is final."""
    if audience is not None:
        await conn.execute(
            "UPDATE broadcasts SET audience = ? WHERE id = ? AND status = 'draft'",
            (audience, broadcast_id),
        )
    if send_at is not None:
        await conn.execute(
            "UPDATE broadcasts SET send_at = ? WHERE id = ? AND status = 'draft'",
            (to_iso(send_at), broadcast_id),
        )


async def queue(
    conn: Connection, broadcast_id: int, send_at: datetime | None, *, urgent: bool = False
) -> bool:
    """Draft -> queued exactly once, so a double press cannot send twice."""
    cur = await conn.execute(
        "UPDATE broadcasts SET status = 'queued', send_at = ?, urgent = ?"
        " WHERE id = ? AND status = 'draft'",
        (to_iso(send_at) if send_at else None, int(urgent), broadcast_id),
    )
    return cur.rowcount > 0


async def cancel(conn: Connection, broadcast_id: int) -> bool:
    """A draft, or a queued broadcast whose remaining messages are not written yet."""
    cur = await conn.execute(
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status IN ('draft', 'queued')",
        (broadcast_id,),
    )
    return cur.rowcount > 0


async def due(conn: Connection, now: datetime) -> list[Broadcast]:
    """Confirmed broadcasts whose time has come and whose messages are not all written."""
    rows = await fetchall(
        conn,
        "SELECT * FROM broadcasts WHERE status = 'queued' AND (send_at IS NULL OR send_at <= ?)"
        " ORDER BY id",
        (to_iso(now),),
    )
    return [_broadcast(r) for r in rows]


async def advance(
    conn: Connection, broadcast_id: int, cursor: int, written: int, finished: bool
) -> None:
    await conn.execute(
        "UPDATE broadcasts SET cursor = ?, recipients = recipients + ?,"
        " status = CASE WHEN ? THEN 'sent' ELSE status END WHERE id = ? AND status = 'queued'",
        (cursor, written, finished, broadcast_id),
    )


async def unreported(conn: Connection) -> list[Broadcast]:
    rows = await fetchall(conn, "SELECT * FROM broadcasts WHERE status = 'sent' ORDER BY id")
    return [_broadcast(r) for r in rows]


async def recent(conn: Connection, limit: int = 10) -> list[Broadcast]:
    rows = await fetchall(conn, "SELECT * FROM broadcasts WHERE status != 'draft' ORDER BY id DESC"
                                " LIMIT ?", (limit,))
    return [_broadcast(r) for r in rows]


async def mark_done(conn: Connection, broadcast_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE broadcasts SET status = 'done', reported_at = ? WHERE id = ?",
        (to_iso(now), broadcast_id),
    )
