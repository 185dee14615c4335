"""The inline connection keeps aiosqlite's API but runs statements on the loop's thread.

These fail loudly if an aiosqlite upgrade changes the hooks storage/inline_sqlite.py uses.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import aiosqlite

from storage import inline_sqlite
from storage.db import Database, fetchall, fetchone, insert


async def test_statements_run_on_the_event_loop_thread(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    await db.open()
    try:
        conn = db.conn
        assert isinstance(conn, aiosqlite.Connection)
        assert not conn._thread.is_alive()
        await conn.create_function("tid", 0, threading.get_ident)
        row = await fetchone(conn, "SELECT tid() AS t")
        assert row is not None and row["t"] == threading.get_ident()
    finally:
        await db.close()


async def test_aiosqlite_api_works_inline() -> None:
    conn = await inline_sqlite.connect(":memory:", isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    await conn.executemany("INSERT INTO t(v) VALUES (?)", [("a",), ("b",), ("c",)])
    assert await insert(conn, "INSERT INTO t(v) VALUES (?)", ("d",)) == 4
    async with conn.execute("SELECT v FROM t ORDER BY id") as cur:
        assert [row["v"] async for row in cur] == ["a", "b", "c", "d"]
    cur = await conn.execute("UPDATE t SET v = 'z' WHERE id > 2")
    assert cur.rowcount == 2
    assert [r["v"] for r in await fetchall(conn, "SELECT v FROM t ORDER BY id")] == ["a", "b", "z", "z"]
    await conn.execute("BEGIN")
    assert conn.in_transaction
    await conn.execute("ROLLBACK")
    await conn.close()
    try:
        await conn.execute("SELECT 1")
    except ValueError:
        pass
    else:
        raise AssertionError("a closed connection must refuse statements")


async def test_a_long_run_of_statements_lets_other_tasks_in() -> None:
    conn = await inline_sqlite.connect(":memory:", isolation_level=None)
    ticks = 0

    async def other() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    before = ticks
    for _ in range(inline_sqlite.YIELD_EVERY * 4):
        await conn.execute("SELECT 1")
    assert ticks - before >= 3
    task.cancel()
    await conn.close()
