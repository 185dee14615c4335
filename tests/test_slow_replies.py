"""The chart and the workbook are built outside the update's transaction.

The database is one connection under one lock: a chart or an XLSX built inside the
transaction (even in a worker thread) would stall every other chat, the outbox and the
scheduler for the seconds it takes. Here the builder is held in its worker thread until
another person's update has been answered; were the lock still held, that update would
wait for the builder and the test would time out.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from handlers.coordination import charts, exports
from tests.cohort import seed_cohort
from tests.conftest import ConsoleChat


def _held(real: Callable[..., bytes], started: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    def slow(*args: Any) -> bytes:
        started.set()
        release.wait(30)
        return real(*args)
    return slow


@pytest.mark.parametrize(("command", "module", "name", "kind"), [
    ("/progress", charts, "stage_bars", "photo"),
    ("/export", exports, "to_xlsx", "document"),
    ("/export csv", exports, "to_csv_zip", "document"),
])
async def test_others_are_answered_while_a_file_is_built(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch, command: str, module: object, name: str,
    kind: str,
) -> None:
    await seed_cohort(chat.app, 3)
    started, release = threading.Event(), threading.Event()
    monkeypatch.setattr(module, name, _held(getattr(module, name), started, release))
    asked = asyncio.create_task(chat.say(command, "alice"))
    try:
        assert await asyncio.to_thread(started.wait, 30)
        meanwhile = await asyncio.wait_for(chat.say("/help", "i1"), 10)
        assert meanwhile and "Я бот интернатуры" in meanwhile[0].text
        async with chat.app.s.db.read() as conn:  # and the database answers too
            assert await conn.execute_fetchall("SELECT 1")
        assert not asked.done()
    finally:
        release.set()
        replies = await asked  # also when failing: the app must not stop under it
    files = [r.file for r in replies if r.file is not None]
    assert len(files) == 1 and files[0].kind == kind and files[0].data
    assert replies[-1].file is files[0]  # after the text it belongs to


async def test_a_builder_that_fails_gets_the_polite_apology(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_cohort(chat.app, 1)

    def broken(*args: Any) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(exports, "to_xlsx", broken)
    replies = await chat.say("/export", "alice")
    assert [r.text for r in replies] == [chat.app.s.texts.get("ru", "common.try_again_later")]
    assert "Я бот интернатуры" in (await chat.say("/help", "alice"))[0].text  # nothing stuck
