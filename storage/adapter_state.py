"""Key-value positions of the messenger adapters (the VK long-poll ts)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone


async def get(conn: Connection, key: str) -> str | None:
    row = await fetchone(conn, "SELECT value FROM adapter_state WHERE key = ?", (key,))
    return row["value"] if row is not None else None


async def put(conn: Connection, key: str, value: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO adapter_state (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, to_iso(now)),
    )
