"""Who wrote, and where they stand: what every update needs first, in one statement.

Each update begins by claiming the update (a messenger may deliver it twice), touching
the writer's account, reading their person and roles, and (for a free text or a form's
button) their dialog state and, in a form, their progress in it. On PostgreSQL every
statement is a network round trip, so for someone known all of it is ONE statement:
the account is touched with UPDATE … RETURNING, and the rest comes back as subqueries
of RETURNING, which SQLite (3.35+) and PostgreSQL both allow. On PostgreSQL the claim
goes in the same statement too, as a data-modifying WITH (SQLite has none; there the
claim is a statement of its own, which costs no round trip).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from bot.messages import Incoming
from storage import outbox, persons
from storage.catalog import is_postgres
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


def _subqueries(of: str) -> str:
    """The person's, roles', dialog's and form's columns, as subqueries on `of`.person_id."""
    person = f"{of}.person_id"
    columns = ", ".join(
        f"(SELECT {column} FROM {table} x WHERE x.{key} = {person}) AS {alias}"
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
    in_form = (
        f"FROM form_progress x WHERE x.person_id = {person} AND x.form_id = ("
        f"SELECT d.ref FROM dialog_state d WHERE d.person_id = {person} AND d.kind = 'form')"
    )
    return columns + "".join(
        f", (SELECT {column} {in_form}) AS form_{column}"
        for column in ("status", "step", "answers", "submitted_at")
    )


_ARRIVE = f"{persons.TOUCH_ACCOUNT}, {_subqueries('accounts')}"
"""Both engines. Parameters: as persons.TOUCH_ACCOUNT."""

_CLAIM_AND_ARRIVE = (
    f"WITH claim AS ({outbox.CLAIM_UPDATE} RETURNING 1),"  # OR IGNORE: ON CONFLICT DO NOTHING
    f" touched AS ({persons.TOUCH_ACCOUNT})"
    f" SELECT (SELECT count(*) FROM claim) AS claimed, touched.*, {_subqueries('touched')}"
    " FROM (SELECT 1) AS one LEFT JOIN touched ON true"
)
"""PostgreSQL only. Always one row: `claimed` 1 or 0, and the account's columns NULL when
the writer is new (the claim is known either way). Parameters: as outbox.CLAIM_UPDATE,
then as persons.TOUCH_ACCOUNT."""


async def arrive(
    conn: Connection, now: datetime, incoming: Incoming, locale: str
) -> Arrival | None:
    """The writer's account touched, with their person, roles and dialog state; on first
    contact the person is created (as `persons.ensure_account` does) and has no dialog.
    None when the update has an id that was already handled (`outbox.claim_update`): the
    caller rolls back and does nothing. `locale`: a new person's language."""
    stamp = to_iso(now)
    touch = (stamp, incoming.chat_ref, incoming.display_name, incoming.language_code,
             incoming.platform, incoming.user_ref)
    if incoming.update_ref and is_postgres(conn):
        row = await fetchone(conn, _CLAIM_AND_ARRIVE, (incoming.platform, incoming.update_ref, stamp, *touch))
        assert row is not None  # the LEFT JOIN always gives one
        if not row["claimed"]:
            return None
        if row["person_id"] is None:
            row = None
    else:
        if incoming.update_ref and not await outbox.claim_update(
            conn, incoming.platform, incoming.update_ref, now
        ):
            return None
        row = await fetchone(conn, _ARRIVE, touch)
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
