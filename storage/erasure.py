"""Erasing a person's data on their request, keeping only anonymous counts.

The person row stays (marked deleted, with no name, e-mail or time zone) so that
statistics and foreign keys hold; everything that says who they are or what they
wrote is removed. Their messenger accounts go too, so writing to the bot again
starts a new, empty person.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import to_iso

BLANK_BODY = '{"text": ""}'


async def erase(
    conn: aiosqlite.Connection, person_id: int, now: datetime, keep_outbox_key: str | None = None
) -> None:
    """Anonymise a person; `keep_outbox_key` is the goodbye message still to be delivered."""
    await conn.execute(
        "UPDATE persons SET full_name = NULL, email = NULL, timezone = NULL, deleted_at = ?"
        " WHERE id = ?", (to_iso(now), person_id),
    )
    await conn.execute(
        "UPDATE applications SET answers = '{}', reason = NULL WHERE person_id = ?", (person_id,)
    )
    for table in ("form_progress", "dialog_state", "team_members", "roles", "stage_status", "accounts",
                  "event_absences", "completions"):
        await conn.execute(f"DELETE FROM {table} WHERE person_id = ?", (person_id,))
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
        " body = ?, chat_ref = '' WHERE person_id = ? AND idem_key IS NOT ?",
        (BLANK_BODY, person_id, keep_outbox_key),
    )
