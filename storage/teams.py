"""Teams, their members and their tutor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    tutor_id: int | None


def _team(row: Row) -> Team:
    return Team(row["id"], row["name"], row["tutor_id"])


async def create(
    conn: Connection, name: str, now: datetime, tutor_id: int | None = None
) -> int:
    return await insert(
        conn, "INSERT INTO teams(name, tutor_id, created_at) VALUES (?, ?, ?)",
        (name, tutor_id, to_iso(now)),
    )


async def get(conn: Connection, team_id: int) -> Team | None:
    row = await fetchone(conn, "SELECT * FROM teams WHERE id = ?", (team_id,))
    return _team(row) if row else None


async def all_teams(conn: Connection) -> list[Team]:
    return [_team(r) for r in await fetchall(conn, "SELECT * FROM teams ORDER BY id")]


async def set_tutor(conn: Connection, team_id: int, tutor_id: int | None) -> None:
    await conn.execute("UPDATE teams SET tutor_id = ? WHERE id = ?", (tutor_id, team_id))


async def put_member(
    conn: Connection, team_id: int, person_id: int, now: datetime
) -> None:
    """Add a person to a team, moving them out of any other (a person is in one team)."""
    await conn.execute(
        "INSERT INTO team_members(person_id, team_id, joined_at) VALUES (?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET team_id = excluded.team_id,"
        " joined_at = excluded.joined_at",
        (person_id, team_id, to_iso(now)),
    )


async def remove_member(conn: Connection, person_id: int) -> None:
    await conn.execute("DELETE FROM team_members WHERE person_id = ?", (person_id,))


async def team_of(conn: Connection, person_id: int) -> Team | None:
    row = await fetchone(
        conn,
        "SELECT t.* FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.person_id = ?",
        (person_id,),
    )
    return _team(row) if row else None


async def members(conn: Connection, team_id: int) -> list[int]:
    rows = await fetchall(
        conn,
        "SELECT m.person_id FROM team_members m JOIN persons p ON p.id = m.person_id"
        " WHERE m.team_id = ? AND p.deleted_at IS NULL ORDER BY m.person_id",
        (team_id,),
    )
    return [r["person_id"] for r in rows]


async def tutor_of(conn: Connection, person_id: int) -> int | None:
    team = await team_of(conn, person_id)
    return team.tutor_id if team else None


async def teams_of_tutor(conn: Connection, tutor_id: int) -> list[Team]:
    rows = await fetchall(conn, "SELECT * FROM teams WHERE tutor_id = ? ORDER BY id", (tutor_id,))
    return [_team(r) for r in rows]


async def tutors_team_members(conn: Connection, tutor_id: int) -> set[int]:
    """Everyone a tutor may see: the members of the tutor's own teams, nobody else."""
    rows = await fetchall(
        conn,
        "SELECT m.person_id FROM team_members m JOIN teams t ON t.id = m.team_id"
        " WHERE t.tutor_id = ?",
        (tutor_id,),
    )
    return {r["person_id"] for r in rows}
