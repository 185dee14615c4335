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


OTHER_INTERN, OTHER_TUTOR = 2005, 3006


async def test_not_answered_escalates_is_reassigned_and_other_teams_tutor_is_refused(
    settings: Settings, clock: FakeClock
) -> None:
    """Over Telegram: a taken question left unanswered for 24 h reaches the coordinator, who
    passes it to another tutor; the old tutor's buttons and a foreign tutor's forged
    callbacks, typed /ticket and replies get the same refusal and learn nothing."""
    async with telegram_chat(settings, clock) as tg:
        fake = tg.fake
        await _cast(tg)
        await tg.say(OTHER_INTERN, "/help", first_name="Олег")
        await tg.say(OTHER_TUTOR, "/help", first_name="Пётр")
        await intern_with_tutor(tg.app, "telegram", OTHER_INTERN, OTHER_TUTOR, "Команда 2")

        await tg.say(INTERN, "/ask Секрет команды 1: как сдать видео больше 2 ГБ?")
        old_card = fake.last_bot_message(TUTOR, with_keyboard=True)
        await tg.press(TUTOR, "👀 Взять")
        taken_note = fake.last_bot_message(TUTOR, with_keyboard=True)
        assert old_card is not None and taken_note is not None
        assert "Новый вопрос #1" in old_card["text"] and "за вами" in taken_note["text"]

        # the tutor of team 2 may not open, take or answer it by any route
        seen = len(fake.texts_to(OTHER_TUTOR))
        for data in ("tk|1|s", "tk|1|r", "tk|1|t", "tk|1|c", "tk|1|p", "tk|1|a"):
            await press_data(tg, OTHER_TUTOR, data)
        await tg.say(OTHER_TUTOR, "/ticket 1")
        refusals = fake.texts_to(OTHER_TUTOR)[seen:]
        assert len(refusals) == 7 and all("недоступен вам" in t for t in refusals), refusals
        assert not any("Секрет" in t for t in refusals)
        assert "Открытых вопросов нет" in (await tg.say(OTHER_TUTOR, "/queue"))[0]

        # taken but not answered: nothing before 24 h, one notice at 24 h, never twice
        clock.advance(timedelta(hours=23, minutes=59))
        await tick(tg)
        assert not any("требует координатора" in t for t in fake.texts_to(COORDINATOR))
        clock.advance(timedelta(minutes=1))
        await tick(tg)
        escalated = [t for t in fake.texts_to(COORDINATOR) if "требует координатора" in t]
        assert len(escalated) == 1 and "интерн давно ждёт ответа" in escalated[0]
        assert "Тьютор: Татьяна" in escalated[0]
        await tick(tg)
        assert len([t for t in fake.texts_to(COORDINATOR) if "требует координатора" in t]) == 1

        # the coordinator reassigns it to the tutor of team 2 with the card's buttons
        await tg.press(COORDINATOR, "🔁 Переназначить")
        assert tg.labels(COORDINATOR) == ["Пётр (Команда 2)"]
        done = await tg.press(COORDINATOR, "Пётр (Команда 2)")
        assert "Вопрос #1 передан: Пётр" in done[0]
        card = fake.last_bot_message(OTHER_TUTOR, with_keyboard=True)
        assert card is not None and "Вам передан вопрос #1" in card["text"]
        async with tg.app.s.db.read() as conn:
            moved = await tickets.get(conn, 1)
        assert moved is not None and moved.status == "open"

        # the former tutor's old card no longer works, by button or by a messenger reply
        fake.press_button(TUTOR, "tk|1|r", old_card["message_id"])
        await tg.handled(fake.updates[-1]["update_id"])
        assert "недоступен вам" in fake.texts_to(TUTOR)[-1]
        for message in (old_card, taken_note):
            told = await tg.say(TUTOR, "Отвечаю всё-таки я", reply_to_message_id=message["message_id"])
            assert "недоступен вам" in told[0]

        # the new tutor answers by replying to the card; the intern sees "your tutor" only
        before = len(fake.texts_to(INTERN))
        await tg.say(OTHER_TUTOR, "Загрузите на облачный диск и пришлите ссылку.",
                     reply_to_message_id=card["message_id"])
        answer = fake.texts_to(INTERN)[before:]
        assert len(answer) == 1 and "Ответ тьютора на ваш вопрос #1" in answer[0]
        assert "Пётр" not in answer[0] and "Отвечаю всё-таки я" not in answer[0]
        async with tg.app.s.db.read() as conn:
            answered = await tickets.get(conn, 1)
        assert answered is not None and answered.status == "answered"

        for call in fake.calls():
            assert call["ok"], call


async def press_data(tg: TelegramChat, user: int, data: str) -> None:
    """Press a button with this callback data (a forged or stale one) on the user's chat."""
    fake = tg.fake
    last = fake.last_bot_message(user)
    assert last is not None
    fake.press_button(user, data, last["message_id"])
    await tg.handled(fake.updates[-1]["update_id"])


async def tick(tg: TelegramChat) -> None:
    await tg.app.s.scheduler.tick()
    await tg.app.s.delivery.run_once()
