"""The panel's sessions and one-time login links (hashes only, never the secrets)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection
from storage.db import fetchone


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    person_id: int
    csrf: str
    via: str
    expires_at: datetime


async def create_session(
    conn: Connection, secret: str, person_id: int, csrf: str, via: str,
    now: datetime, expires_at: datetime,
) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (to_iso(now),))
    await conn.execute(
        "INSERT INTO web_sessions(token_hash, person_id, csrf, via, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (digest(secret), person_id, csrf, via, to_iso(now), to_iso(expires_at)),
    )


async def session(conn: Connection, secret: str, now: datetime) -> Session | None:
    row = await fetchone(
        conn, "SELECT * FROM web_sessions WHERE token_hash = ? AND expires_at > ?",
        (digest(secret), to_iso(now)),
    )
    if row is None:
        return None
    return Session(row["person_id"], row["csrf"], row["via"], from_iso(row["expires_at"]))


async def end_session(conn: Connection, secret: str) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (digest(secret),))


async def create_login_token(
    conn: Connection, secret: str, person_id: int, now: datetime, expires_at: datetime
) -> None:
    await conn.execute("DELETE FROM web_login_tokens WHERE expires_at <= ?", (to_iso(now),))
    await conn.execute(
        "INSERT INTO web_login_tokens(token_hash, person_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?)",
        (digest(secret), person_id, to_iso(now), to_iso(expires_at)),
    )


async def use_login_token(conn: Connection, secret: str, now: datetime) -> int | None:
    """The person the link signs in, once: the same UPDATE marks it used, so two clicks
    racing each other cannot both succeed."""
    row = await fetchone(
        conn,
        "UPDATE web_login_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
        " AND expires_at > ? RETURNING person_id",
        (to_iso(now), digest(secret), to_iso(now)),
    )
    return int(row["person_id"]) if row else None


async def login_token_usable(conn: Connection, secret: str, now: datetime) -> bool:
    row = await fetchone(
        conn, "SELECT 1 FROM web_login_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        (digest(secret), to_iso(now)),
    )
    return row is not None
