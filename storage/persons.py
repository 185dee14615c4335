"""Persons, their messenger accounts and roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert

ROLES = ("intern", "tutor", "coordinator")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    full_name: str | None
    email: str | None
    locale: str | None
    timezone: str | None


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    person_id: int
    platform: str
    user_ref: str
    chat_ref: str
    display_name: str | None
    language_code: str | None
    unreachable: bool


def _person(row: Row) -> Person:
    return Person(row["id"], row["full_name"], row["email"], row["locale"], row["timezone"])


def account_from_row(row: Row) -> Account:
    return Account(
        row["id"], row["person_id"], row["platform"], row["user_ref"], row["chat_ref"],
        row["display_name"], row["language_code"], row["unreachable_at"] is not None,
    )


async def find_account(conn: Connection, platform: str, user_ref: str) -> Account | None:
    row = await fetchone(
        conn, "SELECT * FROM accounts WHERE platform = ? AND user_ref = ?", (platform, user_ref)
    )
    return account_from_row(row) if row else None


TOUCH_ACCOUNT = (
    "UPDATE accounts SET last_seen_at = ?, chat_ref = ?, unreachable_at = NULL,"
    " display_name = COALESCE(?, display_name),"
    " language_code = COALESCE(?, language_code) WHERE platform = ? AND user_ref = ?"
    " RETURNING *"
)
"""Finds and touches a known account in one statement (storage/arrival.py adds to what it
returns). Parameters: now, chat_ref, display_name, language_code, platform, user_ref."""


async def ensure_account(
    conn: Connection,
    now: datetime,
    *,
    platform: str,
    user_ref: str,
    chat_ref: str,
    display_name: str | None,
    language_code: str | None,
    locale: str,
) -> tuple[Account, bool]:
    """Find the account of whoever wrote, creating the person on first contact."""
    stamp = to_iso(now)
    row = await fetchone(  # one round trip finds and touches a known account
        conn, TOUCH_ACCOUNT, (stamp, chat_ref, display_name, language_code, platform, user_ref)
    )
    if row is not None:
        return account_from_row(row), False
    person_id = await insert(
        conn, "INSERT INTO persons(locale, created_at) VALUES (?, ?)", (locale, stamp)
    )
    account_id = await insert(
        conn,
        "INSERT INTO accounts(person_id, platform, user_ref, chat_ref, display_name,"
        " language_code, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (person_id, platform, user_ref, chat_ref, display_name, language_code, stamp, stamp),
    )
    return (
        Account(account_id, person_id, platform, user_ref, chat_ref, display_name,
                language_code, False),
        True,
    )


async def get_person(conn: Connection, person_id: int) -> Person:
    row = await fetchone(conn, "SELECT * FROM persons WHERE id = ?", (person_id,))
    if row is None:
        raise KeyError(person_id)
    return _person(row)


async def person_and_roles(conn: Connection, person_id: int) -> tuple[Person, set[str]]:
    """A person and their roles in one query: the core needs both for every update."""
    row = await fetchone(
        conn,
        "SELECT p.*, (SELECT group_concat(role) FROM roles r WHERE r.person_id = p.id) AS role_list"
        " FROM persons p WHERE p.id = ?",
        (person_id,),
    )
    if row is None:
        raise KeyError(person_id)
    return _person(row), set(filter(None, (row["role_list"] or "").split(",")))


_PERSON_FIELDS = {"full_name", "email", "locale", "timezone"}


async def update_person(conn: Connection, person_id: int, **fields: str | None) -> None:
    unknown = set(fields) - _PERSON_FIELDS
    if unknown:
        raise ValueError(f"not person fields: {unknown}")
    if not fields:
        return
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await conn.execute(
        f"UPDATE persons SET {assignments} WHERE id = ?", (*fields.values(), person_id)
    )


async def accounts_of(conn: Connection, person_id: int) -> list[Account]:
    """A person's accounts, the most recently used first: that is where we write."""
    rows = await fetchall(
        conn,
        "SELECT * FROM accounts WHERE person_id = ? ORDER BY last_seen_at DESC, id DESC",
        (person_id,),
    )
    return [account_from_row(r) for r in rows]


async def mark_unreachable(conn: Connection, account_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE accounts SET unreachable_at = ? WHERE id = ?", (to_iso(now), account_id)
    )


async def roles_of(conn: Connection, person_id: int) -> set[str]:
    rows = await fetchall(conn, "SELECT role FROM roles WHERE person_id = ?", (person_id,))
    return {r["role"] for r in rows}


async def grant_role(
    conn: Connection, person_id: int, role: str, now: datetime
) -> bool:
    if role not in ROLES:
        raise ValueError(role)
    cur = await conn.execute(
        "INSERT OR IGNORE INTO roles(person_id, role, granted_at) VALUES (?, ?, ?)",
        (person_id, role, to_iso(now)),
    )
    return cur.rowcount > 0


async def revoke_role(conn: Connection, person_id: int, role: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM roles WHERE person_id = ? AND role = ?", (person_id, role)
    )
    return cur.rowcount > 0


async def persons_with_role(conn: Connection, role: str) -> list[int]:
    rows = await fetchall(
        conn,
        "SELECT r.person_id FROM roles r JOIN persons p ON p.id = r.person_id"
        " WHERE r.role = ? AND p.deleted_at IS NULL ORDER BY r.person_id",
        (role,),
    )
    return [r["person_id"] for r in rows]


async def find_account_by_chat(
    conn: Connection, platform: str, chat_ref: str
) -> Account | None:
    row = await fetchone(
        conn, "SELECT * FROM accounts WHERE platform = ? AND chat_ref = ? LIMIT 1",
        (platform, chat_ref),
    )
    return account_from_row(row) if row else None
