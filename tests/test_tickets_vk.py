"""A ticket answered by a VK reply, over the fake VK API (real vk_api client)."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import tickets
from tests.e2e.vk import VkChat, vk_chat
from tests.ticket_setup import intern_with_tutor

INTERN, TUTOR = 2002, 3003


async def _cast(vk: VkChat) -> None:
    await vk.say(INTERN, "/help")
    await vk.say(TUTOR, "/help")
    await intern_with_tutor(vk.app, "vk", INTERN, TUTOR)


async def test_ticket_answered_by_a_vk_reply(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        fake = vk.fake
        await _cast(vk)
        sent = await vk.say(INTERN, "/ask Как найти шаблон отчёта?")
        assert "Вопрос #1 отправлен" in sent[0]
        card = fake.last_bot_message(TUTOR, with_keyboard=True)
        assert card is not None and "Новый вопрос #1" in card["text"]
        assert "✍️ Ответить" in vk.labels(TUTOR)

        done = await vk.say(TUTOR, "В разделе «Материалы».", reply_to_message_id=card["id"])
        assert "Ответ на вопрос #1 отправлен" in done[0]
        answer = fake.texts_to(INTERN)[-1]
        assert "Ответ тьютора на ваш вопрос #1" in answer and "В разделе «Материалы»." in answer
        await vk.press(INTERN, "👍 Помогло")
        async with vk.app.s.db.read() as conn:
            found = await tickets.get(conn, 1)
        assert found is not None and found.status == "closed"
