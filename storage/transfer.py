"""`migrate-to-postgres`: a running internship moves from the SQLite file to PostgreSQL.

For a coordinator who started small: every table is copied whole, in one PostgreSQL
transaction (a failure leaves the target as it was), parents before children so the
foreign keys hold, with COPY (fast for hundreds of thousands of outbox rows). Row counts
are compared table by table before the commit, and each id sequence is set past the
highest id copied, so the next application gets a fresh number.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import Database as SqliteDatabase
from storage.pg import PgDatabase, coerce

SKIP = {"schema_migrations", "sqlite_sequence"}
"""Bookkeeping of each engine, not data: the target has its own, made by the migrations."""


class TransferError(Exception):
    """The copy cannot be made or did not match; nothing was written to the target."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    tables: dict[str, int]


async def sqlite_to_postgres(source: Path, url: str) -> TransferReport:
    if not Path(source).exists():
        raise TransferError(f"no database at {source}")
    # Bring the file to the current schema first, as starting the bot would.
    sqlite_db = SqliteDatabase(source)
    await sqlite_db.open()
    await sqlite_db.close()
    target = PgDatabase(url)
    await target.open()
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            return await _copy(src, target)
        finally:
            src.close()
    finally:
        await target.close()


async def _copy(src: sqlite3.Connection, target: PgDatabase) -> TransferReport:
    raw = target.conn.raw
    tables = _in_dependency_order(src)
    schema = await raw.fetchval("SELECT current_schema()")
    counts: dict[str, int] = {}
    async with raw.transaction():
        for table in tables:
            if await raw.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                raise TransferError(f"the PostgreSQL database already has data (table {table}): "
                                    "copy into an empty one")
        for table in tables:
            types = {r["column_name"]: r["udt_name"] for r in await raw.fetch(
                "SELECT column_name, udt_name FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = $2", schema, table)}
            if not types:
                raise TransferError(f"table {table} is missing in PostgreSQL (run the same version)")
            columns = [c for c in _columns(src, table) if c in types]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = src.execute(f'SELECT {names} FROM "{table}"').fetchall()
            records = [tuple(_value(v, types[c]) for v, c in zip(row, columns, strict=True)) for row in rows]
            if records:
                await raw.copy_records_to_table(table, records=records, columns=columns, schema_name=schema)
            copied = await raw.fetchval(f'SELECT COUNT(*) FROM "{table}"')
            if copied != len(rows):
                raise TransferError(f"table {table}: {len(rows)} rows in SQLite, {copied} in PostgreSQL")
            counts[table] = copied
            if "id" in columns and types["id"] in ("int4", "int8"):
                await raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                    f' COALESCE((SELECT MAX(id) FROM "{table}"), 1),'
                    f' (SELECT MAX(id) FROM "{table}") IS NOT NULL)'
                )
    return TransferReport(counts)


def _value(value: Any, udt: str) -> Any:
    if udt == "bytea" and isinstance(value, str):
        return value.encode()
    return coerce(value, udt)


def _columns(src: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]


def _in_dependency_order(src: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    tables = [n for n in names if n not in SKIP and not n.startswith("sqlite_")]
    parents = {t: {r[2] for r in src.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:  # a cycle of references: none here today, but never loop forever
            ready = [t for t in tables if t not in ordered]
        ordered.extend(ready)
    return ordered
