"""Fault drills: the database is locked by another process, or full, in the middle of a form.

Each time the person gets the polite "try again in a minute", nothing of the failed
update remains in any table, and the same answer works once storage is back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from tests.conftest import APPLICATION, ConsoleChat, make_chat

pytestmark = pytest.mark.sqlite_only  # a locked or full SQLite file; PostgreSQL fails its own ways

TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


async def snapshot(chat: ConsoleChat) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a failed update left nothing behind."""
    async with chat.app.s.db.read() as conn:
        tables = [r[0] for r in await conn.execute_fetchall(TABLES_SQL)]
        return {t: [tuple(r) for r in await conn.execute_fetchall(f"SELECT * FROM {t}")] for t in tables}


def sorry(chat: ConsoleChat) -> str:
    return chat.app.s.texts.get("ru", "common.try_again_later")


async def start_form(chat: ConsoleChat, answers: int) -> None:
    await chat.say("/start", "intern")
    for answer in APPLICATION[:answers]:
        await chat.say(answer, "intern")


async def step_of(chat: ConsoleChat) -> int:
    async with chat.app.s.db.read() as conn:
        rows = await conn.execute_fetchall("SELECT step FROM form_progress WHERE form_id = 'application'")
    return rows[0][0]


async def test_database_locked_by_another_process(settings: Settings, clock: FakeClock) -> None:
    app, chat = await make_chat(settings.model_copy(update={"database_busy_timeout_ms": 50}), clock)
    try:
        await start_form(chat, 1)
        before = await snapshot(chat)
        other = sqlite3.connect(settings.database_path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            replies = await chat.say(APPLICATION[1], "intern")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [r.text for r in replies] == [sorry(chat)]
        assert await snapshot(chat) == before

        replies = await chat.say(APPLICATION[1], "intern")
        assert "Вопрос 3 из 7" in replies[-1].text
        assert await step_of(chat) == 2
    finally:
        await app.stop()


async def test_database_full_mid_update(chat: ConsoleChat) -> None:
    """A real SQLITE_FULL: the file may not grow by one more page (PRAGMA max_page_count).

    The form's answer is saved first and the reply is written to the outbox after it, so
    whichever write hits the limit, the failed update had already written something that
    must be rolled back.
    """
    await start_form(chat, 0)
    conn = chat.app.s.db.conn
    pages = (await conn.execute_fetchall("PRAGMA page_count"))[0][0]
    await conn.execute(f"PRAGMA max_page_count = {pages}")
    failed_at = None
    for number, answer in enumerate(APPLICATION):
        before = await snapshot(chat)
        replies = await chat.say(answer, "intern")
        if replies[-1].text == sorry(chat):
            assert len(replies) == 1
            assert await snapshot(chat) == before
            failed_at = number
            break
    assert failed_at is not None, "the database never filled up; make the limit tighter"
    await conn.execute("PRAGMA max_page_count = 1073741823")
    replies = await chat.say(APPLICATION[failed_at], "intern")
    assert f"Вопрос {failed_at + 2} из 7" in replies[-1].text
    assert await step_of(chat) == failed_at + 1


def fail_on(chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch, prefix: str) -> Callable[[], int]:
    """Make the next statement starting with `prefix` fail as a full disk does; count failures."""
    conn = chat.app.s.db.conn
    failures = 0

    def failing(real: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
        def call(sql: str, parameters: Any = None) -> Any:
            nonlocal failures
            if sql.startswith(prefix) and failures == 0:
                failures += 1
                raise sqlite3.OperationalError("database or disk is full")
            return real(sql, parameters)

        return call

    monkeypatch.setattr(conn, "execute", failing(conn.execute))
    monkeypatch.setattr(conn, "executemany", failing(conn.executemany))  # rows marked sent together
    monkeypatch.setattr(conn, "execute_fetchall", failing(conn.execute_fetchall))  # INSERT … RETURNING
    return lambda: failures


async def test_disk_full_on_the_outbox_write_rolls_back_the_answer_and_the_claim(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failing write comes after the answer and the update's dedup claim were written."""
    await start_form(chat, 2)
    before = await snapshot(chat)
    failures = fail_on(chat, monkeypatch, "INSERT INTO outbox")
    await chat.send(text=APPLICATION[2], update_ref="u-77")
    assert failures() == 1
    assert chat.new("intern")[-1].text == sorry(chat)
    assert await snapshot(chat) == before  # no answer, no claim of u-77, no reply row

    await chat.send(text=APPLICATION[2], update_ref="u-77")  # the messenger re-delivers it
    assert "Вопрос 4 из 7" in chat.new("intern")[-1].text
    assert await step_of(chat) == 3


async def test_a_failed_commit_does_not_leave_the_transaction_open(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_form(chat, 1)
    before = await snapshot(chat)
    failures = fail_on(chat, monkeypatch, "COMMIT")
    replies = await chat.say(APPLICATION[1], "intern")
    assert failures() == 1
    assert [r.text for r in replies] == [sorry(chat)]
    assert not chat.app.s.db.conn.in_transaction
    assert await snapshot(chat) == before
    replies = await chat.say(APPLICATION[1], "intern")
    assert "Вопрос 3 из 7" in replies[-1].text


async def test_storage_failing_after_the_reply_was_sent_does_not_break_the_update(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording "sent" fails after the messenger took the reply: the answer is kept, the
    adapter gets no exception, and the reply stays pending for the outbox loop. That row
    is the one message this failure can repeat (at-least-once; VK drops it by random_id).
    """
    await start_form(chat, 1)
    failures = fail_on(chat, monkeypatch, "UPDATE outbox SET status = 'sent'")
    replies = await chat.say(APPLICATION[1], "intern")
    assert failures() == 1
    assert "Вопрос 3 из 7" in replies[-1].text
    assert await step_of(chat) == 2
    async with chat.app.s.db.read() as conn:
        pending = await conn.execute_fetchall("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
    assert pending[0][0] == 1
    assert await chat.app.s.delivery.run_once() == 1
