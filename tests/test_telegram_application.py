"""The application scenario end to end over HTTP: real app, real aiogram, fake Bot API."""

from __future__ import annotations

import json

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
        assert tg.labels(COORDINATOR) == ["✅ Одобрить", "❌ Отклонить", "✏️ Вернуть на доработку"]
        approved = await tg.press(COORDINATOR, "✅ Одобрить")
        assert "одобрена" in approved[-1]
        told, note = fake.texts_to(INTERN)[-2:]
        assert "одобрена" in told and "https://zoom.example.org/j/1000000001" in told

        # The menu stays under the input field as a reply keyboard; a tap sends its label.
        assert "внизу экрана" in note
        keyboard = fake.reply_keyboard(INTERN)
        assert keyboard is not None and keyboard["is_persistent"] and keyboard["resize_keyboard"]
        assert fake.reply_keys(INTERN) == [
            "👉 Что дальше", "⏰ Мои сроки", "📅 Встречи", "💬 Вопрос тьютору", "📊 Мой прогресс"]
        deadlines = await tg.tap(INTERN, "⏰ Мои сроки")
        assert len(deadlines) == 1 and "Ваши сроки" in deadlines[0]
        typed = await tg.say(INTERN, "что дальше?")  # the label typed, not tapped
        assert any(t.startswith("Дальше: Встреча 1") for t in typed)

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


async def test_command_menus_per_language_and_coordinator_scope(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock) as tg:
        await tg.say(INTERN, "/help")  # polling has started, so the menus were set
        menus = {key: [c["command"] for c in commands] for key, commands in tg.fake.commands.items()}
        default_ru = json.dumps([{"type": "default"}, ""], sort_keys=True)
        default_en = json.dumps([{"type": "default"}, "en"], sort_keys=True)
        coordinator = json.dumps([{"chat_id": COORDINATOR, "type": "chat"}, ""], sort_keys=True)
        assert menus[default_ru] == ["start", "help", "back", "link", "myteam", "mydata", "forget", "verify"]
        assert menus[default_en] == menus[default_ru]
        # later features append their own commands: look at these ones only
        assert menus[coordinator][:5] == ["start", "help", "back", "applications", "link"]
        for command in ("invite", "roles", "teams", "broadcast", "progress", "export", "tickets",
                        "move", "pause", "resume", "schedule", "events", "absences", "openstage"):
            assert command in menus[coordinator]
        described = tg.fake.commands[default_en]
        assert described[0]["description"] == "Start or continue"
        # A tutor granted in the database gets a menu of their own from the next start.
        async with tg.app.s.db.transaction() as conn:
            account = await persons.find_account(conn, "telegram", str(INTERN))
            assert account is not None
            await persons.grant_role(conn, account.person_id, "tutor", clock.now())
        await tg.adapter.set_menus()
        tutor = json.dumps([{"chat_id": INTERN, "type": "chat"}, ""], sort_keys=True)
        tutor_menu = [c["command"] for c in tg.fake.commands[tutor]]
        assert "applications" not in tutor_menu and "broadcast" not in tutor_menu
        assert "teams" in tutor_menu and "progress" in tutor_menu


async def test_webhook_mode_checks_the_secret(
    settings: Settings, clock: FakeClock, unused_tcp_port: int
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/tg/hook"
    kw = {"webhook_url": url, "webhook_secret": "s3cr3t", "webhook_listen": f"127.0.0.1:{unused_tcp_port}"}
    async with telegram_chat(settings, clock, adapter_kw=kw) as tg:
        fake = tg.fake
        await fake.wait_for(lambda: fake.webhook_url == url)
        assert fake.webhook_secret == "s3cr3t" and fake.calls("getUpdates") == []
        fake.send_text(INTERN, "/start")
        await fake.wait_for(lambda: len(fake.texts_to(INTERN)) >= 2)
        assert "Цифровая педагогическая интернатура" in fake.texts_to(INTERN)[0]
        await fake.wait_for(lambda: fake.webhook_deliveries)
        assert [d["status"] for d in fake.webhook_deliveries] == [200]
        # Someone who does not know the secret is refused and nothing is handled.
        forged = fake.build_text_update(INTERN, "/help")
        for secret in (None, "wrong"):
            status, _ = await fake.post_update_to(url, forged, secret)
            assert status == 403
        sent = len(fake.texts_to(INTERN))
        status, _ = await fake.post_update_to(url, forged, "s3cr3t")
        assert status == 200 and len(fake.texts_to(INTERN)) > sent


async def test_command_menu_follows_roles_granted_and_revoked_while_running(
    settings: Settings, clock: FakeClock
) -> None:
    async with telegram_chat(settings, clock, adapter_kw={"menu_refresh_s": 0}) as tg:
        await tg.say(INTERN, "/help")
        sent = len(tg.fake.calls("setMyCommands"))
        await tg.say(INTERN, "/help")
        assert len(tg.fake.calls("setMyCommands")) == sent  # nothing changed: nothing re-sent
        tutor = json.dumps([{"chat_id": INTERN, "type": "chat"}, ""], sort_keys=True)
        assert tutor not in tg.fake.commands
        async with tg.app.s.db.transaction() as conn:
            account = await persons.find_account(conn, "telegram", str(INTERN))
            assert account is not None
            await persons.grant_role(conn, account.person_id, "tutor", clock.now())
        await tg.say(INTERN, "/help")  # the next poll after the grant rebuilds the menus
        assert "teams" in [c["command"] for c in tg.fake.commands[tutor]]
        assert len(tg.fake.calls("setMyCommands")) == sent + 1  # only the changed chat
        async with tg.app.s.db.transaction() as conn:
            await persons.revoke_role(conn, account.person_id, "tutor")
        await tg.say(INTERN, "/help")
        assert tutor not in tg.fake.commands  # deleteMyCommands: back to the default menu
        assert [c["ok"] for c in tg.fake.calls("deleteMyCommands")] == [True]
