"""A ticket's whole life over HTTP: the real app and aiogram against the fake Bot API."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.clock import FakeClock
from bot.settings import Settings
from storage import tickets
from tests.e2e.telegram import COORDINATOR, TelegramChat, telegram_chat
from tests.ticket_setup import intern_with_tutor

INTERN, TUTOR = 2002, 3003


async def _cast(tg: TelegramChat) -> None:
    await tg.say(INTERN, "/help", first_name="Мария")
    await tg.say(TUTOR, "/help", first_name="Татьяна")
    await tg.say(COORDINATOR, "/help")
    await intern_with_tutor(tg.app, "telegram", INTERN, TUTOR)


async def test_ticket_life_in_telegram_with_answers_by_reply(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        fake = tg.fake
        await _cast(tg)
        assert "Напишите ваш вопрос" in (await tg.say(INTERN, "/ask"))[0]
        before = len(fake.messages_to(TUTOR))
        await tg.handled(fake.send_photo(INTERN, caption="Почему не грузится презентация?"))
        assert "Вопрос #1 отправлен" in fake.texts_to(INTERN)[-1]

        card = fake.messages_to(TUTOR)[before:]
        assert len(card) == 1 and "Новый вопрос #1" in card[0]["caption"]
        assert "Мария" in card[0]["caption"] and card[0]["photo"]  # forwarded by file id
        assert tg.labels(TUTOR) == ["✍️ Ответить", "👀 Взять", "✅ Закрыть", "🔺 Передать координатору"]

        # the tutor answers by replying to the card in Telegram
        card_id = fake.last_bot_message(TUTOR, with_keyboard=True)["message_id"]  # type: ignore[index]
        sent = len(fake.texts_to(INTERN))
        done = await tg.say(TUTOR, "Сожмите файл до 20 МБ.", reply_to_message_id=card_id)
        assert "Ответ на вопрос #1 отправлен" in done[0]
        answer = fake.texts_to(INTERN)[sent:]
        assert len(answer) == 1 and "Ответ тьютора на ваш вопрос #1" in answer[0]
        assert "«Почему не грузится презентация?»" in answer[0] and "Сожмите файл" in answer[0]
        assert "Татьяна" not in answer[0]
        assert tg.labels(INTERN) == ["👍 Помогло", "❓ Спросить ещё"]

        # the intern replies to the answer: the same ticket, back to the tutor
        answer_id = fake.last_bot_message(INTERN, with_keyboard=True)["message_id"]  # type: ignore[index]
        told = len(fake.texts_to(TUTOR))
        added = await tg.say(INTERN, "Получилось, спасибо!", reply_to_message_id=answer_id)
        assert "Добавлено к вопросу #1" in added[0]
        assert "Получилось, спасибо!" in fake.texts_to(TUTOR)[told]
        await tg.press(INTERN, "👍 Помогло")
        async with tg.app.s.db.read() as conn:
            assert (await tickets.get(conn, 1)).status == "closed"  # type: ignore[union-attr]

        # a second question nobody takes goes to the coordinator after 4 working hours
        await tg.say(INTERN, "/ask Где запись встречи?")
        clock.advance(timedelta(hours=4))
        await tg.app.s.scheduler.tick()
        await tg.app.s.delivery.run_once()
        assert "Вопрос #2 требует координатора" in fake.texts_to(COORDINATOR)[-1]

        # the tutor's own command menu offers the queue (roles were granted in the database)
        await tg.adapter.set_menus()
        scope = json.dumps([{"chat_id": TUTOR, "type": "chat"}, ""], sort_keys=True)
        assert "queue" in [c["command"] for c in fake.commands[scope]]

        for call in fake.calls():  # Telegram's limits held for everything sent
            assert call["ok"], call
