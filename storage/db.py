"""One aiosqlite connection, serialised transactions, and migrations at start-up.

A single connection with an asyncio lock keeps each state transition atomic
(one `BEGIN IMMEDIATE ... COMMIT`) without SQLite's busy errors between our own tasks.
The connection runs statements on the event loop's thread (storage/inline_sqlite.py
says why); its API is aiosqlite's.

Because of that, SQLite's automatic WAL checkpoint (copying the log into the database
file and syncing it, every 1,000 pages, inside some unlucky COMMIT) would stop the whole
bot for tens of milliseconds, up to 150 ms measured under load. It is off; a task copies
the log instead, every `CHECKPOINT_EVERY_S`, on a connection of its own in a worker
thread (PASSIVE: it never waits for, nor blocks, our writes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage import inline_sqlite

log = logging.getLogger(__name__)

CHECKPOINT_EVERY_S = 1.0


class DatabaseUnavailable(Exception):
    """The file cannot be created or opened at all (a wrong path, no rights, not SQLite)."""


class Database:
    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self.busy_timeout_ms = busy_timeout_ms
        """How long a write waits for another process's lock before "try again later"."""
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._checkpointer: asyncio.Task[None] | None = None
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._checkpointing: asyncio.Future[tuple[int, int, int]] | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        """Open (creating the folder and file), set the pragmas, apply new migrations.

        Failing to open at all is `DatabaseUnavailable`, which start-up turns into one
        line naming DATABASE_PATH; a failing migration stays the SQLite error it is.
        """
        try:
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = await inline_sqlite.connect(str(self.path), isolation_level=None)
            self._conn.row_factory = aiosqlite.Row
            await self._conn.execute("PRAGMA journal_mode=WAL")
            await self._conn.execute("PRAGMA synchronous=NORMAL")
            await self._conn.execute("PRAGMA foreign_keys=ON")
            await self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
            if isinstance(self.path, Path):
                await self._conn.execute("PRAGMA wal_autocheckpoint=0")
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise DatabaseUnavailable(f"cannot open {self.path}: {exc}") from exc
        await migrate(self)
        if isinstance(self.path, Path):
            self._checkpointer = asyncio.create_task(self._checkpoints(), name="sqlite-checkpoint")

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._checkpointing is not None:  # a thread cannot be cancelled: let it finish
            with contextlib.suppress(Exception):
                await self._checkpointing
            self._checkpointing = None
        if self._checkpoint_conn is not None:
            self._checkpoint_conn.close()
            self._checkpoint_conn = None
        if self._conn is not None:
            await self._conn.close()  # the last connection to close checkpoints what is left
            self._conn = None

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the write-ahead log into the database file, off the event loop.

        Returns SQLite's (busy, pages in the log, pages copied); a busy database (another
        process writing, a lock held) is simply left for the next round.
        """
        self._checkpointing = asyncio.ensure_future(asyncio.to_thread(self._checkpoint_now))
        return await asyncio.shield(self._checkpointing)

    def _checkpoint_now(self) -> tuple[int, int, int]:
        if self._checkpoint_conn is None:
            self._checkpoint_conn = sqlite3.connect(str(self.path), check_same_thread=False)
        try:
            row = self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.debug("WAL checkpoint skipped: %s", exc)
            return (1, -1, -1)
        return (int(row[0]), int(row[1]), int(row[2]))

    async def _checkpoints(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            await self.checkpoint()

    @asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """Run a block as one transaction; any exception rolls every write back.

        `lock` needs nothing here: a SQLite file has one writer at a time."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back by itself (disk full, I/O error), and
                # a failed COMMIT leaves the transaction open: close it either way, so the
                # next update does not start inside this one.
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run ONE write statement on its own under the lock.

        SQLite commits a lone statement atomically by itself, so this is one round trip
        where `transaction()` needs three (BEGIN, statement, COMMIT). Use it only for a
        single statement: two statements here are two separate commits.
        """
        async with self._lock:
            yield self.conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Read under the same lock, so nobody sees another task's half-done transaction."""
        async with self._lock:
            yield self.conn

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.read() as conn:
            return await fetchone(conn, sql, params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.read() as conn:
            return await fetchall(conn, sql, params)


# Each helper is ONE call into the connection (execute, fetch and close together), not
# three: per-call overhead, not SQLite, was most of what an update cost.


async def fetchone(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> aiosqlite.Row | None:
    rows = await conn.execute_fetchall(sql, tuple(params))
    return next(iter(rows), None)


async def fetchall(
    conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()
) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(sql, tuple(params)))


async def insert(conn: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> int:
    row = await conn.execute_insert(sql, tuple(params))
    return int(row[0]) if row else 0


def migration_scripts() -> list[tuple[int, str, str]]:
    """Numbered `NNNN_name.sql` files; each helper adds its own file, never edits old ones."""
    folder = resources.files("storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


async def migrate(db: Database) -> int:
    """Apply every migration the file has not seen yet; return the highest version.

    Applied versions are a set, not a high-water mark, so migrations developed on
    parallel branches (each in its own number range) apply whatever order they land in.
    """
    conn = db.conn
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
        " DEFAULT CURRENT_TIMESTAMP)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {int(row[0]) for row in await cur.fetchall()}
    for version, name, sql in migration_scripts():
        if version in applied:
            continue
        log.info("applying migration %s", name)
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n"
                f"INSERT INTO schema_migrations(version, name) VALUES ({version}, '{name}');\n"
                "COMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        applied.add(version)
    return max(applied, default=0)
