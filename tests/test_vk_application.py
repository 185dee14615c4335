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
        told, note = fake.texts_to(INTERN)[-2:]
        assert "одобрена" in told and "https://zoom.example.org/j/1000000001" in told

        # The menu stays under the input field: a regular keyboard that does not hide.
        assert "внизу экрана" in note
        menu = fake.keyboard_of(INTERN)
        assert menu is not None and menu["inline"] is False and menu["one_time"] is False
        keys = [b["action"] for row in menu["buttons"] for b in row]
        assert [json.loads(a["payload"])["p"] for a in keys] == [
            "menu|next", "menu|deadlines", "ev|list", "ask", "menu|progress"]
        deadlines = await vk.press(INTERN, "⏰ Мои сроки")
        assert len(deadlines) == 1 and "Ваши сроки" in deadlines[0]

        # Every callback press was answered with messages.sendMessageEventAnswer.
        pressed = {e["object"]["event_id"] for e in fake.events if e["type"] == "message_event"}
        answered = {c["params"]["event_id"] for c in fake.calls("messages.sendMessageEventAnswer") if c["ok"]}
        assert answered == pressed and len(pressed) == 5  # 4 in the application, 1 menu key
        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
        assert all(c["params"]["v"] == "5.199" for c in fake.calls())
        assert fake.duplicates == []
        async with vk.app.s.db.read() as conn:
            app = await applications.get(conn, 1)
            assert app is not None and app.status == "approved"
            account = await persons.find_account_by_chat(conn, "vk", str(INTERN))
            assert account is not None and account.person_id == app.person_id
