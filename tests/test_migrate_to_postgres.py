"""`migrate-to-postgres`: a cohort in the SQLite file carries on in PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from storage.db import fetchone
from storage.transfer import TransferError, sqlite_to_postgres
from tests.cohort import seed_cohort
from tests.conftest import ConsoleChat, make_chat
from tests.internship_cohort import Intern, apply, enrol_cohort

pytestmark = pytest.mark.sqlite_only  # the source is the SQLite file; the target is pg_url


async def _counts(chat: ConsoleChat, tables: list[str]) -> dict[str, int]:
    out = {}
    async with chat.app.s.db.read() as conn:
        for table in tables:
            row = await fetchone(conn, f'SELECT COUNT(*) AS n FROM "{table}"')
            assert row is not None
            out[table] = int(row["n"])
    return out


async def test_a_cohort_moves_and_carries_on(settings: Settings, clock: FakeClock, pg_url: str) -> None:
    app, chat = await make_chat(settings, clock)
    try:
        await enrol_cohort(chat)
        await seed_cohort(app, 150)
        await chat.say("/ask", "ann")
        await chat.say("Когда сдавать домашнее задание?", "ann")
        before = await _counts(chat, ["persons", "applications", "outbox", "teams", "roles", "tickets"])
    finally:
        await app.stop()

    report = await sqlite_to_postgres(settings.database_path, pg_url)
    assert {t: report.tables[t] for t in before} == before
    assert report.tables["persons"] >= 150 + 6

    moved = settings.model_copy(update={"database_url": pg_url})
    app2, chat2 = await make_chat(moved, clock)
    try:
        assert await _counts(chat2, list(before)) == before
        replies = await chat2.say("/start", "ann")
        assert "уже одобрена" in replies[0].text
        await apply(chat2, Intern("zoe", "Зуева Зоя Игоревна", "2", "A"))
        assert "заявк" in chat2.last("zoe").text.lower()  # a new id past the copied ones
        async with app2.s.db.read() as conn:
            row = await fetchone(conn, "SELECT MAX(id) AS m FROM applications")
        assert row is not None and row["m"] == before["applications"] + 1
    finally:
        await app2.stop()

    with pytest.raises(TransferError, match="already has data"):
        await sqlite_to_postgres(settings.database_path, pg_url)


def test_the_command(settings: Settings, pg_url: str, tmp_path: Path) -> None:
    import asyncio

    async def seed() -> None:
        app, _ = await make_chat(settings, FakeClock())
        try:
            await seed_cohort(app, 20)
        finally:
            await app.stop()

    asyncio.run(seed())
    env = {**os.environ, "DATABASE_PATH": str(settings.database_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "migrate-to-postgres", "--to", pg_url],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "persons: 21" in done.stdout  # 20 interns and the coordinator from settings
    again = subprocess.run([sys.executable, "-m", "bot", "migrate-to-postgres", "--to", pg_url],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "Nothing was copied" in again.stderr
