"""What tables and references the database has, asked of whichever engine it is.

Merging two people (storage/linking.py) moves every row that points at a person, in
tables it was never told about; an erasure test checks every table. Both ask the
engine's own catalogue, which is the one place where the two engines differ in kind.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.db import fetchall


def is_postgres(conn: Connection) -> bool:
    return getattr(conn, "dialect", "sqlite") == "postgres"


async def tables(conn: Connection) -> list[str]:
    if is_postgres(conn):
        rows = await fetchall(
            conn, "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
    else:
        rows = await fetchall(
            conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name",
        )
    return [r["name"] for r in rows if r["name"] != "schema_migrations"]


async def person_references(conn: Connection) -> list[tuple[str, str]]:
    """(table, column) of every column that refers to a person, except in persons itself:
    foreign keys to persons(id), and columns named person_id."""
    found: set[tuple[str, str]] = set()
    if is_postgres(conn):
        for r in await fetchall(
            conn,
            "SELECT cl.relname AS tbl, a.attname AS col FROM pg_constraint c"
            " JOIN pg_class cl ON cl.oid = c.conrelid"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.contype = 'f' AND c.confrelid = to_regclass('persons')",
        ):
            found.add((r["tbl"], r["col"]))
        for r in await fetchall(
            conn, "SELECT table_name AS tbl FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'person_id'",
        ):
            found.add((r["tbl"], "person_id"))
    else:
        for name in await tables(conn):
            for fk in await fetchall(conn, f"PRAGMA foreign_key_list('{name}')"):
                if fk["table"] == "persons":
                    found.add((name, fk["from"]))
            for col in await fetchall(conn, f"PRAGMA table_info('{name}')"):
                if col["name"] == "person_id":
                    found.add((name, "person_id"))
    return sorted(f for f in found if f[0] != "persons")


async def unique_keys(conn: Connection, table: str) -> list[list[str]]:
    """The column lists of the table's primary key and unique indexes (partial ones too:
    taking them as whole is the cautious reading for a merge)."""
    keys: list[list[str]] = []
    if is_postgres(conn):
        rows = await fetchall(
            conn,
            "SELECT i.indexrelid AS idx, a.attname AS col, array_position(i.indkey::int2[], a.attnum) AS pos"
            " FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
            " WHERE i.indrelid = to_regclass(?) AND i.indisunique ORDER BY idx, pos",
            (table,),
        )
        by_index: dict[int, list[str]] = {}
        for r in rows:
            by_index.setdefault(int(r["idx"]), []).append(r["col"])
        keys = list(by_index.values())
    else:
        for index in await fetchall(conn, f"PRAGMA index_list('{table}')"):
            if index["unique"]:
                cols = await fetchall(conn, f"PRAGMA index_info('{index['name']}')")
                keys.append([c["name"] for c in sorted(cols, key=lambda c: c["seqno"])])
        pk = [c for c in await fetchall(conn, f"PRAGMA table_info('{table}')") if c["pk"]]
        if pk:
            keys.append([c["name"] for c in sorted(pk, key=lambda c: c["pk"])])
    return keys
