"""What a person is in the middle of, so the next message is read in that light."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone


@dataclass(slots=True)
class Dialog:
    kind: str
    ref: str = ""
    data: dict[str, Any] = field(default_factory=dict)


async def get(conn: Connection, person_id: int) -> Dialog | None:
    row = await fetchone(conn, "SELECT * FROM dialog_state WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    return Dialog(row["kind"], row["ref"], json.loads(row["data"]))


async def put(conn: Connection, person_id: int, dialog: Dialog, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO dialog_state(person_id, kind, ref, data, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET kind = excluded.kind, ref = excluded.ref,"
        " data = excluded.data, updated_at = excluded.updated_at",
        (person_id, dialog.kind, dialog.ref, json.dumps(dialog.data, ensure_ascii=False),
         to_iso(now)),
    )


async def clear(conn: Connection, person_id: int) -> None:
    await conn.execute("DELETE FROM dialog_state WHERE person_id = ?", (person_id,))
