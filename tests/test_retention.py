"""OUTBOX_RETENTION_DAYS: sent texts are blanked after the period, counts and keys stay."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.messages import Reply
from bot.settings import Settings
from storage import outbox, retention
from storage.db import fetchall
from storage.erasure import BLANK_BODY
from tests.conftest import ConsoleChat, fill_application, make_chat


async def _bodies(chat: ConsoleChat) -> dict[str, str]:
    async with chat.app.s.db.read() as conn:
        rows = await fetchall(conn, "SELECT idem_key, body FROM outbox")
    return {r["idem_key"]: r["body"] for r in rows}


async def test_sent_texts_are_blanked_after_the_period_and_counts_kept(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await fill_application(chat)
    start = clock.now()
    async with chat.app.s.db.transaction() as conn:
        # one message still waiting (a reminder for next year) must keep its text
        await outbox.enqueue(conn, idem_key="later:1", person_id=None, platform="console",
                             chat_ref="intern", reply=Reply("Напоминание: вебинар"),
                             now=start, not_before=start.replace(year=start.year + 1))
        counts_before = await outbox.status_counts(conn)
    sent = {k: b for k, b in (await _bodies(chat)).items() if k != "later:1"}
    assert sent and all(b != BLANK_BODY for b in sent.values())
    assert any("Иванова Мария" in b for b in sent.values())  # personal data in the texts

    clock.advance(days=89)
    await chat.app.s.scheduler.tick()
    assert await _bodies(chat) == {**sent, "later:1": (await _bodies(chat))["later:1"]}

    clock.advance(days=2)
    await chat.app.s.scheduler.tick()
    bodies = await _bodies(chat)
    assert all(bodies[k] == BLANK_BODY for k in sent)
    assert "Напоминание" in bodies["later:1"]
    async with chat.app.s.db.read() as conn:
        assert await outbox.status_counts(conn) == counts_before
        assert await retention.unblanked_before(conn, clock.now()) == 0
        # the keys stay: the same message is still never queued twice
        again = await outbox.enqueue(conn, idem_key=next(iter(sent)), person_id=None,
                                     platform="console", chat_ref="intern", reply=Reply("x"),
                                     now=clock.now())
    assert again is None


async def test_a_backlog_is_worked_off_in_batches(chat: ConsoleChat, clock: FakeClock) -> None:
    now = clock.now()
    async with chat.app.s.db.transaction() as conn:
        for n in range(retention.BATCH + 50):
            await outbox.enqueue(conn, idem_key=f"old:{n}", person_id=None, platform="console",
                                 chat_ref="x", reply=Reply(f"текст {n}"), now=now)
        await conn.execute("UPDATE outbox SET status = 'sent', sent_at = created_at")
    clock.advance(days=100)
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.read() as conn:
        assert await retention.unblanked_before(conn, clock.now()) == 50
    clock.advance(seconds=15)  # the next tick, not an hour later: more was waiting
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.read() as conn:
        assert await retention.unblanked_before(conn, clock.now()) == 0


async def test_zero_days_keeps_every_text(settings: Settings, clock: FakeClock) -> None:
    app, chat = await make_chat(settings.model_copy(update={"outbox_retention_days": 0}), clock)
    try:
        await fill_application(chat)
        before = await _bodies(chat)
        clock.advance(days=400)
        await app.s.scheduler.tick()
        assert await _bodies(chat) == before
    finally:
        await app.stop()
