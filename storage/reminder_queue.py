"""What /schedule shows: planned reminders as one line per item and slot, with the spread
of their moments across the interns' time zones, and the reminder messages already queued.

The lines and the totals come from the same rows, so the figures a coordinator reads
under the list always add up to the list itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_iso, to_iso
from storage.db import fetchall, fetchone

REMINDER_KEYS = "rem:"
"""The outbox key prefix of every reminder message."""


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    ref: str
    slot: str
    first_due: datetime
    last_due: datetime
    people: int


async def planned(conn: aiosqlite.Connection) -> list[Line]:
    """Every planned reminder, one line per (kind, item, slot), soonest first.

    A reminder "48 h before" is due at one moment for everyone, while "the morning of the
    deadline" is due at 09:00 in each intern's zone: the line carries the first and last."""
    rows = await fetchall(
        conn,
        "SELECT kind, ref, slot, MIN(due_at) AS first_due, MAX(due_at) AS last_due,"
        " COUNT(*) AS n FROM reminders WHERE state = 'planned'"
        " GROUP BY kind, ref, slot ORDER BY first_due, kind, ref, slot",
    )
    return [
        Line(r["kind"], r["ref"], r["slot"], from_iso(r["first_due"]), from_iso(r["last_due"]), r["n"])
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Queue:
    """Reminder messages already written to the outbox, by what became of them."""

    waiting: int
    """Pending or being sent now."""
    until_morning: int
    """Of the waiting: held for the person's quiet hours (not before a later moment)."""
    sent: int
    failed: int
    dropped: int


async def queue(conn: aiosqlite.Connection, now: datetime) -> Queue:
    row = await fetchone(
        conn,
        "SELECT"
        " SUM(status IN ('pending', 'sending')) AS waiting,"
        " SUM(status = 'pending' AND not_before > ?) AS held,"
        " SUM(status = 'sent') AS sent,"
        " SUM(status IN ('failed', 'unreachable')) AS failed,"
        " SUM(status = 'cancelled') AS dropped"
        " FROM outbox WHERE idem_key LIKE ?",
        (to_iso(now), REMINDER_KEYS + "%"),
    )
    if row is None:
        return Queue(0, 0, 0, 0, 0)
    return Queue(row["waiting"] or 0, row["held"] or 0, row["sent"] or 0, row["failed"] or 0,
                 row["dropped"] or 0)
