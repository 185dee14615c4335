"""Who wrote, and where they stand: what every update needs first, in one statement.

Each update begins by touching the writer's account, reading their person and roles,
and (for a free text or a form's button) their dialog state and, in a form, their
progress in it. On PostgreSQL every
statement is a network round trip, so for someone known all of it is ONE statement:
the account is touched with UPDATE … RETURNING, and the rest comes back as subqueries
of RETURNING, which SQLite (3.35+) and PostgreSQL both allow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from bot.messages import Incoming
from storage import persons
from storage.connection import Connection
from storage.db import fetchone
from storage.dialogs import Dialog
from storage.forms import FormProgress
from storage.persons import Account, Person


@dataclass(frozen=True, slots=True)
class Arrival:
    account: Account
    person: Person
    roles: set[str]
    dialog: Dialog | None
    """The dialog state as the update found it, before any handler changed it."""
    form: FormProgress | None
    """The person's progress in the form their dialog is in (kind "form"), as found."""


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
_DIALOG_FORM = (
    "FROM form_progress x WHERE x.person_id = accounts.person_id AND x.form_id = ("
    "SELECT d.ref FROM dialog_state d WHERE d.person_id = accounts.person_id AND d.kind = 'form')"
)
_RETURNING += "".join(
    f", (SELECT {column} {_DIALOG_FORM}) AS form_{column}"
    for column in ("status", "step", "answers", "submitted_at")
)


async def arrive(conn: Connection, now: datetime, incoming: Incoming, locale: str) -> Arrival:
    """The writer's account touched, with their person, roles and dialog state; on first
    contact the person is created (as `persons.ensure_account` does) and has no dialog.
    `locale`: a new person's language."""
    row = await fetchone(conn, f"{persons.TOUCH_ACCOUNT}, {_RETURNING}", (
        to_iso(now), incoming.chat_ref, incoming.display_name, incoming.language_code,
        incoming.platform, incoming.user_ref,
    ))
    if row is None:
        account, _ = await persons.ensure_account(
            conn, now, platform=incoming.platform, user_ref=incoming.user_ref,
            chat_ref=incoming.chat_ref, display_name=incoming.display_name,
            language_code=incoming.language_code, locale=locale,
        )
        person, roles = await persons.person_and_roles(conn, account.person_id)
        return Arrival(account, person, roles, None, None)
    person = Person(row["person_id"], row["person_full_name"], row["person_email"],
                    row["person_locale"], row["person_timezone"])
    roles = set(filter(None, (row["role_list"] or "").split(",")))
    dialog = form = None
    if row["dialog_kind"] is not None:
        dialog = Dialog(row["dialog_kind"], row["dialog_ref"], json.loads(row["dialog_data"]))
    if row["form_status"] is not None and dialog is not None:
        form = FormProgress(person.id, dialog.ref, row["form_status"], row["form_step"],
                            json.loads(row["form_answers"]), row["form_submitted_at"])
    return Arrival(persons.account_from_row(row), person, roles, dialog, form)
