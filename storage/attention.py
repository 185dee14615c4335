"""Items that need a human: an intern overdue or silent, raised once, resolved later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchall


@dataclass(frozen=True, slots=True)
class Attention:
    id: int
    person_id: int
    kind: str
    ref: str
    detail: str
    created_at: str


async def raise_once(
    conn: Connection, person_id: int, kind: str, ref: str, detail: str, now: datetime
) -> bool:
    """True only the first time: the caller notifies the tutor just then."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO attention(person_id, kind, ref, detail, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (person_id, kind, ref, detail, to_iso(now)),
    )
    return cur.rowcount > 0


async def resolve(
    conn: Connection, person_id: int, kind: str, ref: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE attention SET resolved_at = ? WHERE person_id = ? AND kind = ? AND ref = ?"
        " AND resolved_at IS NULL",
        (to_iso(now), person_id, kind, ref),
    )


async def open_items(
    conn: Connection, person_ids: set[int] | None = None
) -> list[Attention]:
    rows = await fetchall(
        conn,
        "SELECT * FROM attention WHERE resolved_at IS NULL ORDER BY created_at, id",
    )
    items = [
        Attention(r["id"], r["person_id"], r["kind"], r["ref"], r["detail"], r["created_at"])
        for r in rows
    ]
    return [i for i in items if person_ids is None or i.person_id in person_ids]
