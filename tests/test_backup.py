"""`backup`: a consistent copy of a live database with a cohort in it, and a restore from it."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from storage.backup import backup
from storage.db import fetchone
from tests.cohort import seed_cohort
from tests.conftest import ConsoleChat, make_chat
from tests.internship_cohort import Intern, apply, enrol_cohort

pytestmark = pytest.mark.sqlite_only  # PostgreSQL deployments back up with pg_dump (docs/)


async def _count(chat: ConsoleChat, table: str) -> int:
    async with chat.app.s.db.read() as conn:
        row = await fetchone(conn, f'SELECT COUNT(*) AS n FROM "{table}"')
    assert row is not None
    return int(row["n"])


async def test_backup_while_the_bot_writes_then_restore_and_carry_on(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    app, chat = await make_chat(settings, clock)
    try:
        ids = await enrol_cohort(chat)
        await seed_cohort(app, 200)
        await app.s.db.checkpoint()
        stop = asyncio.Event()

        async def newcomers() -> int:
            """Applications keep arriving while the copy is made."""
            n = 0
            while not stop.is_set():
                n += 1
                await chat.say("/start", f"new{n}")
                await chat.say(f"Новикова Нина {n}", f"new{n}")
                await asyncio.sleep(0)
            return n

        writer = asyncio.create_task(newcomers())
        await asyncio.sleep(0.05)
        report = await backup(settings.database_path, tmp_path / "copy" / "backup.sqlite3")
        stop.set()
        written = await writer
        assert written > 1
        assert report.tables["persons"] >= len(ids) + 200
        live_persons = await _count(chat, "persons")
        assert live_persons >= report.tables["persons"]
    finally:
        await app.stop()

    # Restore as docs/ says: the bot stopped, the copy put where DATABASE_PATH points, the
    # old -wal and -shm files removed.
    restored = tmp_path / "restored" / "bot.sqlite3"
    restored.parent.mkdir()
    shutil.copy(report.path, restored)
    for suffix in ("-wal", "-shm"):
        Path(f"{restored}{suffix}").unlink(missing_ok=True)
    app2, chat2 = await make_chat(settings.model_copy(update={"database_path": restored}), clock)
    try:
        for table, rows in report.tables.items():
            if table != "sqlite_sequence":
                assert await _count(chat2, table) == rows, table
        # an intern from the copy is known, with their stage: /start does not ask to apply again
        replies = await chat2.say("/start", "ann")
        assert "уже одобрена" in replies[0].text
        # and a newcomer can apply on the restored database
        await apply(chat2, Intern("zoe", "Зуева Зоя Игоревна", "2", "A"))
        assert "заявк" in chat2.last("zoe").text.lower()
    finally:
        await app2.stop()


def test_backup_command(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_PATH": str(settings.database_path)}

    async def seed() -> None:
        app, _ = await make_chat(settings, FakeClock())
        try:
            await seed_cohort(app, 30)
        finally:
            await app.stop()

    asyncio.run(seed())
    out = tmp_path / "b.sqlite3"
    done = subprocess.run([sys.executable, "-m", "bot", "backup", "--out", str(out)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout and out.exists()
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "backup", "--out", str(tmp_path / "c.sqlite3")], cwd=tmp_path,
        env={**env, "DATABASE_PATH": str(tmp_path / "none.sqlite3")}, capture_output=True, text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert "no database" in missing.stderr
    assert not (tmp_path / "c.sqlite3").exists()
