"""Reminders and the coordinator's controls end to end over the real Telegram adapter."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.settings import Settings
from storage import persons
from tests.e2e.telegram import COORDINATOR, telegram_chat

INTERN = 2002


async def test_a_coordinator_moves_a_meeting_and_the_intern_is_reminded_of_the_new_time(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        s = tg.app.s
        async with s.db.transaction() as conn:
            account, _ = await persons.ensure_account(
                conn, clock.now(), platform="telegram", user_ref=str(INTERN), chat_ref=str(INTERN),
                display_name="Мария", language_code="ru", locale="ru",
            )
            await persons.grant_role(conn, account.person_id, "intern", clock.now())
        [refusal] = await tg.say(INTERN, "/pause")
        assert "только координаторам" in refusal

        await tg.say(COORDINATOR, "/move")
        meeting = next(label for label in tg.labels(COORDINATOR) if "Встреча 1" in label)
        [ask] = await tg.press(COORDINATOR, meeting)
        assert "вторник, 8 декабря, 17:00" in ask
        [done] = await tg.say(COORDINATOR, "09.12.2026 18:30")
        assert "среда, 9 декабря, 18:30" in done

        clock.set(datetime(2026, 12, 9, 14, 30, tzinfo=UTC))  # an hour before, Moscow time
        await s.scheduler.tick()
        for _ in range(2):  # two reminders to one chat go a second apart (Telegram's limit)
            while await s.delivery.run_once():
                pass
            clock.advance(seconds=1)
        [reminder] = [t for t in tg.fake.texts_to(INTERN) if "Напоминание" in t]
        assert "среда, 9 декабря, 18:30" in reminder
        buttons = [b for row in tg.fake.buttons(INTERN) for b in row]
        assert buttons[0]["url"] == "https://zoom.example.org/j/1000000001"
