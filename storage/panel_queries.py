"""The panel's reads that the chat never needed: a sortable, filterable applications table
and the health counts. One query per page, only the page's rows parsed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from storage.applications import Application
from storage.connection import Connection
from storage.db import fetchall, fetchone

APPLICATION_STATUSES = ("pending", "approved", "rejected", "withdrawn")
_FIELD = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True, slots=True)
class AppFilter:
    status: str | None = "pending"
    """None: every status."""
    region: str = ""
    organisation: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class AppColumns:
    """Which answers of the programme's form hold these (question ids; "" when it has none)."""

    name: str = ""
    region: str = ""
    organisation: str = ""


@dataclass(slots=True)
class AppPage:
    total: int
    rows: list[Application] = field(default_factory=list)


SORTS = ("id", "date", "name", "region", "organisation", "status")


def _answer(question: str) -> str:
    if not _FIELD.match(question):
        raise ValueError(f"not a question id: {question!r}")
    return f"json_extract(answers, '$.{question}')"


def _contains(text: str) -> list[str]:
    """SQLite's LIKE folds case for ASCII only: try the text as typed and capitalised."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sorted({f"%{escaped}%", f"%{escaped[:1].upper()}{escaped[1:]}%", f"%{escaped.lower()}%"})


async def applications_page(
    conn: Connection, columns: AppColumns, where: AppFilter, *, sort: str = "id",
    descending: bool = False, offset: int = 0, limit: int = 50,
) -> AppPage:
    clauses: list[str] = []
    params: list[Any] = []
    if where.status:
        clauses.append("status = ?")
        params.append(where.status)
    for question, text in ((columns.region, where.region), (columns.organisation, where.organisation)):
        if question and text:
            patterns = _contains(text)
            like = f"{_answer(question)} LIKE ? ESCAPE '\\'"
            clauses.append("(" + " OR ".join(like for _ in patterns) + ")")
            params += patterns
    if where.since:
        clauses.append("created_at >= ?")
        params.append(where.since.isoformat())
    if where.until:
        clauses.append("created_at < ?")
        params.append((where.until + timedelta(days=1)).isoformat())
    condition = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    texts = {
        "status": "status",
        "name": _answer(columns.name) if columns.name else "",
        "region": _answer(columns.region) if columns.region else "",
        "organisation": _answer(columns.organisation) if columns.organisation else "",
    }
    # NOCASE (SQLite: ASCII; PostgreSQL: the ICU collation of storage/pg.py) on texts only
    order = {"id": "id", "date": "created_at"}.get(sort) or (
        f"{texts[sort]} COLLATE NOCASE" if texts.get(sort) else "id")
    direction = "DESC" if descending else "ASC"
    total_row = await fetchone(conn, f"SELECT COUNT(*) AS n FROM applications{condition}", params)
    rows = await fetchall(
        conn,
        f"SELECT id, person_id, status, answers, reason, created_at FROM applications{condition}"
        f" ORDER BY {order} {direction}, id {direction} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    page = AppPage(int(total_row["n"]) if total_row else 0)
    page.rows = [Application(r["id"], r["person_id"], r["status"], json.loads(r["answers"]), r["reason"],
                             r["created_at"]) for r in rows]
    return page


async def status_counts(conn: Connection) -> dict[str, int]:
    rows = await fetchall(conn, "SELECT status, COUNT(*) AS n FROM applications GROUP BY status")
    return {r["status"]: int(r["n"]) for r in rows}


async def outbox_pending(conn: Connection) -> int:
    row = await fetchone(conn, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    return int(row["n"]) if row else 0
