"""The outbox: messages written before they are sent, so none is lost or sent twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from bot.messages import Reply
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone
from storage.persons import Account


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    idem_key: str
    person_id: int | None
    platform: str
    chat_ref: str
    kind: str
    reply: Reply
    attempts: int
    status: str
    body: str = ""
    """The reply as stored: rows with the same body can go out in one batch call (VK)."""
    expires_at: datetime | None = None


def _row(row: Row) -> OutboxRow:
    expires = row["expires_at"]
    return OutboxRow(
        row["id"], row["idem_key"], row["person_id"], row["platform"], row["chat_ref"],
        row["kind"], Reply.from_json(json.loads(row["body"])), row["attempts"], row["status"],
        row["body"], from_iso(expires) if expires else None,
    )


_INSERT = (
    "INSERT INTO outbox(idem_key, person_id, platform, chat_ref, kind, body, not_before,"
    " created_at, expires_at, claimed_by, claimed_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (idem_key) DO NOTHING RETURNING id"
)


async def enqueue(
    conn: Connection,
    *,
    idem_key: str,
    person_id: int | None,
    platform: str,
    chat_ref: str,
    reply: Reply,
    now: datetime,
    kind: str = "reply",
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> int | None:
    """Write a message once per key; a second write with the same key is a no-op.

    `expires_at`: past this moment the message is useless (a reminder of an event that
    has begun) and delivery drops it instead of sending it late.
    """
    stamp = to_iso(now)
    rows = await conn.execute_fetchall(_INSERT, (
        idem_key, person_id, platform, chat_ref, kind,
        json.dumps(reply.to_json(), ensure_ascii=False),
        to_iso(not_before) if not_before else stamp, stamp,
        to_iso(expires_at) if expires_at else None, None, None,
    ))
    return next((int(r[0]) for r in rows), None)


async def enqueue_claimed(
    conn: Connection, idem_key: str, to: Account, reply: Reply, now: datetime,
    claim: tuple[str, datetime],
) -> OutboxRow | None:
    """A reply to the update in hand, to `to`'s chat, written already claimed by this
    instance (`claim`: its name and until when), which sends it the moment the transaction
    commits, as `claim` would, without a statement of its own: one round trip less per
    update on PostgreSQL. None if the key was written before."""
    stamp = to_iso(now)
    body = json.dumps(reply.to_json(), ensure_ascii=False)
    rows = await conn.execute_fetchall(_INSERT, (
        idem_key, to.person_id, to.platform, to.chat_ref, "reply", body, stamp, stamp, None,
        claim[0], to_iso(claim[1]),
    ))
    if not rows:
        return None
    return OutboxRow(int(rows[0][0]), idem_key, to.person_id, to.platform, to.chat_ref, "reply",
                     reply, 0, "pending", body)


async def get(conn: Connection, row_id: int) -> OutboxRow | None:
    row = await fetchone(conn, "SELECT * FROM outbox WHERE id = ?", (row_id,))
    return _row(row) if row else None


async def by_ids(conn: Connection, ids: list[int]) -> list[OutboxRow]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn, f"SELECT * FROM outbox WHERE id IN ({marks}) AND status = 'pending' ORDER BY id",
        ids,
    )
    return [_row(r) for r in rows]


async def claim(
    conn: Connection, ids: list[int], claimer: str, until: datetime
) -> list[OutboxRow]:
    """Claim the rows a handler just wrote, in its own transaction, for this instance to
    send at once: another instance's outbox loop leaves a claimed row alone until `until`."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn,
        f"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks})"
        " AND status = 'pending' RETURNING *",
        (claimer, to_iso(until), *ids),
    )
    return sorted((_row(r) for r in rows), key=lambda r: r.id)


async def claim_due(
    conn: Connection, now: datetime, claimer: str, until: datetime,
    limit: int, platform: str,
) -> list[OutboxRow]:
    """Claim up to `limit` due rows of one messenger for this instance, oldest first.

    A row claimed by another instance is skipped until its claim expires (that instance
    died mid-send); one claimed by this instance's earlier run is taken back at once.
    On PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED` (storage/pg.py spells
    the marker), so two instances claiming at the same moment take different rows.
    """
    rows = await fetchall(
        conn,
        "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
        "SELECT id FROM outbox WHERE status = 'pending' AND not_before <= ? AND platform = ?"
        " AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)"
        " ORDER BY not_before, id LIMIT ? /*SKIP LOCKED*/) RETURNING *",
        (claimer, to_iso(until), to_iso(now), platform, to_iso(now), claimer, limit),
    )
    return [_row(r) for r in sorted(rows, key=lambda r: (r["not_before"], r["id"]))]


async def due(
    conn: Connection, now: datetime, limit: int = 500, platform: str | None = None
) -> list[OutboxRow]:
    sql = "SELECT * FROM outbox WHERE status = 'pending' AND not_before <= ?"
    params: list[object] = [to_iso(now)]
    if platform is not None:
        sql += " AND platform = ?"
        params.append(platform)
    rows = await fetchall(conn, sql + " ORDER BY not_before, id LIMIT ?", (*params, limit))
    return [_row(r) for r in rows]


_SENT = (
    "UPDATE outbox SET status = 'sent', sent_at = ?, message_ref = ?,"
    " attempts = attempts + 1, error = NULL WHERE id = ?"
)


async def mark_sent(
    conn: Connection, row_id: int, now: datetime, message_ref: str | None
) -> None:
    await conn.execute(_SENT, (to_iso(now), message_ref, row_id))


async def mark_sent_many(
    conn: Connection, sent: list[tuple[int, str | None]], now: datetime
) -> None:
    """Mark rows sent in ONE statement (a VK call delivers up to 100 at once; an update's
    replies go together), so it needs no transaction of its own: on PostgreSQL that is one
    round trip instead of BEGIN, a statement per row and COMMIT."""
    if not sent:
        return
    if len(sent) == 1:
        await mark_sent(conn, sent[0][0], now, sent[0][1])
        return
    cases = " ".join("WHEN ? THEN ?" for _ in sent)
    marks = ",".join("?" * len(sent))
    await conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, message_ref = CASE id "
        f"{cases} END, attempts = attempts + 1, error = NULL WHERE id IN ({marks})",
        (to_iso(now), *(v for row_id, ref in sent for v in (row_id, ref)), *(r for r, _ in sent)),
    )


async def mark_retry(
    conn: Connection, row_id: int, not_before: datetime, error: str
) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, not_before = ?, error = ?, claimed_by = NULL,"
        " claimed_until = NULL WHERE id = ?",
        (to_iso(not_before), error[:500], row_id),
    )


async def cancel_expired(conn: Connection, row_id: int) -> None:
    """A message that would only arrive too late (its event has begun) is not sent at all."""
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', error = 'expired before it could be sent'"
        " WHERE id = ? AND status = 'pending'",
        (row_id,),
    )


async def cancel(conn: Connection, row_id: int, reason: str) -> None:
    """Drop a pending message that lost its point (the certificate it carries was revoked)."""
    await conn.execute(
        "UPDATE outbox SET status = 'cancelled', error = ? WHERE id = ? AND status = 'pending'",
        (reason[:500], row_id),
    )


async def mark_final(
    conn: Connection, row_id: int, status: str, error: str
) -> None:
    """End a message for good: `failed` after too many tries, `unreachable` when blocked."""
    await conn.execute(
        "UPDATE outbox SET status = ?, attempts = attempts + 1, error = ? WHERE id = ?",
        (status, error[:500], row_id),
    )


@dataclass(frozen=True, slots=True)
class Status:
    """Where one message stands: pending (with its next try), sent, failed, unreachable..."""

    status: str
    attempts: int
    not_before: datetime
    sent_at: datetime | None
    error: str | None


async def status_of(conn: Connection, idem_key: str) -> Status | None:
    row = await fetchone(
        conn,
        "SELECT status, attempts, not_before, sent_at, error FROM outbox WHERE idem_key = ?",
        (idem_key,),
    )
    if row is None:
        return None
    sent = row["sent_at"]
    return Status(row["status"], row["attempts"], from_iso(row["not_before"]),
                  from_iso(sent) if sent else None, row["error"])


async def status_counts(conn: Connection, key_prefix: str = "") -> dict[str, int]:
    rows = await fetchall(
        conn,
        "SELECT status, COUNT(*) AS n FROM outbox WHERE idem_key LIKE ? GROUP BY status",
        (key_prefix + "%",),
    )
    return {r["status"]: r["n"] for r in rows}


async def held_count(conn: Connection, key_prefix: str, now: datetime) -> int:
    """Pending rows that wait for a later moment (a person's quiet hours, a paused send)."""
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM outbox WHERE idem_key LIKE ? AND status = 'pending'"
        " AND not_before > ?", (key_prefix + "%", to_iso(now)),
    )
    return int(row["n"]) if row else 0


CLAIM_UPDATE = (
    "INSERT OR IGNORE INTO processed_updates(platform, update_ref, processed_at) VALUES (?, ?, ?)"
)
"""Claims an update id; storage/arrival.py sends it inside the arriving statement on
PostgreSQL. Parameters: platform, update_ref, now."""


async def claim_update(
    conn: Connection, platform: str, update_ref: str, now: datetime
) -> bool:
    """Record an update as handled; False when it already was (a messenger re-delivered it).

    Call it inside the update's transaction: if handling fails, the claim rolls back
    with everything else and a re-delivery is handled afresh.
    """
    cur = await conn.execute(CLAIM_UPDATE, (platform, update_ref, to_iso(now)))
    return cur.rowcount > 0
