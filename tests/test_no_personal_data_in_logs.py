"""Personal data never reaches the logs, even at DEBUG and through the messengers' libraries.

A whole coordinator's day over the real aiogram client and the fake Bot API, with every
logger at DEBUG: an application (name, e-mail, organisation, city), its approval, a
question to the tutor, a broadcast with the name in it (one intern blocked the bot, one
send fails with a 500 first), /progress, /export, /mydata and /forget. Not one log
line may hold a word the interns typed or a text the bot wrote them.
"""

from __future__ import annotations

import logging

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from tests.cohort import seed_intern
from tests.conftest import APPLICATION
from tests.e2e.telegram import COORDINATOR, telegram_chat

INTERN, OTHER = 2002, 2003
QUESTION = "Можно ли сдать работу в пятницу вечером?"
BROADCAST = "Дорогая {{ name }}, не забудьте про встречу"


async def test_nothing_personal_is_logged(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # every logger that may see a message, at DEBUG whatever an earlier test set it to
    for name in (None, "bot", "handlers", "messengers", "storage", "scenarios", "aiogram", "aiohttp",
                 "asyncio", "apscheduler", "matplotlib", "PIL"):
        caplog.set_level(logging.DEBUG, logger=name)
    async with telegram_chat(settings, clock) as tg:
        await tg.say(INTERN, "/start", first_name="Мария")
        for answer in APPLICATION:
            await tg.say(INTERN, answer)
        await tg.press(INTERN, "Москва (МСК)")
        await tg.press(INTERN, tg.labels(INTERN)[0])  # consent
        await tg.press(INTERN, tg.labels(INTERN)[0])  # send
        assert "одобрена" in (await tg.press(COORDINATOR, "✅ Одобрить"))[-1]
        await seed_intern(tg.app, str(OTHER), name="Орлова Ольга Игоревна", email="olga@example.ru",
                          platform="telegram")
        await tg.say(INTERN, "/ask")
        await tg.say(INTERN, QUESTION)

        tg.fake.block_user(OTHER)
        await tg.say(COORDINATOR, "/broadcast")
        await tg.say(COORDINATOR, BROADCAST)
        await tg.press(COORDINATOR, "👥 Всем интернам")
        await tg.press(COORDINATOR, "📤 Отправить сейчас (2)")
        tg.fake.fail_next("sendMessage", status=500)
        for _ in range(3):
            await tg.app.s.delivery.run_once()
            clock.advance(seconds=60)
        assert any(t.startswith("Дорогая Иванова Мария Петровна") for t in tg.fake.texts_to(INTERN))

        await tg.say(COORDINATOR, "/progress")
        await tg.say(COORDINATOR, "/export")
        assert "Иванова Мария Петровна" in "".join(await tg.say(INTERN, "/mydata"))
        await tg.say(INTERN, "/forget")
        await tg.press(INTERN, tg.labels(INTERN)[0])
        await tg.app.s.delivery.run_once()
        await tg.press(COORDINATOR, "Удалить данные")
        await tg.app.s.delivery.run_once()
        assert any("Ваши данные удалены" in t for t in tg.fake.texts_to(INTERN))

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "recipient unreachable" in logged  # the blocked intern was logged, without a name
    private = [*APPLICATION, "Мария", "Орлова", "olga@example.ru", QUESTION, "Дорогая",
               "Учитель начальных классов"]
    for word in private:
        assert word not in logged, f"{word!r} was logged"
