"""PostgreSQL behind the same small interface as the SQLite file (asyncpg underneath).

Repositories are written once, in SQL both engines take; what PostgreSQL spells
differently is translated here and nowhere else:
- `?` placeholders become `$1, $2…`; `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`;
  the comment `/*SKIP LOCKED*/` (a claim's candidates) becomes `FOR UPDATE SKIP LOCKED`,
  which SQLite neither has nor needs (one writer at a time); SQLite's null-safe
  `a IS b` / `a IS NOT b` become `IS [NOT] DISTINCT FROM`; `INDEXED BY` hints are dropped;
- `group_concat(x)` of one column becomes PostgreSQL's `string_agg`;
- SQLite's `instr`, `group_concat`, `julianday` and `json_extract` (of a `$.key` path, as
  text) exist as PostgreSQL functions
  (COMPAT below), so queries keep their one spelling;
- in the migrations, `INTEGER PRIMARY KEY` (SQLite's row id) becomes `SERIAL PRIMARY KEY`,
  BLOB becomes BYTEA and REAL DOUBLE PRECISION.
asyncpg is strict about parameter types where SQLite converts: a statement's parameter
types come from PostgreSQL when it is prepared, and values are converted to them (an id
that arrived as text in a button payload, a flag given as a bool).

Transactions run side by side on a small pool of connections (PgDatabase says why);
instances share the database through PostgreSQL's own locks (`FOR UPDATE SKIP LOCKED`,
advisory locks), as transactions within one instance do.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import asyncpg

from storage.connection import lock_key
from storage.db import DatabaseUnavailable, migration_scripts

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x1B07_0001
"""pg_advisory_lock key held while migrating (any fixed number of our own)."""
STATEMENT_CACHE = 1024
"""Prepared statements kept per connection; queries with IN-lists of many lengths rotate."""

COMPAT = r"""
CREATE OR REPLACE FUNCTION instr(text, text) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT strpos($1, $2)';
CREATE OR REPLACE FUNCTION json_extract(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT ($1::jsonb) #>> string_to_array(substr($2, 3), ''.'')';
CREATE OR REPLACE FUNCTION julianday(text) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS
    'SELECT extract(epoch FROM $1::timestamptz)::double precision / 86400.0 + 2440587.5';
CREATE OR REPLACE FUNCTION internbot_concat_step(acc text, item text) RETURNS text
    LANGUAGE sql IMMUTABLE AS
    'SELECT CASE WHEN item IS NULL THEN acc WHEN acc IS NULL THEN item ELSE acc || '','' || item END';
DO $$ BEGIN
    CREATE AGGREGATE group_concat(text) (SFUNC = internbot_concat_step, STYPE = text);
EXCEPTION WHEN duplicate_function THEN NULL;
END $$;
DO $$ BEGIN
    CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
"""
"""Run at every start (each statement is idempotent), before the migrations that use it.
SQLite's NOCASE folds ASCII only; the ICU collation here folds Cyrillic too."""

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")
_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_BEGIN_IMMEDIATE = re.compile(r"^\s*BEGIN\s+IMMEDIATE\b", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", re.IGNORECASE)
_GROUP_CONCAT = re.compile(r"\bgroup_concat\((DISTINCT\s+)?([^(),]+)\)", re.IGNORECASE)


def translate(sql: str) -> str:
    """One statement in the shared dialect -> the same statement for PostgreSQL."""
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)  # a quoted literal or name: left as written
        counter += 1
        return f"${counter}"

    out = _TOKENS.sub(number, sql)
    if _OR_IGNORE.search(out):
        out = _OR_IGNORE.sub("INSERT INTO", out)
        returning = _RETURNING.search(out)
        if returning:
            out = f"{out[:returning.start()]}ON CONFLICT DO NOTHING {out[returning.start():]}"
        else:
            out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    out = out.replace("/*SKIP LOCKED*/", "FOR UPDATE SKIP LOCKED")
    out = _INDEXED_BY.sub("", out)  # a SQLite planner hint; PostgreSQL plans by itself
    out = _IS_NOT.sub("IS DISTINCT FROM ", out)  # SQLite's null-safe a IS NOT b
    out = _IS.sub("IS NOT DISTINCT FROM ", out)
    # PostgreSQL's own aggregate: the SQL-language one in COMPAT has its body parsed again
    # on every execution (perf showed the parser in every update's account read)
    out = _GROUP_CONCAT.sub(lambda m: f"string_agg({m.group(1) or ''}({m.group(2)})::text, ',')", out)
    return _BEGIN_IMMEDIATE.sub("BEGIN", out)


_DDL = [
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.IGNORECASE), "SERIAL PRIMARY KEY"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
]


def translate_script(script: str) -> str:
    """A migration file (SQLite DDL) -> PostgreSQL DDL."""
    for pattern, replacement in _DDL:
        script = pattern.sub(replacement, script)
    return script


_INTS = {"int2", "int4", "int8", "oid"}
_FLOATS = {"float4", "float8", "numeric"}
_TEXTS = {"text", "varchar", "bpchar", "name", "unknown"}
_NATIVE = {"text": str, "varchar": str, "int4": int, "int8": int, "int2": int, "float8": float, "bool": bool}
"""A value already of its parameter's Python type goes as it is (most do: no call to coerce)."""


def coerce(value: Any, type_name: str) -> Any:
    """Give asyncpg the Python type it expects for this parameter (SQLite would convert)."""
    if value is None:
        return None
    if type_name in _INTS:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if type_name in _FLOATS:
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, (int, str)):
            return float(value) if type_name != "numeric" else value
        return value
    if type_name in _TEXTS:
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, (int, float)):
            return str(value)
        return value
    if type_name == "bool" and isinstance(value, (int, str)):
        return bool(int(value))
    return value


class PgCursor:
    """What callers read after `execute`: rows changed, and rows returned if any."""

    def __init__(self, rows: list[asyncpg.Record], status: str) -> None:
        self._rows = rows
        self.rowcount = _affected(status)
        self.lastrowid: int | None = None

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        return list(self._rows)

    async def close(self) -> None:
        return None


def _affected(status: str) -> int:
    """asyncpg's status tag ("UPDATE 3", "INSERT 0 1") -> the count SQLite's rowcount gives."""
    parts = status.split()
    return int(parts[-1]) if parts and parts[-1].isdigit() else -1


class Prepared(NamedTuple):
    """A prepared statement and its parameters' type names, read once: asyncpg builds the
    type list anew on every `get_parameters()` (about 4 µs, on each of an update's ~11 statements)."""

    stmt: asyncpg.prepared_stmt.PreparedStatement
    types: tuple[str, ...]


class PgConnection:
    """The part of aiosqlite's connection API the repositories use, on one asyncpg connection."""

    dialect = "postgres"

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self._names = 0

    @property
    def in_transaction(self) -> bool:
        return self.raw.is_in_transaction()

    async def _statement(self, sql: str) -> Prepared:
        prepared = self._prepared.get(sql)
        if prepared is None:
            # Named, so that the server parses and plans it once per connection: asyncpg
            # prepares an unnamed statement when its own cache is off, and an unnamed one is
            # parsed again, in a write of its own, on every execution (measured: twice the
            # writes per update, and a plan per statement). Evicted ones are closed by asyncpg.
            self._names += 1
            stmt = await self.raw.prepare(translate(sql), name=f"internbot_{self._names}")
            prepared = Prepared(stmt, tuple(t.name for t in stmt.get_parameters()))
            self._prepared[sql] = prepared
            if len(self._prepared) > STATEMENT_CACHE:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(sql)
        return prepared

    @staticmethod
    def _args(prepared: Prepared, params: Sequence[Any]) -> list[Any]:
        types = prepared.types
        if len(types) != len(params):
            raise asyncpg.InterfaceError(f"the statement takes {len(types)} parameters, {len(params)} given")
        return [v if v is None or _NATIVE.get(t) is type(v) else coerce(v, t)
                for v, t in zip(params, types, strict=True)]

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        params = tuple(params)
        if not params and _is_control(sql):
            status = await self.raw.execute(translate(sql))
            return PgCursor([], status)
        prepared = await self._statement(sql)
        rows = await prepared.stmt.fetch(*self._args(prepared, params))
        return PgCursor(rows, prepared.stmt.get_statusmsg() or "")

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        prepared = await self._statement(sql)
        return await prepared.stmt.fetch(*self._args(prepared, tuple(params)))

    async def execute_insert(self, sql: str, params: Iterable[Any] = ()) -> tuple[int] | None:
        """Insert and return the new row's id, as SQLite's last_insert_rowid would."""
        if not _RETURNING.search(sql):
            sql = sql.rstrip().rstrip(";") + " RETURNING id"
        rows = await self.execute_fetchall(sql, params)
        return (int(rows[0][0]),) if rows else None

    async def executemany(self, sql: str, seq: Iterable[Iterable[Any]]) -> None:
        prepared = await self._statement(sql)
        await prepared.stmt.executemany([self._args(prepared, tuple(p)) for p in seq])

    async def executescript(self, script: str) -> None:
        await self.raw.execute(script)


def _is_control(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "CREATE", "DROP", "ALTER"}


class PgDatabase:
    """The Database interface (transaction, statement, read) on PostgreSQL, over a small
    pool of connections.

    SQLite has one writer at a time, so the SQLite file serialises this process's
    transactions behind one lock. Here that would put every update in one line of network
    round trips and commit flushes (measured: an eighth of SQLite's rate). Instead each
    transaction takes a connection of its own: PostgreSQL isolates them, one chat's updates
    still go one at a time (`transaction(lock=…)`, an advisory lock), and what two transactions
    may both want is claimed in the database, as between two instances.
    """

    dialect = "postgres"

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        self.path = None
        self.pool_size = max(1, pool_size)
        self._conn: PgConnection | None = None
        self._idle: asyncio.Queue[PgConnection] = asyncio.Queue()
        self._all: list[PgConnection] = []

    @property
    def conn(self) -> PgConnection:
        """The first connection: migrations and the schema use it before the pool opens."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def _connect(self) -> PgConnection:
        try:
            raw = await asyncpg.connect(self.url, statement_cache_size=0)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(f"cannot connect to PostgreSQL: {type(exc).__name__}: {exc}") from exc
        conn = PgConnection(raw)
        self._all.append(conn)
        return conn

    async def open(self) -> None:
        self._conn = await self._connect()
        await self._own_schema()
        await self._migrate()
        self._idle.put_nowait(self._conn)
        for _ in range(self.pool_size - 1):
            self._idle.put_nowait(await self._connect())

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[PgConnection]:
        """A connection for one transaction or statement; a broken one is replaced."""
        if self._conn is None:  # closed (or never opened): waiting for a connection would be forever
            raise RuntimeError("database is not open")
        conn = await self._idle.get()
        try:
            if conn.raw.is_closed():
                # connect first: if that fails the closed one goes back, to be tried again
                # (removing it first made the next try's remove() raise ValueError)
                fresh = await self._connect()
                self._all.remove(conn)
                conn = fresh
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def _own_schema(self) -> None:
        """`?search_path=NAME` in DATABASE_URL puts the bot in a schema of its own (created
        here when missing), for a database shared with other applications."""
        first = str(await self.conn.raw.fetchval("SHOW search_path")).split(",")[0].strip()
        if first and first != '"$user"' and first != "public":
            await self.conn.raw.execute(f"CREATE SCHEMA IF NOT EXISTS {first}")

    async def _migrate(self) -> int:
        """The same numbered files as SQLite, translated; an advisory lock lets one
        instance migrate while another starting at the same moment waits for it."""
        raw = self.conn.raw
        await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await raw.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            applied = {r[0] for r in await raw.fetch("SELECT version FROM schema_migrations")}
            await raw.execute(COMPAT)
            for version, name, sql in migration_scripts():
                if version in applied:
                    continue
                log.info("applying migration %s", name)
                async with raw.transaction():
                    await raw.execute(translate_script(sql))
                    await raw.execute(
                        "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", version, name
                    )
                applied.add(version)
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return max(applied, default=0)

    async def close(self) -> None:
        for conn in self._all:
            if not conn.raw.is_closed():
                await conn.raw.close()
        self._all.clear()
        self._idle = asyncio.Queue()
        self._conn = None

    async def checkpoint(self) -> tuple[int, int, int]:
        """SQLite's WAL checkpoint has no counterpart here: PostgreSQL manages its own log."""
        return (0, 0, 0)

    @asynccontextmanager
    async def transaction(self, lock: str | None = None) -> AsyncIterator[PgConnection]:
        """`lock`: an advisory lock taken in the same round trip as BEGIN."""
        async with self._acquire() as conn:
            if lock is None:
                await conn.raw.execute("BEGIN")
            else:  # a simple query may hold two statements; the key is an integer we made
                await conn.raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({lock_key(lock)})")
            try:
                yield conn
                await conn.raw.execute("COMMIT")
            except BaseException:
                if not conn.raw.is_closed() and conn.in_transaction:
                    await conn.raw.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[PgConnection]:
        async with self._acquire() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConnection]:
        """Reads see only committed data (PostgreSQL's isolation), so no lock is needed."""
        async with self._acquire() as conn:
            yield conn

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        async with self.read() as conn:
            rows = await conn.execute_fetchall(sql, params)
            return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        async with self.read() as conn:
            return await conn.execute_fetchall(sql, params)
