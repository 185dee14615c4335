"""The write-ahead log is copied into the database by a worker thread, never inside a COMMIT."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.db import Database


async def _write(db: Database, rows: int) -> None:
    for n in range(rows):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO scratch (body) VALUES (?)", (f"row {n} " + "x" * 500,))


async def test_commits_never_checkpoint_and_the_worker_copies_the_log(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)")
            (auto,) = next(iter(await conn.execute_fetchall("PRAGMA wal_autocheckpoint")))
        assert auto == 0
        await _write(db, 3000)  # ~2,000 pages: SQLite's own would have checkpointed twice
        busy, in_log, copied = await db.checkpoint()
        assert busy == 0 and in_log > 1000 and copied == in_log
        async with db.read() as conn:
            count = next(iter(await conn.execute_fetchall("SELECT COUNT(*) FROM scratch")))[0]
        assert count == 3000
    finally:
        await db.close()
    reopened = Database(tmp_path / "bot.sqlite3")
    await reopened.open()
    try:
        async with reopened.read() as conn:
            count = next(iter(await conn.execute_fetchall("SELECT COUNT(*) FROM scratch")))[0]
        assert count == 3000
    finally:
        await reopened.close()


async def test_closing_waits_for_a_checkpoint_under_way(tmp_path: Path) -> None:
    db = Database(tmp_path / "bot.sqlite3")
    await db.open()
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT)")
    await _write(db, 500)
    running = asyncio.create_task(db.checkpoint())
    await asyncio.sleep(0)  # the worker thread has started
    await db.close()
    busy, in_log, copied = await running
    assert busy == 0 and copied == in_log
