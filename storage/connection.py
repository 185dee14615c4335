"""The project's own database interface: what features and handlers are given.

Two engines implement it: the embedded SQLite file (storage/db.py, the default) and
PostgreSQL (storage/pg.py, chosen by DATABASE_URL). Repositories take a `Connection` and
write SQL in the dialect both accept; neither engine's driver type leaks past storage/.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

import asyncpg


class Row(Protocol):
    """A result row: by column name or by position (aiosqlite.Row, asyncpg.Record)."""

    def __getitem__(self, key: str | int) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class Cursor(Protocol):
    rowcount: int
    lastrowid: int | None

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Any: ...


class Connection(Protocol):
    """One connection inside a transaction (or a read) of `Database`."""

    @property
    def in_transaction(self) -> bool: ...

    async def execute(self, sql: str, params: Iterable[Any] = ...) -> Any: ...

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ...) -> Iterable[Any]: ...

    async def execute_insert(self, sql: str, params: Iterable[Any] = ...) -> Any: ...

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any: ...


class Database(Protocol):
    """Serialised transactions on one engine; see storage/db.py for why serialised."""

    path: Path | str | None

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def checkpoint(self) -> tuple[int, int, int]: ...

    def transaction(self, lock: str | None = None) -> AbstractAsyncContextManager[Any]:
        """`lock`: a name held until the transaction ends, in every instance on the
        database (see `lock_key`)."""
        ...

    def statement(self) -> AbstractAsyncContextManager[Any]: ...

    def read(self) -> AbstractAsyncContextManager[Any]: ...

    async def fetchone(self, sql: str, params: Iterable[Any] = ...) -> Any: ...

    async def fetchall(self, sql: str, params: Iterable[Any] = ...) -> list[Any]: ...


DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError,
)
"""What a failing database raises, on either engine: the core answers "sorry, try again"."""


def lock_key(name: str) -> int:
    """The 64-bit advisory lock key of a name, for `Database.transaction(lock=name)`.

    Two updates from one chat reaching two instances at once (webhooks behind a load
    balancer) must not interleave their reads and writes of the same dialog. SQLite has one
    writer at a time anyway; PostgreSQL takes a transaction-scoped advisory lock on this
    key, sent with BEGIN in one round trip (so it is computed here, not by the server).
    """
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def make_database(
    url: str, path: Path | str, *, busy_timeout_ms: int = 5000, pool_size: int = 8
) -> Database:
    """PostgreSQL when a postgresql:// URL is given, else the SQLite file at `path`."""
    if url:
        from storage.pg import PgDatabase

        return PgDatabase(url, pool_size=pool_size)
    from storage.db import Database as SqliteDatabase

    return SqliteDatabase(path, busy_timeout_ms=busy_timeout_ms)


