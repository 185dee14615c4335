"""What one update costs the database: statements, transactions, and sent marks grouped.

On PostgreSQL every statement is a network round trip, so the count per update is what
the engine's rate on it depends on (docs/performance.md); these tests keep it from
creeping back up, and check the grouping of sent marks on both engines.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.messages import Incoming, Reply
from bot.settings import Settings
from storage import outbox
from storage.pg import PgConnection
from tests.conftest import ConsoleChat, make_chat


class Counted:
    """Counts `statement()` turns of a Database, and can make them fail. Each turn yields to
    the loop first, as a network round trip does (SQLite runs inline and never would)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.turns = 0
        self.fail: Exception | None = None

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Any]:
        self.turns += 1
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        async with self.db.statement() as conn:
            yield conn


async def queued(chat: ConsoleChat, count: int) -> list[int]:
    ids = []
    async with chat.app.s.db.transaction() as conn:
        for n in range(count):
            row_id = await outbox.enqueue(
                conn, idem_key=f"t:{n}", person_id=None, platform="console", chat_ref=f"c{n}",
                reply=Reply(f"текст {n}"), now=chat.app.s.clock.now(), kind="notice",
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


async def test_concurrent_senders_marks_are_written_together(chat: ConsoleChat) -> None:
    ids = await queued(chat, 5)
    marks = chat.app.s.delivery.marks
    counted = Counted(marks.db)
    marks.db = counted
    await asyncio.gather(*(marks.record([(i, f"m{i}")]) for i in ids))
    # the first writes its own row at once; the four that came meanwhile go in one statement
    assert counted.turns == 2
    async with chat.app.s.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT id, status, message_ref, attempts FROM outbox WHERE idem_key LIKE 't:%' ORDER BY id"
        )
    assert [(r["id"], r["status"], r["message_ref"], r["attempts"]) for r in rows] == [
        (i, "sent", f"m{i}", 1) for i in ids
    ]


async def test_a_failed_sent_mark_reaches_every_sender_and_rows_stay_pending(chat: ConsoleChat) -> None:
    ids = await queued(chat, 3)
    marks = chat.app.s.delivery.marks
    counted = Counted(marks.db)
    counted.fail = ConnectionError("database went away")
    marks.db = counted
    outcomes = await asyncio.gather(*(marks.record([(i, None)]) for i in ids), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    async with chat.app.s.db.read() as conn:
        assert await outbox.status_counts(conn, "t:") == {"pending": 3}
    counted.fail = None  # the database is back: the next sender is not stuck behind the failure
    await marks.record([(ids[0], "m")])
    async with chat.app.s.db.read() as conn:
        assert await outbox.status_counts(conn, "t:") == {"pending": 2, "sent": 1}


@pytest.fixture
def count_pg_statements(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Every statement a PgConnection sends, by its first words; BEGIN and COMMIT included."""
    seen: collections.Counter[str] = collections.Counter()
    for name in ("execute", "execute_fetchall", "executemany"):
        original = getattr(PgConnection, name)

        def counting(original: Any = original) -> Any:
            async def run(self: PgConnection, sql: str, *args: Any) -> Any:
                seen[" ".join(sql.split()[:4])] += 1
                return await original(self, sql, *args)
            return run

        monkeypatch.setattr(PgConnection, name, counting())
    return seen


@pytest.mark.sqlite_only  # about PostgreSQL: uses pg_url whatever the backend
async def test_an_answer_in_a_form_costs_few_round_trips_on_postgresql(
    settings: Settings, clock: FakeClock, pg_url: str, count_pg_statements: collections.Counter[str]
) -> None:
    app, chat = await make_chat(settings.model_copy(update={"database_url": pg_url}), clock)
    try:
        await chat.say("/start", "intern")
        count_pg_statements.clear()
        transactions = 0
        original = app.s.db.transaction

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal transactions
            transactions += 1
            return original(*args, **kwargs)

        app.s.db.transaction = counting  # type: ignore[method-assign]
        replies = await chat.say("Иванова Мария Петровна", "intern")
        assert "почты" in replies[-1].text  # the next question: the e-mail
        seen, during = collections.Counter(count_pg_statements), transactions
    finally:
        await app.stop()
    statements = sum(seen.values())
    # the update's transaction (its BEGIN carries the chat's lock), and inside it: the person
    # arriving with their roles, dialog and progress in the form, that progress saved, the next
    # question written (already claimed); then the reply recorded sent (the console has no
    # update ids; a messenger's is claimed in the arriving statement: the test below)
    assert during == 1, seen
    assert statements <= 4, seen
    read_again = ("SELECT * FROM dialog_state", "SELECT * FROM form_progress")
    assert not any(k.startswith(read_again) for k in seen), seen
    assert not any(k.startswith("UPDATE outbox SET claimed_by") for k in seen)
    assert seen["UPDATE outbox SET status"] == 1


@pytest.mark.sqlite_only  # about PostgreSQL: uses pg_url whatever the backend
async def test_a_messengers_update_id_is_claimed_without_a_round_trip_of_its_own(
    settings: Settings, clock: FakeClock, pg_url: str, count_pg_statements: collections.Counter[str]
) -> None:
    """Telegram, VK and MAX updates carry an id, claimed so that a re-delivery is ignored: on
    PostgreSQL the claim goes in the statement that touches the account."""
    app, chat = await make_chat(settings.model_copy(update={"database_url": pg_url}), clock)
    try:
        await chat.say("/start", "intern")
        count_pg_statements.clear()
        update = Incoming("console", "intern", "intern", text="Иванова Мария Петровна", update_ref="tg-1")
        await app.core.handle(update)
        assert "почты" in chat.last("intern").text
        seen = collections.Counter(count_pg_statements)
        await app.core.handle(update)  # delivered again: one statement, rolled back
        again = collections.Counter(count_pg_statements) - seen
    finally:
        await app.stop()
    assert seen["WITH claim AS (INSERT"] == 1, seen
    assert "INSERT OR IGNORE INTO" not in seen, seen  # no claim of its own
    assert sum(seen.values()) <= 4, seen
    assert again == collections.Counter({"WITH claim AS (INSERT": 1}), again


@pytest.mark.sqlite_only  # about PostgreSQL: uses pg_url whatever the backend
async def test_statements_are_prepared_once_per_connection_under_a_name(
    settings: Settings, clock: FakeClock, pg_url: str
) -> None:
    app, chat = await make_chat(settings.model_copy(update={"database_url": pg_url}), clock)
    try:
        for text in ("/start", "Иванова Мария Петровна", "maria@example.ru"):
            await chat.say(text, "intern")
        names: collections.Counter[str] = collections.Counter()
        pool = len(app.s.db._all)
        for conn in app.s.db._all:  # each pooled connection's own prepared statements
            for row in await conn.raw.fetch("SELECT name, statement FROM pg_prepared_statements"):
                if "FROM dialog_state WHERE person_id" in row["statement"]:
                    names[row["statement"]] += 1
                    assert row["name"].startswith("internbot_")
    finally:
        await app.stop()
    assert names, "the dialog's read was not kept prepared"
    assert all(n <= pool for n in names.values()), names  # once per connection at most
