"""Work handed in for a tutor's review (team homework, videos), with its whole history.

Each send is a new version for the same owner (a team or a person); only the latest
version can be reviewed, so an old "accept" button cannot touch a newer version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert

OPEN_FOR_REVIEW = "submitted"


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    stage_id: str
    owner: str
    team_id: int | None
    person_id: int
    version: int
    items: list[dict[str, Any]]
    minutes: float | None
    status: str
    comment: str | None
    reviewed_by: int | None
    created_at: str
    reviewed_at: str | None


def team_owner(team_id: int) -> str:
    return f"t:{team_id}"


def person_owner(person_id: int) -> str:
    return f"p:{person_id}"


def _submission(row: Row) -> Submission:
    return Submission(
        row["id"], row["stage_id"], row["owner"], row["team_id"], row["person_id"], row["version"],
        json.loads(row["items"]), row["minutes"], row["status"], row["comment"],
        row["reviewed_by"], row["created_at"], row["reviewed_at"],
    )


async def create(
    conn: Connection,
    *,
    stage_id: str,
    owner: str,
    team_id: int | None,
    person_id: int,
    items: list[dict[str, Any]],
    minutes: float | None,
    now: datetime,
) -> int:
    """A new version; a version still waiting for review is superseded by it."""
    await conn.execute(
        "UPDATE submissions SET status = 'superseded' WHERE stage_id = ? AND owner = ?"
        " AND status = 'submitted'",
        (stage_id, owner),
    )
    return await insert(
        conn,
        "INSERT INTO submissions(stage_id, owner, team_id, person_id, version, items, minutes,"
        " status, created_at) VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(version), 0) + 1"
        " FROM submissions WHERE stage_id = ? AND owner = ?), ?, ?, 'submitted', ?)",
        (stage_id, owner, team_id, person_id, stage_id, owner,
         json.dumps(items, ensure_ascii=False), minutes, to_iso(now)),
    )


async def get(conn: Connection, submission_id: int) -> Submission | None:
    row = await fetchone(conn, "SELECT * FROM submissions WHERE id = ?", (submission_id,))
    return _submission(row) if row else None


async def latest(conn: Connection, stage_id: str, owner: str) -> Submission | None:
    row = await fetchone(
        conn,
        "SELECT * FROM submissions WHERE stage_id = ? AND owner = ? ORDER BY version DESC LIMIT 1",
        (stage_id, owner),
    )
    return _submission(row) if row else None


async def history(conn: Connection, stage_id: str, owner: str) -> list[Submission]:
    rows = await fetchall(
        conn, "SELECT * FROM submissions WHERE stage_id = ? AND owner = ? ORDER BY version",
        (stage_id, owner),
    )
    return [_submission(r) for r in rows]


async def review(
    conn: Connection,
    submission_id: int,
    status: str,
    reviewer: int,
    now: datetime,
    comment: str | None = None,
) -> bool:
    """Accept or return a version still waiting for review; False if it no longer is."""
    if status not in ("accepted", "returned"):
        raise ValueError(status)
    cur = await conn.execute(
        "UPDATE submissions SET status = ?, reviewed_by = ?, reviewed_at = ?, comment = ?"
        " WHERE id = ? AND status = 'submitted'",
        (status, reviewer, to_iso(now), comment, submission_id),
    )
    return cur.rowcount > 0


async def waiting_for_tutor(conn: Connection, tutor_id: int) -> list[Submission]:
    """Versions waiting for review from this tutor's teams and their members, oldest first."""
    rows = await fetchall(
        conn,
        "SELECT s.* FROM submissions s LEFT JOIN team_members m ON m.person_id = s.person_id"
        " LEFT JOIN teams t ON t.id = COALESCE(s.team_id, m.team_id)"
        " WHERE s.status = 'submitted' AND t.tutor_id = ? ORDER BY s.created_at, s.id",
        (tutor_id,),
    )
    return [_submission(r) for r in rows]
