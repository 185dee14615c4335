"""Schema migrations: an empty file gets the whole schema; an old file is upgraded in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import db as dbmod
from storage.db import Database, migration_scripts


async def test_empty_database_gets_every_migration(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    await db.open()
    try:
        rows = await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [v for v, _, _ in migration_scripts()]
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk is not None and fk[0] == 1
    finally:
        await db.close()


async def test_upgrade_keeps_data_and_runs_only_new_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    first = migration_scripts()[:1]
    monkeypatch.setattr(dbmod, "migration_scripts", lambda: first)
    db = Database(path)
    await db.open()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO persons(full_name, created_at) VALUES ('Old Person', '2026-01-01')"
        )
    await db.close()

    extra = (999, "0999_test.sql", "ALTER TABLE persons ADD COLUMN nickname TEXT;")
    monkeypatch.setattr(dbmod, "migration_scripts", lambda: [*migration_scripts_all, extra])
    db = Database(path)
    await db.open()
    try:
        row = await db.fetchone("SELECT full_name, nickname FROM persons")
        assert row is not None and row["full_name"] == "Old Person" and row["nickname"] is None
        versions = await db.fetchall("SELECT version FROM schema_migrations")
        assert versions[-1]["version"] == 999
    finally:
        await db.close()
    db = Database(path)
    await db.open()  # applying again is a no-op, not a "duplicate column" error
    await db.close()


migration_scripts_all = migration_scripts()


async def test_failed_migration_leaves_nothing_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (999, "0999_broken.sql", "CREATE TABLE t1(x); INSERT INTO nowhere VALUES (1);")
    monkeypatch.setattr(dbmod, "migration_scripts", lambda: [*migration_scripts_all, broken])
    db = Database(tmp_path / "b.sqlite3")
    with pytest.raises(Exception, match="nowhere"):
        await db.open()
    await db.close()
    monkeypatch.setattr(dbmod, "migration_scripts", lambda: migration_scripts_all)
    db = Database(tmp_path / "b.sqlite3")
    await db.open()
    try:
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 't1'") is None
    finally:
        await db.close()
