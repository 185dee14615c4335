"""The bank of solutions: accepted work its authors let the next cohorts see.

Consent, decided here in one place (`_settle`): an entry is *published* once its
submitter has said yes and no author has said no; any author's no *declines* it for
good (a no is never shown, not even later). Names shown are only of the authors who
said yes. The rows outlive the cohort: a later run of the programme on the same
database browses them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone, insert


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    submission_id: int
    programme_id: str
    cohort: str
    topic: str
    stage_id: str
    title: str
    line: str | None
    level: str | None
    items: list[dict[str, Any]]
    submitter_id: int
    team_name: str | None
    state: str
    exemplary: bool
    hidden: bool
    created_at: str
    published_at: str | None


def _entry(r: Row) -> Entry:
    return Entry(r["id"], r["submission_id"], r["programme_id"], r["cohort"], r["topic"], r["stage_id"],
                 r["title"], r["line"], r["level"], json.loads(r["items"]), r["submitter_id"],
                 r["team_name"], r["state"], bool(r["exemplary"]), bool(r["hidden"]),
                 r["created_at"], r["published_at"])


async def create(
    conn: Connection, *, submission_id: int, programme_id: str, cohort: str, topic: str,
    stage_id: str, title: str, level: str | None, items: list[dict[str, Any]], submitter_id: int,
    team_name: str | None, authors: list[int], now: datetime,
) -> int | None:
    """An entry waiting for its authors' consent; None when this version already has one."""
    found = await fetchone(conn, "SELECT id FROM bank_entries WHERE submission_id = ?", (submission_id,))
    if found is not None:
        return None
    entry_id = await insert(
        conn,
        "INSERT INTO bank_entries(submission_id, programme_id, cohort, topic, stage_id, title, level,"
        " items, submitter_id, team_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (submission_id, programme_id, cohort, topic, stage_id, title, level,
         json.dumps(items, ensure_ascii=False), submitter_id, team_name, to_iso(now)),
    )
    for person_id in dict.fromkeys(authors):
        await conn.execute("INSERT INTO bank_authors(entry_id, person_id) VALUES (?, ?)",
                           (entry_id, person_id))
    return entry_id


async def get(conn: Connection, entry_id: int) -> Entry | None:
    row = await fetchone(conn, "SELECT * FROM bank_entries WHERE id = ?", (entry_id,))
    return _entry(row) if row else None


async def consents(conn: Connection, entry_id: int) -> dict[int, str]:
    rows = await fetchall(conn, "SELECT person_id, consent FROM bank_authors WHERE entry_id = ?"
                                " ORDER BY person_id", (entry_id,))
    return {r["person_id"]: r["consent"] for r in rows}


async def answer(conn: Connection, entry_id: int, person_id: int, yes: bool,
                 now: datetime) -> bool:
    """One author's answer, taken once; False when not asked or already answered."""
    cur = await conn.execute(
        "UPDATE bank_authors SET consent = ?, answered_at = ? WHERE entry_id = ? AND person_id = ?"
        " AND consent = 'asked'",
        ("yes" if yes else "no", to_iso(now), entry_id, person_id),
    )
    if cur.rowcount == 0:
        return False
    await _settle(conn, entry_id, now)
    return True


async def _settle(conn: Connection, entry_id: int, now: datetime) -> None:
    entry = await get(conn, entry_id)
    if entry is None or entry.state == "declined":
        return
    said = await consents(conn, entry_id)
    if "no" in said.values():
        state = "declined"
    elif said.get(entry.submitter_id) == "yes":
        state = "published"
    else:
        state = "asking"
    await conn.execute(
        "UPDATE bank_entries SET state = ?, published_at = CASE WHEN ? = 'published'"
        " THEN COALESCE(published_at, ?) ELSE published_at END WHERE id = ?",
        (state, state, to_iso(now), entry_id),
    )


async def set_line(conn: Connection, entry_id: int, line: str | None) -> None:
    await conn.execute("UPDATE bank_entries SET line = ? WHERE id = ?", (line, entry_id))


async def set_exemplary(conn: Connection, entry_id: int, on: bool, by: int) -> None:
    await conn.execute("UPDATE bank_entries SET exemplary = ?, exemplary_by = ? WHERE id = ?",
                       (int(on), by if on else None, entry_id))


async def set_hidden(conn: Connection, entry_id: int, on: bool, by: int) -> None:
    await conn.execute("UPDATE bank_entries SET hidden = ?, hidden_by = ? WHERE id = ?",
                       (int(on), by if on else None, entry_id))


def _filters(line: str | None, level: str | None, topic: str | None) -> tuple[str, list[Any]]:
    where = ["state = 'published'", "hidden = 0"]
    params: list[Any] = []
    for column, value in (("line", line), ("level", level), ("topic", topic)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(where), params


async def browse(
    conn: Connection, *, line: str | None = None, level: str | None = None,
    topic: str | None = None, offset: int = 0, limit: int = 5,
) -> tuple[list[Entry], int]:
    """One page of what every intern may see (exemplary first, then newest), and the total."""
    where, params = _filters(line, level, topic)
    total = await fetchone(conn, f"SELECT COUNT(*) AS n FROM bank_entries WHERE {where}", params)
    rows = await fetchall(
        conn, f"SELECT * FROM bank_entries WHERE {where} ORDER BY exemplary DESC, published_at DESC,"
              " id DESC LIMIT ? OFFSET ?", [*params, limit, offset],
    )
    return [_entry(r) for r in rows], int(total["n"]) if total else 0


async def topics(conn: Connection) -> list[str]:
    rows = await fetchall(conn, "SELECT DISTINCT topic FROM bank_entries WHERE state = 'published'"
                                " AND hidden = 0 AND topic != '' ORDER BY topic")
    return [r["topic"] for r in rows]


async def published(conn: Connection) -> list[Entry]:
    """Every entry its authors let into the bank, hidden ones too (for the export)."""
    rows = await fetchall(conn, "SELECT * FROM bank_entries WHERE state = 'published' ORDER BY id")
    return [_entry(r) for r in rows]


async def named_authors(conn: Connection, entry_id: int) -> list[int]:
    """Authors whose names may be shown: those who said yes and are not erased."""
    rows = await fetchall(
        conn, "SELECT a.person_id FROM bank_authors a JOIN persons p ON p.id = a.person_id"
              " WHERE a.entry_id = ? AND a.consent = 'yes' AND p.deleted_at IS NULL ORDER BY a.person_id",
        (entry_id,),
    )
    return [r["person_id"] for r in rows]


async def asked_of(conn: Connection, person_id: int) -> list[int]:
    """Entries still waiting for this person's answer."""
    rows = await fetchall(conn, "SELECT entry_id FROM bank_authors WHERE person_id = ? AND consent = 'asked'"
                                " ORDER BY entry_id", (person_id,))
    return [r["entry_id"] for r in rows]


async def forget(conn: Connection, person_id: int) -> None:
    """Erasure: what they handed in leaves the bank; their name leaves a team's entry."""
    await conn.execute("DELETE FROM bank_authors WHERE entry_id IN"
                       " (SELECT id FROM bank_entries WHERE submitter_id = ?)", (person_id,))
    await conn.execute("DELETE FROM bank_entries WHERE submitter_id = ?", (person_id,))
    await conn.execute("DELETE FROM bank_authors WHERE person_id = ?", (person_id,))
