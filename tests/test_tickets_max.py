"""A ticket over MAX: asked with a photo, answered by a MAX reply (real maxapi, fake MAX API)."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import tickets
from tests.e2e.max import MaxChat, max_chat
from tests.ticket_setup import intern_with_tutor

INTERN, TUTOR = 2002, 3003


async def _cast(mx: MaxChat) -> None:
    await mx.start(INTERN)
    await mx.start(TUTOR)
    await intern_with_tutor(mx.app, "max", INTERN, TUTOR)


async def test_ticket_with_a_photo_answered_by_a_max_reply(settings: Settings, clock: FakeClock) -> None:
    async with max_chat(settings, clock) as mx:
        fake = mx.fake
        await _cast(mx)
        sent = await mx.say(INTERN, "/ask Как найти шаблон отчёта?")
        assert "Вопрос #1 отправлен" in sent[0]
        card = fake.last_bot_message(TUTOR, with_keyboard=True)
        assert card is not None and "Новый вопрос #1" in card["body"]["text"]
        assert "✍️ Ответить" in mx.labels(TUTOR)

        # the intern adds a photo to the open question: the tutor gets it by its MAX token
        await mx.press(INTERN, mx.labels(INTERN)[0])
        seq = fake.send_file(INTERN, "image")
        photo = fake.updates[-1]["message"]["body"]["attachments"][0]["payload"]["token"]
        await mx.pushed(INTERN, seq)
        images = [a for a in fake.attachments_to(TUTOR) if a["type"] == "image"]
        assert images and images[-1]["payload"]["token"] == photo

        done = await mx.say(TUTOR, "В разделе «Материалы».", reply_to_mid=card["body"]["mid"])
        assert "Ответ на вопрос #1 отправлен" in done[0]
        answer = fake.texts_to(INTERN)[-1]
        assert "Ответ тьютора на ваш вопрос #1" in answer and "В разделе «Материалы»." in answer
        await mx.press(INTERN, "👍 Помогло")
        async with mx.app.s.db.read() as conn:
            found = await tickets.get(conn, 1)
        assert found is not None and found.status == "closed"
        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
