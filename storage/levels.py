"""Interns' levels: the entry and exit sittings of the diagnostic and a coordinator's changes.

`level` is what the route follows. A sitting of the entry diagnostic sets it (and
start_*); the exit sitting only records end_* (growth is measured, the route already
walked); a coordinator's change sets `level` and leaves the sittings as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone


@dataclass(frozen=True, slots=True)
class LevelRow:
    person_id: int
    level: str | None
    start_level: str | None
    start_score: int | None
    start_at: str | None
    end_level: str | None
    end_score: int | None
    end_at: str | None
    changed_by: int | None


def _row(r: Row) -> LevelRow:
    return LevelRow(r["person_id"], r["level"], r["start_level"], r["start_score"], r["start_at"],
                    r["end_level"], r["end_score"], r["end_at"], r["changed_by"])


async def get(conn: Connection, person_id: int) -> LevelRow | None:
    row = await fetchone(conn, "SELECT * FROM intern_levels WHERE person_id = ?", (person_id,))
    return _row(row) if row else None


async def level_of(conn: Connection, person_id: int) -> str | None:
    """The level the person's route follows (None: not diagnosed yet)."""
    row = await fetchone(conn, "SELECT level FROM intern_levels WHERE person_id = ?", (person_id,))
    return row["level"] if row else None


async def of_people(conn: Connection, person_ids: list[int] | None = None) -> dict[int, LevelRow]:
    rows = await fetchall(conn, "SELECT * FROM intern_levels ORDER BY person_id")
    wanted = set(person_ids) if person_ids is not None else None
    return {r["person_id"]: _row(r) for r in rows if wanted is None or r["person_id"] in wanted}


async def _history(conn: Connection, person_id: int, kind: str, level: str,
                   score: int | None, by: int | None, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO level_history(person_id, kind, level, score, by_person, at) VALUES (?, ?, ?, ?, ?, ?)",
        (person_id, kind, level, score, by, to_iso(now)),
    )


async def record_start(conn: Connection, person_id: int, level: str, score: int,
                       now: datetime) -> None:
    """The entry sitting: sets the route's level too (a retake before the end replaces it)."""
    await conn.execute(
        "INSERT INTO intern_levels(person_id, level, start_level, start_score, start_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET level = excluded.level,"
        " start_level = excluded.start_level, start_score = excluded.start_score,"
        " start_at = excluded.start_at",
        (person_id, level, level, score, to_iso(now)),
    )
    await _history(conn, person_id, "start", level, score, person_id, now)


async def record_end(conn: Connection, person_id: int, level: str, score: int,
                     now: datetime) -> None:
    await conn.execute(
        "INSERT INTO intern_levels(person_id, end_level, end_score, end_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET end_level = excluded.end_level,"
        " end_score = excluded.end_score, end_at = excluded.end_at",
        (person_id, level, score, to_iso(now)),
    )
    await _history(conn, person_id, "end", level, score, person_id, now)


async def set_level(conn: Connection, person_id: int, level: str, by: int,
                    now: datetime) -> bool:
    """A coordinator's choice of the route's level; False when it already was that level."""
    if await level_of(conn, person_id) == level:
        return False
    await conn.execute(
        "INSERT INTO intern_levels(person_id, level, changed_by, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET level = excluded.level,"
        " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
        (person_id, level, by, to_iso(now)),
    )
    await _history(conn, person_id, "set", level, None, by, now)
    return True
