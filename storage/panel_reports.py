"""The panel's counts for /progress, /broadcasts and /timeline that the chat never needed
in this shape: the funnel's first steps, a page of past broadcasts with their delivery
counts, and who moved which item of the timetable. Each a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass

from storage.broadcasts import Broadcast, _broadcast
from storage.connection import Connection
from storage.db import fetchall, fetchone


@dataclass(frozen=True, slots=True)
class Applied:
    applied: int
    approved: int


async def applied(conn: Connection) -> Applied:
    """People who applied at all, and those whose application was approved (not deleted)."""
    row = await fetchone(
        conn,
        "SELECT COUNT(DISTINCT a.person_id) AS applied,"
        " COUNT(DISTINCT CASE WHEN a.status = 'approved' THEN a.person_id END) AS approved"
        " FROM applications a JOIN persons p ON p.id = a.person_id AND p.deleted_at IS NULL",
    )
    return Applied(int(row["applied"] or 0), int(row["approved"] or 0)) if row else Applied(0, 0)


async def certified(conn: Connection) -> set[int]:
    """People holding a valid certificate."""
    rows = await fetchall(conn, "SELECT person_id FROM certificates WHERE status = 'valid'")
    return {r["person_id"] for r in rows if r["person_id"] is not None}


@dataclass(frozen=True, slots=True)
class SentBroadcast:
    broadcast: Broadcast
    created_at: str
    counts: dict[str, int]
    """Outbox status -> messages of this broadcast."""


async def broadcasts_page(
    conn: Connection, offset: int, limit: int
) -> tuple[int, list[SentBroadcast]]:
    """Past broadcasts (drafts aside), newest first, with their messages counted by status.

    The count is a range over the outbox's unique key (`bc:<id>:` .. `bc:<id>;`), which
    both databases answer from the index, where LIKE would read the whole outbox."""
    total = await fetchone(conn, "SELECT COUNT(*) AS n FROM broadcasts WHERE status != 'draft'")
    rows = await fetchall(
        conn, "SELECT * FROM broadcasts WHERE status != 'draft' ORDER BY id DESC LIMIT ? OFFSET ?",
        (limit, offset))
    found = []
    for row in rows:
        counts = await fetchall(
            conn, "SELECT status, COUNT(*) AS n FROM outbox WHERE idem_key >= ? AND idem_key < ?"
            " GROUP BY status", (f"bc:{row['id']}:", f"bc:{row['id']};"))
        by_status = {r["status"]: int(r["n"]) for r in counts}
        found.append(SentBroadcast(_broadcast(row), row["created_at"], by_status))
    return (int(total["n"]) if total else 0), found


async def held(conn: Connection, broadcast_id: int, now_iso: str) -> int:
    """Messages of a broadcast waiting for a later moment (the recipient's night)."""
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM outbox WHERE idem_key >= ? AND idem_key < ?"
        " AND status = 'pending' AND not_before > ?", (f"bc:{broadcast_id}:", f"bc:{broadcast_id};", now_iso))
    return int(row["n"]) if row else 0


@dataclass(frozen=True, slots=True)
class Override:
    kind: str
    item_id: str
    changed_by: int | None
    changed_at: str


async def overrides(conn: Connection) -> dict[tuple[str, str], Override]:
    """(kind, item) -> who last moved it and when (items never moved are absent)."""
    rows = await fetchall(conn, "SELECT item_kind, item_id, changed_by, changed_at FROM schedule_overrides")
    return {(r["item_kind"], r["item_id"]): Override(r["item_kind"], r["item_id"], r["changed_by"],
                                                     r["changed_at"]) for r in rows}


async def planned_reminders(conn: Connection) -> dict[tuple[str, str], int]:
    """(kind, item) -> reminders still planned for it (all slots, all people)."""
    rows = await fetchall(conn, "SELECT kind, ref, COUNT(*) AS n FROM reminders WHERE state = 'planned'"
                                " GROUP BY kind, ref")
    return {(r["kind"], r["ref"]): int(r["n"]) for r in rows}
