"""One-time role invitations: created by a coordinator, redeemed once before expiry."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone

ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 10
"""36^10 codes: not guessable, yet short enough to type from a phone screen."""


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    role: str
    created_by: int | None
    expires_at: str
    used_by: int | None


def _invite(row: Row) -> Invite:
    return Invite(row["code"], row["role"], row["created_by"], row["expires_at"], row["used_by"])


async def create(
    conn: Connection, role: str, created_by: int, now: datetime, expires: datetime
) -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    await conn.execute(
        "INSERT INTO invites(code, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (code, role, created_by, to_iso(now), to_iso(expires)),
    )
    return code


async def get(conn: Connection, code: str) -> Invite | None:
    row = await fetchone(conn, "SELECT * FROM invites WHERE code = ?", (code.upper(),))
    return _invite(row) if row else None


async def redeem(conn: Connection, code: str, person_id: int, now: datetime) -> bool:
    """Use a code once: only an unused, unexpired code is taken, by exactly one person."""
    cur = await conn.execute(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (person_id, to_iso(now), code.upper(), to_iso(now)),
    )
    return cur.rowcount > 0


async def open_invites(conn: Connection, now: datetime) -> list[Invite]:
    rows = await fetchall(
        conn,
        "SELECT * FROM invites WHERE used_at IS NULL AND expires_at > ? ORDER BY created_at",
        (to_iso(now),),
    )
    return [_invite(r) for r in rows]


async def cancel(conn: Connection, code: str, now: datetime) -> bool:
    """Withdraw an unused invitation (a code sent to the wrong person, or leaked): it
    expires now, so redeeming it says "used or expired" like any stale code."""
    cur = await conn.execute(
        "UPDATE invites SET expires_at = ? WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        (to_iso(now), code.upper(), to_iso(now)),
    )
    return cur.rowcount > 0
