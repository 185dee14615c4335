"""Completion per person: has the intern done every stage the programme's criteria name?

`completion(conn, programme, person_id)` is what certificates and exports read; the
moment all criteria are met is recorded once in `completions` with the criteria checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from scenarios.models import Programme, Stage
from scenarios.routes import completion_for
from storage import levels, stages
from storage.connection import Connection
from storage.db import fetchone


@dataclass(frozen=True, slots=True)
class Completion:
    person_id: int
    complete: bool
    done: list[str]
    missing: list[str]
    completed_at: str | None


def passed(stage: Stage, status: str | None) -> bool:
    """Reviewed work must be accepted; a form counts once it is sent."""
    if status in ("accepted", "done", "skipped"):
        return True
    reviewed = stage.kind == "application" or stage.submission is not None
    return status == "submitted" and not reviewed


async def completion(conn: Connection, programme: Programme, person_id: int) -> Completion:
    statuses = await stages.statuses_of(conn, person_id)
    needed = completion_for(programme, await levels.level_of(conn, person_id))  # their route's
    done = [s for s in needed if passed(programme.stage(s), statuses.get(s))]
    missing = [s for s in needed if s not in done]
    row = await fetchone(
        conn, "SELECT completed_at FROM completions WHERE person_id = ?", (person_id,)
    )
    return Completion(person_id, not missing, done, missing, row["completed_at"] if row else None)


async def record_if_complete(
    conn: Connection, programme: Programme, person_id: int, now: datetime
) -> bool:
    """Record the completion the first time every criterion is met; True only that time."""
    state = await completion(conn, programme, person_id)
    if not state.complete or state.completed_at is not None:
        return False
    cur = await conn.execute(
        "INSERT OR IGNORE INTO completions(person_id, completed_at, criteria) VALUES (?, ?, ?)",
        (person_id, to_iso(now), json.dumps(state.done)),
    )
    return cur.rowcount > 0
