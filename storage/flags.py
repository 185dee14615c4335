"""Named switches that must survive a restart: sending paused, the last schedule change seen."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone

PAUSED = "delivery.paused"
SCHEDULE_SEEN = "reminders.schedule_seen"


async def get(conn: Connection, name: str) -> str | None:
    row = await fetchone(conn, "SELECT value FROM bot_flags WHERE name = ?", (name,))
    return row["value"] if row else None


async def put(conn: Connection, name: str, value: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO bot_flags(name, value, changed_at) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at",
        (name, value, to_iso(now)),
    )
