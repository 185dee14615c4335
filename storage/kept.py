"""Messages kept for a person until they decide to send them as a question (see handlers/tickets/kept.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from bot.clock import to_iso
from bot.messages import FileInfo
from storage.connection import Connection
from storage.db import fetchall, insert


@dataclass(frozen=True, slots=True)
class Kept:
    id: int
    platform: str
    text: str
    file: FileInfo | None


async def keep(
    conn: Connection, person_id: int, platform: str, text: str, file: FileInfo | None,
    now: datetime,
) -> int:
    return await insert(
        conn,
        "INSERT INTO kept_messages(person_id, platform, text, file, created_at) VALUES (?, ?, ?, ?, ?)",
        (person_id, platform, text, json.dumps(asdict(file)) if file else None, to_iso(now)),
    )


async def waiting(conn: Connection, person_id: int) -> list[Kept]:
    """Kept and not yet decided on, oldest first."""
    rows = await fetchall(
        conn, "SELECT id, platform, text, file FROM kept_messages WHERE person_id = ? AND state = 'kept'"
        " ORDER BY id", (person_id,),
    )
    return [Kept(r["id"], r["platform"], r["text"], FileInfo(**json.loads(r["file"])) if r["file"] else None)
            for r in rows]


async def decide(
    conn: Connection, ids: list[int], state: str, now: datetime, ticket_id: int | None = None
) -> None:
    await conn.executemany(
        "UPDATE kept_messages SET state = ?, ticket_id = ?, decided_at = ? WHERE id = ? AND state = 'kept'",
        [(state, ticket_id, to_iso(now), i) for i in ids],
    )
