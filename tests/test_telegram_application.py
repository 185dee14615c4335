"""The application scenario end to end over HTTP: real app, real aiogram, fake Bot API."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import applications, persons
from tests.conftest import APPLICATION
from tests.e2e.telegram import COORDINATOR, telegram_chat

INTERN = 2002


async def test_intern_applies_in_telegram_and_coordinator_approves(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        fake = tg.fake
        first = await tg.say(INTERN, "/start", first_name="Мария")
        assert "Цифровая педагогическая интернатура" in first[0]
        assert "Вопрос 1 из 7" in first[-1]
        for answer in APPLICATION:
            await tg.say(INTERN, answer)
        assert "Москва (МСК)" in tg.labels(INTERN)
        await tg.press(INTERN, "Москва (МСК)")
        consent = tg.labels(INTERN)
        summary = await tg.press(INTERN, consent[0])
        assert "Иванова Мария Петровна" in summary[-1]
        done = await tg.press(INTERN, tg.labels(INTERN)[0])
        assert any("Заявка отправлена" in t for t in done)

        card = fake.texts_to(COORDINATOR)
        assert len(card) == 1 and "Новая заявка №1" in card[0]
        assert tg.labels(COORDINATOR) == ["✅ Одобрить", "❌ Отклонить"]
        approved = await tg.press(COORDINATOR, "✅ Одобрить")
        assert "одобрена" in approved[-1]
        told = fake.texts_to(INTERN)[-1]
        assert "одобрена" in told and "https://zoom.example.org/j/1000000001" in told

        # Every button press was answered, so no button kept spinning.
        pressed = [u["callback_query"]["id"] for u in fake.updates if "callback_query" in u]
        answered = [c["params"]["callback_query_id"] for c in fake.calls("answerCallbackQuery") if c["ok"]]
        assert sorted(answered) == sorted(pressed) and len(pressed) == 4
        # Telegram's limits held for everything sent.
        for call in fake.calls():
            assert call["ok"], call
        async with tg.app.s.db.read() as conn:
            app = await applications.get(conn, 1)
            assert app is not None and app.status == "approved"
            account = await persons.find_account_by_chat(conn, "telegram", str(INTERN))
            assert account is not None and account.person_id == app.person_id
