"""Pending applications a page at a time, for /applications with 300 of them waiting.

Pages follow application ids (the order they came in) from a cursor, the last id of the
page before: deciding on some applications never shifts the ones not yet seen.
"""

from __future__ import annotations

import aiosqlite

from storage.applications import Application, _app
from storage.db import fetchall, fetchone


async def after(conn: aiosqlite.Connection, cursor: int, size: int) -> list[Application]:
    rows = await fetchall(
        conn,
        "SELECT * FROM applications WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
        (cursor, size),
    )
    return [_app(r) for r in rows]


async def previous_cursor(conn: aiosqlite.Connection, first: int, size: int) -> int | None:
    """The cursor of the page before the one starting at `first`; None on the first page."""
    rows = await fetchall(
        conn,
        "SELECT id FROM applications WHERE status = 'pending' AND id < ? ORDER BY id DESC LIMIT ?",
        (first, size + 1),
    )
    if not rows:
        return None
    return int(rows[size]["id"]) if len(rows) > size else 0


async def count_before(conn: aiosqlite.Connection, first: int) -> int:
    row = await fetchone(
        conn, "SELECT COUNT(*) AS n FROM applications WHERE status = 'pending' AND id < ?", (first,)
    )
    return int(row["n"]) if row else 0


async def still_pending(conn: aiosqlite.Connection, ids: list[int]) -> list[int]:
    """Those of `ids` nobody has decided yet, in id order."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await fetchall(
        conn, f"SELECT id FROM applications WHERE status = 'pending' AND id IN ({marks}) ORDER BY id",
        tuple(ids),
    )
    return [int(r["id"]) for r in rows]
