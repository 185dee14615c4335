"""Retention: what the bot sent is forgotten after a while, how much it sent is kept.

A message body is personal data (names, e-mails, answers quoted back); once delivered
(or given up on) it serves no purpose after the internship, so finished rows older than
the retention period get the same blank body an erasure leaves. The rows stay, so
delivery counts, reports and idempotency keys (nothing sent twice) are untouched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone
from storage.erasure import BLANK_BODY

FINISHED = ("sent", "failed", "unreachable", "cancelled")
BATCH = 2000
"""Rows blanked per statement: a large backlog is worked off over several ticks rather
than in one long write that would hold the database from the chat."""


async def blank_old_bodies(conn: Connection, *, before: datetime, limit: int = BATCH) -> int:
    """Blank up to `limit` finished rows created before `before`; return how many."""
    marks = ", ".join("?" for _ in FINISHED)
    cursor = await conn.execute(
        f"UPDATE outbox SET body = ? WHERE id IN (SELECT id FROM outbox WHERE status IN ({marks})"
        f" AND body != ? AND created_at < ? ORDER BY created_at LIMIT ?)",
        (BLANK_BODY, *FINISHED, BLANK_BODY, to_iso(before), limit),
    )
    return cursor.rowcount or 0


async def unblanked_before(conn: Connection, before: datetime) -> int:
    """How many finished rows older than `before` still hold a body (for tests and status)."""
    marks = ", ".join("?" for _ in FINISHED)
    row = await fetchone(
        conn,
        f"SELECT COUNT(*) AS n FROM outbox WHERE status IN ({marks}) AND body != ? AND created_at < ?",
        (*FINISHED, BLANK_BODY, to_iso(before)),
    )
    return int(row["n"]) if row else 0


def cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
