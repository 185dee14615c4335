"""Who is in the cohort: active interns, with their latest application answers.

Teams, audiences, progress and exports all start from "the interns who are not
deleted"; one place keeps that definition.
"""

from __future__ import annotations

import json
from typing import Any

from storage.connection import Connection
from storage.db import fetchall

_INTERNS = (
    "SELECT p.id FROM persons p JOIN roles r ON r.person_id = p.id AND r.role = 'intern'"
    " WHERE p.deleted_at IS NULL"
)


async def interns(conn: Connection) -> list[int]:
    return [r["id"] for r in await fetchall(conn, _INTERNS + " ORDER BY p.id")]


async def interns_without_team(conn: Connection) -> list[int]:
    rows = await fetchall(
        conn,
        _INTERNS + " AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.person_id = p.id)"
        " ORDER BY p.id",
    )
    return [r["id"] for r in rows]


async def answers(conn: Connection, person_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each person's latest application answers (empty when they have none)."""
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    rows = await fetchall(
        conn,
        "SELECT a.person_id, a.answers FROM applications a WHERE a.id IN"
        f" (SELECT MAX(id) FROM applications WHERE person_id IN ({marks}) GROUP BY person_id)",
        person_ids,
    )
    found = {r["person_id"]: json.loads(r["answers"]) for r in rows}
    return {pid: found.get(pid, {}) for pid in person_ids}

