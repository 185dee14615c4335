"""Erasing a person's data on their request, keeping only anonymous counts.

The person row stays (marked deleted, with no name, e-mail or time zone) so that
statistics and foreign keys hold; everything that says who they are or what they
wrote is removed. Their messenger accounts go too, so writing to the bot again
starts a new, empty person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_iso
from storage import bank
from storage.connection import Connection
from storage.db import fetchall, fetchone

BLANK_BODY = '{"text": ""}'


async def erase(
    conn: Connection, person_id: int, now: datetime, keep_outbox_key: str | None = None
) -> None:
    """Anonymise a person; `keep_outbox_key` is the goodbye message still to be delivered."""
    traces = await _traces(conn, person_id)
    await conn.execute(
        "UPDATE persons SET full_name = NULL, email = NULL, timezone = NULL, deleted_at = ?"
        " WHERE id = ?", (to_iso(now), person_id),
    )
    await conn.execute(
        "UPDATE applications SET answers = '{}', reason = NULL WHERE person_id = ?", (person_id,)
    )
    for table in ("form_progress", "dialog_state", "team_members", "roles", "stage_status", "accounts",
                  "event_absences", "completions", "reminders", "reminder_plans", "kept_messages",
                  "intern_levels", "level_history"):
        await conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
    await bank.forget(conn, person_id)  # their work leaves the bank, their name a team's entry
    # What they handed in goes; a team's verdicts and version numbers stay for its history.
    await conn.execute("UPDATE submissions SET items = '[]' WHERE person_id = ?", (person_id,))
    await conn.execute(
        "DELETE FROM attention WHERE person_id = ? AND kind != 'forget'", (person_id,)
    )
    await conn.execute("UPDATE teams SET tutor_id = NULL WHERE tutor_id = ?", (person_id,))
    # an intern's questions are their own words (and often files of their work): they go
    # whole, with the conversation; staff statistics simply lose those tickets
    await conn.execute("DELETE FROM tickets WHERE intern_id = ?", (person_id,))
    await conn.execute(
        "UPDATE outbox SET status = CASE status WHEN 'pending' THEN 'cancelled' ELSE status END,"
        " body = ?, chat_ref = '' WHERE person_id = ? AND idem_key IS DISTINCT FROM ?",
        (BLANK_BODY, person_id, keep_outbox_key),
    )
    # Messages to other people about them: the cards of their applications, questions and
    # erasure request go whole (one still waiting is moot now), and any other message
    # already sent that names them or their e-mail (team line-ups, reports) is blanked;
    # one still to be sent goes out as written.
    for pattern in traces.keys:
        await conn.execute(
            "UPDATE outbox SET status = CASE status WHEN 'pending' THEN 'cancelled' ELSE status END,"
            " body = ? WHERE idem_key LIKE ? AND idem_key IS DISTINCT FROM ?",
            (BLANK_BODY, pattern, keep_outbox_key),
        )
    for needle in traces.words:
        await conn.execute(
            "UPDATE outbox SET body = ? WHERE status NOT IN ('pending', 'sending')"
            " AND instr(body, ?) > 0 AND idem_key IS DISTINCT FROM ?",
            (BLANK_BODY, needle, keep_outbox_key),
        )


@dataclass(frozen=True, slots=True)
class _Traces:
    keys: list[str]
    """Outbox key patterns of messages about the person (see bot/: app:, tk:, fg:)."""
    words: list[str]
    """What names them in a message: full name, e-mail, or the display name shown instead."""


MIN_WORD = 3
"""Shorter names are not searched for: they would blank unrelated messages."""


async def _traces(conn: Connection, person_id: int) -> _Traces:
    person = await fetchone(conn, "SELECT full_name, email FROM persons WHERE id = ?", (person_id,))
    words = [person["full_name"], person["email"]] if person else []
    if person is not None and not person["full_name"]:
        shown = await fetchall(conn, "SELECT display_name FROM accounts WHERE person_id = ?", (person_id,))
        words += [r["display_name"] for r in shown]
    apps = await fetchall(conn, "SELECT id FROM applications WHERE person_id = ?", (person_id,))
    asked = await fetchall(conn, "SELECT id FROM tickets WHERE intern_id = ?", (person_id,))
    keys = [f"app:{r['id']}:%" for r in apps] + [f"tk:{r['id']}:%" for r in asked]
    keys.append(f"fg:{person_id}:%")
    return _Traces(keys, sorted({w for w in words if w and len(w.strip()) >= MIN_WORD}))
