"""Where each person stands in each form, with their answers so far."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone


@dataclass(slots=True)
class FormProgress:
    person_id: int
    form_id: str
    status: str = "in_progress"
    step: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at: str | None = None


async def get(conn: Connection, person_id: int, form_id: str) -> FormProgress | None:
    row = await fetchone(
        conn,
        "SELECT * FROM form_progress WHERE person_id = ? AND form_id = ?",
        (person_id, form_id),
    )
    if row is None:
        return None
    return FormProgress(
        row["person_id"], row["form_id"], row["status"], row["step"],
        json.loads(row["answers"]), row["submitted_at"],
    )


async def save(conn: Connection, progress: FormProgress, now: datetime) -> None:
    stamp = to_iso(now)
    submitted = stamp if progress.status == "submitted" and not progress.submitted_at else (
        progress.submitted_at
    )
    progress.submitted_at = submitted
    await conn.execute(
        "INSERT INTO form_progress(person_id, form_id, status, step, answers, started_at,"
        " updated_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id, form_id) DO UPDATE SET status = excluded.status,"
        " step = excluded.step, answers = excluded.answers, updated_at = excluded.updated_at,"
        " submitted_at = excluded.submitted_at",
        (
            progress.person_id, progress.form_id, progress.status, progress.step,
            json.dumps(progress.answers, ensure_ascii=False), stamp, stamp, submitted,
        ),
    )


async def delete(conn: Connection, person_id: int, form_id: str) -> None:
    await conn.execute(
        "DELETE FROM form_progress WHERE person_id = ? AND form_id = ?", (person_id, form_id)
    )
