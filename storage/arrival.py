"""Who wrote, and where they stand: what every update needs first, in one statement.

Each update begins by touching the writer's account, reading their person and roles,
and (for a free text or a form's button) their dialog state. On PostgreSQL every
statement is a network round trip, so for someone known all of it is ONE statement:
the account is touched with UPDATE … RETURNING, and the rest comes back as subqueries
of RETURNING, which SQLite (3.35+) and PostgreSQL both allow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage.connection import Connection
from storage.db import fetchone
from storage.dialogs import Dialog
from storage.persons import Account, Person, account_from_row, ensure_account, person_and_roles


@dataclass(frozen=True, slots=True)
class Arrival:
    account: Account
    person: Person
    roles: set[str]
    dialog: Dialog | None
    """The dialog state as the update found it, before any handler changed it."""


_OF_PERSON = "FROM {table} x WHERE x.{key} = accounts.person_id"
_RETURNING = ", ".join(
    f"(SELECT {column} {_OF_PERSON.format(table=table, key=key)}) AS {alias}"
    for column, table, key, alias in (
        ("full_name", "persons", "id", "person_full_name"),
        ("email", "persons", "id", "person_email"),
        ("locale", "persons", "id", "person_locale"),
        ("timezone", "persons", "id", "person_timezone"),
        ("group_concat(role)", "roles", "person_id", "role_list"),
        ("kind", "dialog_state", "person_id", "dialog_kind"),
        ("ref", "dialog_state", "person_id", "dialog_ref"),
        ("data", "dialog_state", "person_id", "dialog_data"),
    )
)


async def arrive(
    conn: Connection,
    now: datetime,
    *,
    platform: str,
    user_ref: str,
    chat_ref: str,
    display_name: str | None,
    language_code: str | None,
    locale: str,
) -> Arrival:
    """The writer's account touched, with their person, roles and dialog state; on first
    contact the person is created (as `persons.ensure_account` does) and has no dialog."""
    row = await fetchone(
        conn,
        "UPDATE accounts SET last_seen_at = ?, chat_ref = ?, unreachable_at = NULL,"
        " display_name = COALESCE(?, display_name),"
        " language_code = COALESCE(?, language_code) WHERE platform = ? AND user_ref = ?"
        f" RETURNING *, {_RETURNING}",
        (to_iso(now), chat_ref, display_name, language_code, platform, user_ref),
    )
    if row is None:
        account, _ = await ensure_account(
            conn, now, platform=platform, user_ref=user_ref, chat_ref=chat_ref,
            display_name=display_name, language_code=language_code, locale=locale,
        )
        person, roles = await person_and_roles(conn, account.person_id)
        return Arrival(account, person, roles, None)
    person = Person(row["person_id"], row["person_full_name"], row["person_email"],
                    row["person_locale"], row["person_timezone"])
    roles = set(filter(None, (row["role_list"] or "").split(",")))
    dialog = None
    if row["dialog_kind"] is not None:
        dialog = Dialog(row["dialog_kind"], row["dialog_ref"], json.loads(row["dialog_data"]))
    return Arrival(account_from_row(row), person, roles, dialog)
