"""Broadcasts: a coordinator's template, its audience, when it goes out, and its report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_iso, to_iso
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    author_id: int | None
    body: str
    audience: str
    status: str
    recipients: int
    send_at: datetime | None


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(
        row["id"], row["author_id"], row["body"], row["audience"], row["status"],
        row["recipients"], from_iso(row["send_at"]) if row["send_at"] else None,
    )


async def create(conn: aiosqlite.Connection, author_id: int, body: str, now: datetime) -> int:
    return await insert(
        conn, "INSERT INTO broadcasts(author_id, body, created_at) VALUES (?, ?, ?)",
        (author_id, body, to_iso(now)),
    )


async def get(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    row = await fetchone(conn, "SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _broadcast(row) if row else None


async def update_draft(
    conn: aiosqlite.Connection, broadcast_id: int, *, audience: str | None = None,
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


async def queue(conn: aiosqlite.Connection, broadcast_id: int, recipients: int) -> bool:
    """Draft -> queued exactly once, so a double press cannot send twice."""
    cur = await conn.execute(
        "UPDATE broadcasts SET status = 'queued', recipients = ? WHERE id = ? AND status = 'draft'",
        (recipients, broadcast_id),
    )
    return cur.rowcount > 0


async def cancel(conn: aiosqlite.Connection, broadcast_id: int) -> bool:
    cur = await conn.execute(
        "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status = 'draft'",
        (broadcast_id,),
    )
    return cur.rowcount > 0


async def unreported(conn: aiosqlite.Connection) -> list[Broadcast]:
    rows = await fetchall(conn, "SELECT * FROM broadcasts WHERE status = 'queued' ORDER BY id")
    return [_broadcast(r) for r in rows]


async def mark_done(conn: aiosqlite.Connection, broadcast_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE broadcasts SET status = 'done', reported_at = ? WHERE id = ?",
        (to_iso(now), broadcast_id),
    )
