"""The application scenario end to end over HTTP: real app, real vk_api, fake VK API."""

from __future__ import annotations

import json

from bot.clock import FakeClock
from bot.settings import Settings
from storage import applications, persons
from tests.conftest import APPLICATION
from tests.e2e.vk import COORDINATOR, vk_chat

INTERN = 2002


async def test_intern_applies_in_vk_and_coordinator_approves(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        fake = vk.fake
        first = await vk.say(INTERN, "Начать", payload={"command": "start"})
        assert "Цифровая педагогическая интернатура" in first[0]
        assert "Вопрос 1 из 7" in first[-1]
        for answer in APPLICATION:
            await vk.say(INTERN, answer)
        assert "Москва (МСК)" in vk.labels(INTERN)
        await vk.press(INTERN, "Москва (МСК)")
        summary = await vk.press(INTERN, vk.labels(INTERN)[0])
        assert "Иванова Мария Петровна" in summary[-1]
        done = await vk.press(INTERN, vk.labels(INTERN)[0])
        assert any("Заявка отправлена" in t for t in done)

        card = fake.texts_to(COORDINATOR)
        assert len(card) == 1 and "Новая заявка №1" in card[0]
        board = fake.keyboard_of(COORDINATOR)
        assert board is not None and board["inline"] is True
        actions = [b["action"] for row in board["buttons"] for b in row]
        assert [a["type"] for a in actions] == ["callback", "callback", "callback"]  # ok, no, fix
        assert json.loads(actions[0]["payload"]) == {"p": "app|1|ok"}
        approved = await vk.press(COORDINATOR, "✅ Одобрить")
        assert "одобрена" in approved[-1]
        told = fake.texts_to(INTERN)[-1]
        assert "одобрена" in told and "https://zoom.example.org/j/1000000001" in told

        # Every callback press was answered with messages.sendMessageEventAnswer.
        pressed = {e["object"]["event_id"] for e in fake.events if e["type"] == "message_event"}
        answered = {c["params"]["event_id"] for c in fake.calls("messages.sendMessageEventAnswer") if c["ok"]}
        assert answered == pressed and len(pressed) == 4
        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
        assert all(c["params"]["v"] == "5.199" for c in fake.calls())
        assert fake.duplicates == []
        async with vk.app.s.db.read() as conn:
            app = await applications.get(conn, 1)
            assert app is not None and app.status == "approved"
            account = await persons.find_account_by_chat(conn, "vk", str(INTERN))
            assert account is not None and account.person_id == app.person_id
