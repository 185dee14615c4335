"""The certificate registry: numbers, the name as printed, status, and the PDF once.

Numbers are allocated inside the issuing transaction (the next of the series), and a
partial unique index keeps one valid certificate per person, so neither a double press
nor two instances can issue twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, to_iso
from storage.connection import Connection, Row
from storage.db import fetchall, fetchone

MAIL_KEY = "cert:mail:"
CHAT_KEY = "cert:chat:"
"""Outbox keys: `<prefix><number>` for the first sending, `<prefix><number>#<n>` for a resend."""


@dataclass(frozen=True, slots=True)
class Issued:
    id: int
    number: str
    person_id: int | None
    programme_title: str
    name: str
    email: str | None
    lang: str
    issued_at: datetime
    issued_by: int | None
    status: str
    replaced_by: str | None
    changed_at: datetime | None
    has_pdf: bool


_COLUMNS = (
    "id, number, person_id, programme_title, name, email, lang, issued_at, issued_by, status,"
    " replaced_by, changed_at, pdf IS NOT NULL AS has_pdf"
)


def _issued(row: Row) -> Issued:
    return Issued(
        row["id"], row["number"], row["person_id"], row["programme_title"], row["name"],
        row["email"], row["lang"], from_iso(row["issued_at"]), row["issued_by"], row["status"],
        row["replaced_by"], from_iso(row["changed_at"]) if row["changed_at"] else None,
        bool(row["has_pdf"]),
    )


async def next_seq(conn: Connection, series: str, start: int) -> int:
    row = await fetchone(conn, "SELECT MAX(seq) AS seq FROM certificates WHERE series = ?", (series,))
    last = row["seq"] if row and row["seq"] is not None else None
    return start if last is None else max(start, last + 1)


async def insert(
    conn: Connection, *, number: str, series: str, seq: int, person_id: int,
    programme_title: str, name: str, email: str | None, lang: str, now: datetime,
    issued_by: int | None,
) -> Issued:
    await conn.execute(
        "INSERT INTO certificates(number, series, seq, person_id, programme_title, name, email, lang,"
        " issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (number, series, seq, person_id, programme_title, name, email, lang, to_iso(now), issued_by),
    )
    found = await by_number(conn, number)
    assert found is not None
    return found


async def by_number(conn: Connection, number: str) -> Issued | None:
    row = await fetchone(conn, f"SELECT {_COLUMNS} FROM certificates WHERE number = ?", (number.strip(),))
    return _issued(row) if row else None


async def valid_of(conn: Connection, person_id: int) -> Issued | None:
    row = await fetchone(
        conn, f"SELECT {_COLUMNS} FROM certificates WHERE person_id = ? AND status = 'valid'", (person_id,)
    )
    return _issued(row) if row else None


async def valid_by_person(conn: Connection) -> dict[int, Issued]:
    rows = await fetchall(conn, f"SELECT {_COLUMNS} FROM certificates WHERE status = 'valid'")
    return {r["person_id"]: _issued(r) for r in rows if r["person_id"] is not None}


async def all_issued(conn: Connection) -> list[Issued]:
    return [_issued(r) for r in await fetchall(conn, f"SELECT {_COLUMNS} FROM certificates ORDER BY id")]


async def mark_replaced(conn: Connection, number: str, by: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE certificates SET status = 'replaced', replaced_by = ?, changed_at = ?"
        " WHERE number = ? AND status = 'valid'",
        (by, to_iso(now), number),
    )


async def revoke(conn: Connection, number: str, now: datetime, by: int | None) -> bool:
    cur = await conn.execute(
        "UPDATE certificates SET status = 'revoked', changed_at = ?, changed_by = ?"
        " WHERE number = ? AND status = 'valid'",
        (to_iso(now), by, number),
    )
    return cur.rowcount > 0


async def store_pdf(conn: Connection, number: str, pdf: bytes) -> None:
    await conn.execute("UPDATE certificates SET pdf = ? WHERE number = ? AND pdf IS NULL", (pdf, number))


async def store_pdfs(conn: Connection, drawn: Iterable[tuple[str, bytes]]) -> None:
    await conn.executemany(
        "UPDATE certificates SET pdf = ? WHERE number = ? AND pdf IS NULL",
        [(pdf, number) for number, pdf in drawn],
    )


async def pdf_of(conn: Connection, number: str) -> tuple[str, bytes | None] | None:
    """(status, the PDF or None while not drawn yet); None: no such certificate."""
    row = await fetchone(conn, "SELECT status, pdf FROM certificates WHERE number = ?", (number,))
    return (row["status"], row["pdf"]) if row else None


async def undrawn(conn: Connection, limit: int = 100) -> list[Issued]:
    """Valid certificates whose PDF is not stored yet (the drawing was cut short by a stop)."""
    rows = await fetchall(
        conn, f"SELECT {_COLUMNS} FROM certificates WHERE pdf IS NULL AND status = 'valid'"
        " ORDER BY id LIMIT ?", (limit,),
    )
    return [_issued(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Sending:
    """The latest outbox row of one certificate on one channel."""

    number: str
    channel: str
    status: str
    error: str | None
    chat_ref: str


async def sendings(conn: Connection) -> dict[tuple[str, str], Sending]:
    """(number, 'mail' | 'chat') -> where its latest sending stands."""
    rows = await fetchall(
        conn, "SELECT idem_key, status, error, chat_ref FROM outbox WHERE idem_key LIKE 'cert:%'"
        " ORDER BY id",
    )
    latest: dict[tuple[str, str], Sending] = {}
    for row in rows:
        key = row["idem_key"]
        for channel, prefix in (("mail", MAIL_KEY), ("chat", CHAT_KEY)):
            if key.startswith(prefix):
                number = key[len(prefix):].split("#", 1)[0]
                latest[(number, channel)] = Sending(number, channel, row["status"], row["error"],
                                                    row["chat_ref"])
    return latest


async def count_sends(conn: Connection, number: str, channel: str) -> int:
    prefix = MAIL_KEY if channel == "mail" else CHAT_KEY
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM outbox WHERE idem_key = ? OR idem_key LIKE ?",
        (prefix + number, prefix + number + "#%"),
    )
    return int(row["n"]) if row else 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """An intern as the certificate sees them: the name and address to print and send to,
    and every stage status (for the completion rule), read for the whole cohort at once."""

    person_id: int
    full_name: str | None
    email: str | None
    locale: str | None
    statuses: dict[str, str]


async def candidates(conn: Connection, person_ids: list[int] | None = None) -> list[Candidate]:
    sql = ("SELECT p.id, p.full_name, p.email, p.locale FROM persons p JOIN roles r ON r.person_id = p.id"
           " AND r.role = 'intern' WHERE p.deleted_at IS NULL")
    params: list[object] = []
    if person_ids is not None:
        sql += f" AND p.id IN ({','.join('?' * len(person_ids))})" if person_ids else " AND 0"
        params.extend(person_ids)
    people = await fetchall(conn, sql + " ORDER BY p.id", params)
    statuses: dict[int, dict[str, str]] = {r["id"]: {} for r in people}
    status_sql = "SELECT person_id, stage_id, status FROM stage_status"
    if person_ids is not None:
        status_sql += f" WHERE person_id IN ({','.join('?' * len(person_ids))})" if person_ids else " WHERE 0"
    for row in await fetchall(conn, status_sql, params):
        if row["person_id"] in statuses:
            statuses[row["person_id"]][row["stage_id"]] = row["status"]
    return [Candidate(r["id"], r["full_name"], r["email"], r["locale"], statuses[r["id"]]) for r in people]
