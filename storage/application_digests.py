"""Digest windows of new applications: which applications wait for one message to coordinators.

A window opens when coordinators are told of an application (at once, with its card) or
when a digest has just gone out; applications arriving while it is open are held here and
counted in one message when it closes. Everything is rows, so the scheduler job that
closes windows survives a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    opened_at: datetime
    closes_at: datetime
    sent_at: datetime | None
    sent_count: int | None


def _window(row: Row) -> Window:
    return Window(
        row["id"], from_iso(row["opened_at"]), from_iso(row["closes_at"]),
        from_iso(row["sent_at"]) if row["sent_at"] else None, row["sent_count"],
    )


async def latest(conn: Connection) -> Window | None:
    row = await fetchone(conn, "SELECT * FROM application_digests ORDER BY id DESC LIMIT 1")
    return _window(row) if row else None


async def open_window(conn: Connection, opened_at: datetime, closes_at: datetime) -> int:
    return await insert(
        conn, "INSERT INTO application_digests(opened_at, closes_at) VALUES (?, ?)",
        (to_iso(opened_at), to_iso(closes_at)),
    )


async def hold(conn: Connection, window_id: int, application_id: int) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO application_digest_items(application_id, digest_id) VALUES (?, ?)",
        (application_id, window_id),
    )


async def waiting(conn: Connection, window_id: int) -> list[int]:
    """Held applications still pending: one decided meanwhile is no longer news."""
    rows = await fetchall(
        conn,
        "SELECT a.id FROM application_digest_items i JOIN applications a ON a.id = i.application_id"
        " WHERE i.digest_id = ? AND a.status = 'pending' ORDER BY a.id",
        (window_id,),
    )
    return [int(r["id"]) for r in rows]


async def due(conn: Connection, now: datetime) -> list[Window]:
    rows = await fetchall(
        conn,
        "SELECT * FROM application_digests WHERE sent_at IS NULL AND closes_at <= ? ORDER BY id",
        (to_iso(now),),
    )
    return [_window(r) for r in rows]


async def mark_sent(conn: Connection, window_id: int, now: datetime, count: int) -> bool:
    """Close a window once: False when another run already closed it."""
    cur = await conn.execute(
        "UPDATE application_digests SET sent_at = ?, sent_count = ? WHERE id = ? AND sent_at IS NULL",
        (to_iso(now), count, window_id),
    )
    return cur.rowcount > 0
