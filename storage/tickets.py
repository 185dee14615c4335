"""Tickets: interns' questions to their tutor, and the conversation inside each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from bot.messages import FileInfo
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert

STATUSES = ("open", "taken", "answered", "closed", "escalated")
KEY_PREFIX = "tk:"
"""Every outbox key of a ticket message starts with `tk:<ticket id>:` (see ticket_of_message)."""


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    intern_id: int
    team_id: int | None
    tutor_id: int | None
    status: str
    stage_id: str | None
    step: str | None
    question: str
    created_at: datetime
    assigned_at: datetime
    waiting_since: datetime | None
    taken_at: datetime | None
    first_answer_at: datetime | None
    escalation_reason: str | None
    escalations: int


@dataclass(frozen=True, slots=True)
class TicketMessage:
    id: int
    ticket_id: int
    author_id: int | None
    author_role: str
    text: str
    file: FileInfo | None
    file_platform: str | None


def _at(value: str | None) -> datetime | None:
    return from_iso(value) if value else None


def _ticket(row: Row) -> Ticket:
    return Ticket(
        row["id"], row["intern_id"], row["team_id"], row["tutor_id"], row["status"],
        row["stage_id"], row["step"], row["question"], from_iso(row["created_at"]),
        from_iso(row["assigned_at"]), _at(row["waiting_since"]), _at(row["taken_at"]),
        _at(row["first_answer_at"]), row["escalation_reason"], row["escalations"],
    )


def _message(row: Row) -> TicketMessage:
    file = None
    if row["file_id"]:
        file = FileInfo(kind=row["file_kind"], file_id=row["file_id"], name=row["file_name"],
                        mime=row["file_mime"])
    return TicketMessage(row["id"], row["ticket_id"], row["author_id"], row["author_role"],
                         row["text"], file, row["file_platform"])


async def create(
    conn: Connection,
    *,
    intern_id: int,
    team_id: int | None,
    tutor_id: int | None,
    stage_id: str | None,
    step: str | None,
    question: str,
    now: datetime,
) -> int:
    stamp = to_iso(now)
    return await insert(
        conn,
        "INSERT INTO tickets(intern_id, team_id, tutor_id, status, stage_id, step, question,"
        " created_at, assigned_at, waiting_since) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)",
        (intern_id, team_id, tutor_id, stage_id, step, question, stamp, stamp, stamp),
    )


async def get(conn: Connection, ticket_id: int) -> Ticket | None:
    row = await fetchone(conn, "SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    return _ticket(row) if row else None


async def add_message(
    conn: Connection,
    ticket_id: int,
    author_id: int,
    author_role: str,
    text: str,
    file: FileInfo | None,
    platform: str,
    now: datetime,
) -> int:
    return await insert(
        conn,
        "INSERT INTO ticket_messages(ticket_id, author_id, author_role, text, file_kind,"
        " file_id, file_name, file_mime, file_platform, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id, author_id, author_role, text,
            file.kind if file else None, file.file_id if file else None,
            file.name if file else None, file.mime if file else None,
            platform if file else None, to_iso(now),
        ),
    )


async def messages(conn: Connection, ticket_id: int) -> list[TicketMessage]:
    rows = await fetchall(
        conn, "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket_id,)
    )
    return [_message(r) for r in rows]


async def first_message(conn: Connection, ticket_id: int) -> TicketMessage | None:
    row = await fetchone(
        conn, "SELECT * FROM ticket_messages WHERE ticket_id = ? ORDER BY id LIMIT 1", (ticket_id,)
    )
    return _message(row) if row else None


# --- state changes: each guards on the current status, so a stale button does nothing ----


async def take(conn: Connection, ticket_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE tickets SET status = 'taken', taken_at = COALESCE(taken_at, ?)"
        " WHERE id = ? AND status IN ('open', 'escalated')",
        (to_iso(now), ticket_id),
    )
    return cur.rowcount > 0


async def answered(conn: Connection, ticket_id: int, now: datetime) -> bool:
    stamp = to_iso(now)
    cur = await conn.execute(
        "UPDATE tickets SET status = 'answered', waiting_since = NULL,"
        " taken_at = COALESCE(taken_at, ?), first_answer_at = COALESCE(first_answer_at, ?)"
        " WHERE id = ? AND status IN ('open', 'taken', 'escalated', 'answered')",
        (stamp, stamp, ticket_id),
    )
    return cur.rowcount > 0


async def follow_up(conn: Connection, ticket_id: int, now: datetime) -> bool:
    """The intern wrote again: the ticket waits for an answer once more (keeps its tutor)."""
    cur = await conn.execute(
        "UPDATE tickets SET waiting_since = COALESCE(waiting_since, ?), closed_at = NULL,"
        " status = CASE WHEN status IN ('answered', 'closed')"
        "   THEN (CASE WHEN taken_at IS NULL THEN 'open' ELSE 'taken' END) ELSE status END,"
        " assigned_at = CASE WHEN status = 'closed' THEN ? ELSE assigned_at END"
        " WHERE id = ?",
        (to_iso(now), to_iso(now), ticket_id),
    )
    return cur.rowcount > 0


async def close(conn: Connection, ticket_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE tickets SET status = 'closed', closed_at = ?, waiting_since = NULL"
        " WHERE id = ? AND status != 'closed'",
        (to_iso(now), ticket_id),
    )
    return cur.rowcount > 0


async def escalate(
    conn: Connection, ticket_id: int, reason: str, now: datetime
) -> int | None:
    """Mark a ticket escalated; return its escalation number (None if it was not active)."""
    row = await fetchone(
        conn,
        "UPDATE tickets SET status = 'escalated', escalated_at = ?, escalation_reason = ?,"
        " escalations = escalations + 1 WHERE id = ? AND status IN ('open', 'taken')"
        " RETURNING escalations",
        (to_iso(now), reason, ticket_id),
    )
    return row["escalations"] if row else None


async def reassign(
    conn: Connection, ticket_id: int, tutor_id: int, now: datetime
) -> bool:
    """A new tutor: the ticket is open again and the "not taken" clock restarts."""
    cur = await conn.execute(
        "UPDATE tickets SET tutor_id = ?, status = CASE WHEN status = 'answered'"
        " THEN 'answered' ELSE 'open' END, assigned_at = ?, taken_at = NULL,"
        " escalation_reason = NULL WHERE id = ? AND status != 'closed'",
        (tutor_id, to_iso(now), ticket_id),
    )
    return cur.rowcount > 0


# --- lists ----------------------------------------------------------------------------


async def move_intern(conn: Connection, intern_id: int, team_id: int) -> list[Ticket]:
    """The intern changed team: their unclosed tickets belong to the new one. Returns those
    still with a tutor (not escalated), for the caller to hand to the new team's tutor."""
    await conn.execute(
        "UPDATE tickets SET team_id = ? WHERE intern_id = ? AND status != 'closed'",
        (team_id, intern_id),
    )
    return await _with_tutor(conn, "intern_id", intern_id)


async def unclosed_of_team(conn: Connection, team_id: int) -> list[Ticket]:
    """Tickets of a team still with its tutor (not closed, not with the coordinators)."""
    return await _with_tutor(conn, "team_id", team_id)


async def unclosed_of_tutor(conn: Connection, tutor_id: int) -> list[Ticket]:
    return await _with_tutor(conn, "tutor_id", tutor_id)


async def _with_tutor(conn: Connection, column: str, value: int) -> list[Ticket]:
    """Unclosed tickets not with the coordinators, of one intern, team or tutor, oldest first."""
    rows = await fetchall(
        conn,
        f"SELECT * FROM tickets WHERE {column} = ? AND status IN ('open', 'taken', 'answered')"
        " ORDER BY created_at, id",
        (value,),
    )
    return [_ticket(r) for r in rows]


async def of_tutor(conn: Connection, tutor_id: int) -> list[Ticket]:
    """A tutor's queue: what still needs them, oldest first."""
    rows = await fetchall(
        conn,
        "SELECT * FROM tickets WHERE tutor_id = ? AND status IN ('open', 'taken', 'escalated')"
        " ORDER BY created_at, id",
        (tutor_id,),
    )
    return [_ticket(r) for r in rows]


async def active(conn: Connection) -> list[Ticket]:
    """Everything not yet answered: escalated first, then oldest first."""
    rows = await fetchall(
        conn,
        "SELECT * FROM tickets WHERE status IN ('open', 'taken', 'escalated')"
        " ORDER BY status != 'escalated', created_at, id",
    )
    return [_ticket(r) for r in rows]


async def escalation_candidates(
    conn: Connection, assigned_before: datetime, waiting_before: datetime
) -> list[Ticket]:
    """Not yet escalated nor answered, and past the plain-hours deadline of either clock.

    A working-hours deadline is never earlier than the plain one, so this cheap filter
    loses nothing; the caller applies the exact rule to the few rows it returns.
    """
    rows = await fetchall(
        conn,
        "SELECT * FROM tickets WHERE status IN ('open', 'taken') AND (tutor_id IS NULL"
        " OR waiting_since <= ? OR (status = 'open' AND assigned_at <= ?)) ORDER BY id",
        (to_iso(waiting_before), to_iso(assigned_before)),
    )
    return [_ticket(r) for r in rows]


async def count_unclosed_of_intern(conn: Connection, intern_id: int) -> int:
    row = await fetchone(
        conn,
        "SELECT COUNT(*) AS n FROM tickets WHERE intern_id = ?"
        " AND status IN ('open', 'taken', 'escalated', 'answered')",
        (intern_id,),
    )
    return int(row["n"]) if row else 0


async def first_answer_seconds(conn: Connection) -> list[float]:
    rows = await fetchall(
        conn,
        "SELECT ROUND((julianday(first_answer_at) - julianday(created_at)) * 86400) AS s"
        " FROM tickets WHERE first_answer_at IS NOT NULL ORDER BY s",
    )
    return [float(r["s"]) for r in rows]


async def counts_by_status(conn: Connection) -> dict[str, int]:
    rows = await fetchall(conn, "SELECT status, COUNT(*) AS n FROM tickets GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def counts_by_tutor(conn: Connection) -> list[tuple[int | None, str, int]]:
    rows = await fetchall(
        conn,
        "SELECT tutor_id, status, COUNT(*) AS n FROM tickets"
        " WHERE status IN ('open', 'taken', 'escalated') GROUP BY tutor_id, status"
        " ORDER BY tutor_id, status",
    )
    return [(r["tutor_id"], r["status"], r["n"]) for r in rows]


async def ticket_of_message(
    conn: Connection, platform: str, chat_ref: str, person_id: int, message_ref: str
) -> int | None:
    """The ticket a sent message belonged to, found by the messenger's message id.

    Message ids are only unique within a chat, so the chat and the recipient are part of
    the match; only messages with a ticket key qualify.
    """
    row = await fetchone(
        conn,
        "SELECT idem_key FROM outbox WHERE platform = ? AND chat_ref = ? AND message_ref = ?"
        " AND person_id = ? AND idem_key LIKE 'tk:%' ORDER BY id DESC LIMIT 1",
        (platform, chat_ref, message_ref, person_id),
    )
    if row is None:
        return None
    head = row["idem_key"][len(KEY_PREFIX):].split(":", 1)[0]
    return int(head) if head.isdigit() else None


async def count_waiting(conn: Connection, intern_ids: set[int]) -> int:
    """Tickets of these interns still waiting for staff (answered ones wait for the intern)."""
    if not intern_ids:
        return 0
    marks = ",".join("?" * len(intern_ids))
    row = await fetchone(
        conn,
        f"SELECT COUNT(*) AS n FROM tickets WHERE status IN ('open', 'taken', 'escalated')"
        f" AND intern_id IN ({marks})",
        sorted(intern_ids),
    )
    return int(row["n"]) if row else 0
