"""How a person is named to coordinators and tutors: one helper every tool shares."""

from __future__ import annotations

from storage.connection import Connection
from storage.db import fetchall


async def names(conn: Connection, person_ids: list[int] | set[int]) -> dict[int, str]:
    """Full name from the application, else the messenger's display name, else `#id`."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn,
        "SELECT p.id, p.full_name, (SELECT a.display_name FROM accounts a WHERE a.person_id = p.id"
        f" ORDER BY a.last_seen_at DESC LIMIT 1) AS shown FROM persons p WHERE p.id IN ({marks})",
        ids,
    )
    found = {r["id"]: r["full_name"] or r["shown"] or f"#{r['id']}" for r in rows}
    return {i: found.get(i, f"#{i}") for i in ids}


async def name(conn: Connection, person_id: int) -> str:
    return (await names(conn, [person_id]))[person_id]
