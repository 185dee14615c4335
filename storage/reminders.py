"""Reminder rows: what to remind whom of, when, and what became of it.

The tick only ever reads planned rows that are due (a partial index), so its cost
does not grow with the reminders already sent. Planning is an upsert keyed by
(person, kind, ref, slot): re-planning after a coordinator moves a deadline updates
the same rows, and a row whose moment changed is planned again even if it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone
from storage.stages import FINISHED

KINDS = ("event", "deadline", "silence", "overdue")
STATES = ("planned", "sent", "skipped", "stale", "cancelled")
KEY_PREFIX = "rem:"
"""Every outbox key of a reminder message starts with it (the coordinator's /schedule counts them)."""


@dataclass(frozen=True, slots=True)
class Planned:
    """A reminder to store: `moment` is what it is about, `due_at` when to act on it."""

    person_id: int
    kind: str
    ref: str
    slot: str
    moment: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    person_id: int
    kind: str
    ref: str
    slot: str
    moment: datetime
    due_at: datetime
    state: str


def _row(row: Row) -> Reminder:
    return Reminder(
        row["id"], row["person_id"], row["kind"], row["ref"], row["slot"],
        from_iso(row["moment"]), from_iso(row["due_at"]), row["state"],
    )


async def upsert(conn: Connection, items: list[Planned]) -> None:
    """Store a plan; a row whose moment moved is planned afresh, others keep their state."""
    await conn.executemany(
        "INSERT INTO reminders(person_id, kind, ref, slot, moment, due_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id, kind, ref, slot) DO UPDATE SET"
        " state = CASE WHEN reminders.moment = excluded.moment THEN reminders.state"
        " ELSE 'planned' END,"
        " due_at = CASE WHEN reminders.moment = excluded.moment AND reminders.state != 'planned'"
        " THEN reminders.due_at ELSE excluded.due_at END,"
        " moment = excluded.moment, note = NULL",
        [
            (p.person_id, p.kind, p.ref, p.slot, to_iso(p.moment), to_iso(p.due_at))
            for p in items
        ],
    )


async def due(conn: Connection, now: datetime, limit: int = 500) -> list[Reminder]:
    rows = await fetchall(
        conn,
        "SELECT * FROM reminders WHERE state = 'planned' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
        (to_iso(now), limit),
    )
    return [_row(r) for r in rows]


async def finish(
    conn: Connection, reminder_id: int, state: str, now: datetime, note: str = ""
) -> None:
    if state not in STATES or state == "planned":
        raise ValueError(state)
    await conn.execute(
        "UPDATE reminders SET state = ?, done_at = ?, note = ? WHERE id = ?",
        (state, to_iso(now), note or None, reminder_id),
    )


async def reschedule(conn: Connection, reminder_id: int, due_at: datetime) -> None:
    await conn.execute(
        "UPDATE reminders SET due_at = ? WHERE id = ?", (to_iso(due_at), reminder_id)
    )


async def of_person(conn: Connection, person_id: int) -> list[Reminder]:
    rows = await fetchall(
        conn, "SELECT * FROM reminders WHERE person_id = ? ORDER BY due_at, id", (person_id,)
    )
    return [_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    ref: str
    slot: str
    first_due: datetime
    last_due: datetime
    people: int


async def planned_lines(conn: Connection) -> list[Line]:
    """Every planned reminder, one line per (kind, item, slot), soonest first.

    A reminder "48 h before" is due at one moment for everyone, while "the morning of the
    deadline" is due at 09:00 in each intern's zone: the line carries the first and last."""
    rows = await fetchall(
        conn,
        "SELECT kind, ref, slot, MIN(due_at) AS first_due, MAX(due_at) AS last_due,"
        " COUNT(*) AS n FROM reminders WHERE state = 'planned'"
        " GROUP BY kind, ref, slot ORDER BY first_due, kind, ref, slot",
    )
    return [
        Line(r["kind"], r["ref"], r["slot"], from_iso(r["first_due"]), from_iso(r["last_due"]), r["n"])
        for r in rows
    ]


async def unplanned_interns(conn: Connection, limit: int = 200) -> list[int]:
    """Interns with no plan yet (just approved, or given the role) or a new time zone."""
    rows = await fetchall(
        conn,
        "SELECT r.person_id FROM roles r JOIN persons p ON p.id = r.person_id"
        " LEFT JOIN reminder_plans rp ON rp.person_id = r.person_id"
        " WHERE r.role = 'intern' AND p.deleted_at IS NULL"
        " AND (rp.person_id IS NULL OR rp.timezone IS NOT p.timezone)"
        " ORDER BY r.person_id LIMIT ?",
        (limit,),
    )
    return [r["person_id"] for r in rows]


async def planned_people(conn: Connection) -> list[int]:
    rows = await fetchall(conn, "SELECT person_id FROM reminder_plans ORDER BY person_id")
    return [r["person_id"] for r in rows]


async def mark_planned(
    conn: Connection, person_id: int, timezone: str | None, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO reminder_plans(person_id, timezone, planned_at) VALUES (?, ?, ?)"
        " ON CONFLICT (person_id) DO UPDATE SET timezone = excluded.timezone,"
        " planned_at = excluded.planned_at",
        (person_id, timezone, to_iso(now)),
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    timezone: str | None
    active: bool
    """Still an intern and not deleted: otherwise their reminders are cancelled."""


async def recipients(conn: Connection, person_ids: list[int]) -> dict[int, Recipient]:
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    rows = await fetchall(
        conn,
        "SELECT p.id, p.timezone, p.deleted_at IS NULL AND EXISTS(SELECT 1 FROM roles r"
        " WHERE r.person_id = p.id AND r.role = 'intern') AS active"
        f" FROM persons p WHERE p.id IN ({marks})",
        person_ids,
    )
    return {r["id"]: Recipient(r["timezone"], bool(r["active"])) for r in rows}


async def zones(conn: Connection, person_ids: list[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await fetchall(
            conn, f"SELECT id, timezone FROM persons WHERE id IN ({marks})", chunk
        )
        found.update((r["id"], r["timezone"]) for r in rows)
    return found


async def last_seen(conn: Connection, person_id: int) -> datetime | None:
    row = await fetchone(
        conn, "SELECT MAX(last_seen_at) AS seen FROM accounts WHERE person_id = ?", (person_id,)
    )
    return from_iso(row["seen"]) if row and row["seen"] else None


async def schedule_changes(conn: Connection, since: str) -> list[tuple[str, str, str]]:
    """Timetable overrides changed after `since` (an ISO stamp): (kind, item id, changed_at)."""
    rows = await fetchall(
        conn,
        "SELECT item_kind, item_id, changed_at FROM schedule_overrides WHERE changed_at > ?",
        (since,),
    )
    return [(r["item_kind"], r["item_id"], r["changed_at"]) for r in rows]


async def resolve_settled(conn: Connection, now: datetime) -> int:
    """Close the overdue/silent flags this feature raised once their reason is gone.

    Overdue: the stage got finished after all. Silent: the intern has written since.
    So a tutor's list of who needs attention stays true without anyone tidying it.
    """
    finished = ",".join(f"'{s}'" for s in FINISHED)
    cur = await conn.execute(
        "UPDATE attention SET resolved_at = ? WHERE resolved_at IS NULL AND ("
        " (kind IN ('overdue', 'silent') AND EXISTS (SELECT 1 FROM stage_status s"
        f" WHERE s.person_id = attention.person_id AND s.stage_id = attention.ref"
        f" AND s.status IN ({finished})))"
        " OR (kind = 'silent' AND EXISTS (SELECT 1 FROM accounts a"
        " WHERE a.person_id = attention.person_id AND a.last_seen_at > attention.created_at)))",
        (to_iso(now),),
    )
    return cur.rowcount
