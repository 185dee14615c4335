"""New applications reach coordinators as a digest: a burst is two messages, not a card each."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.settings import BUNDLED_PROGRAM, Settings
from scenarios.loader import ProgrammeError, load_programme, parse_programme
from scenarios.models import CoordinatorNotices
from storage import application_digests, applications, persons
from tests.conftest import APPLICATION, ConsoleChat, fill_application, make_chat
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import TelegramChat, telegram_chat
from tests.e2e.vk import COORDINATOR as VK_COORDINATOR
from tests.e2e.vk import VkChat, vk_chat

WINDOW = timedelta(minutes=15)


async def close_window(chat: ConsoleChat, clock: FakeClock, after: timedelta = WINDOW) -> dict[str, int]:
    clock.advance(after)
    done = await chat.app.s.scheduler.tick()
    await chat.app.s.delivery.run_once()
    return done


async def burst(chat: ConsoleChat, clock: FakeClock, users: list[str], spread: timedelta) -> None:
    """Each user applies; together they take `spread` of the clock."""
    step = spread / max(len(users), 1)
    for user in users:
        await fill_application(chat, user)
        clock.advance(step)


async def _outbox_keys(chat: ConsoleChat, pattern: str) -> list[str]:
    async with chat.app.s.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT idem_key FROM outbox WHERE idem_key LIKE ? ORDER BY id", (pattern,))
    return [r["idem_key"] for r in rows]


async def test_300_applications_in_a_minute_are_two_messages_to_a_coordinator(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await chat.say("/help", "alice")
    chat.new("alice")
    await burst(chat, clock, [f"u{n}" for n in range(300)], timedelta(minutes=1))
    first = chat.new("alice")
    assert len(first) == 1 and "Новая заявка №1" in first[0].text  # the first one at once
    assert first[0].buttons[0][0].payload == "app|1|ok"

    assert (await close_window(chat, clock, WINDOW - timedelta(minutes=2)))["application_digest"] == 0
    assert chat.new("alice") == []  # the window is still open
    await close_window(chat, clock, timedelta(minutes=1))
    digest = chat.new("alice")
    assert [r.text for r in digest] == ["📬 Пришло 299 новых заявок. Всего ждут решения: 300.\n"
                                        "Отметьте нужные в списке и решите по ним сразу."]
    assert [(b.label, b.payload) for row in digest[0].buttons for b in row] == [
        ("📋 Рассмотреть заявки", "apl|p|0")]
    assert len(first) + len(digest) == 2  # the issue asks at most 5
    assert (await close_window(chat, clock))["application_digest"] == 0  # once only
    assert chat.new("alice") == []

    chat.as_user("alice")
    await chat.press("apl|p|0")  # the digest's button opens the review list
    page = chat.last("alice")
    assert page.text.startswith("На рассмотрении 300 заявок, здесь с 1 по 10:")
    assert [b.payload for b in page.buttons[0]] == ["apl|t|1|0", "apl|t|2|0"]


async def test_digest_counts_only_applications_still_waiting(chat: ConsoleChat, clock: FakeClock) -> None:
    await burst(chat, clock, ["u1", "u2", "u3", "u4"], timedelta(seconds=40))
    chat.as_user("alice")
    await chat.press("apl|t|3|0")
    await chat.press("apl|ok|0")
    await chat.press("apl|y|ok")  # №3 approved while the window is open
    chat.new("alice")
    await close_window(chat, clock)
    assert chat.new("alice")[0].text.startswith("📬 Пришли 2 новые заявки. Всего ждут решения: 3.")


async def test_one_waiting_application_comes_as_its_card(chat: ConsoleChat, clock: FakeClock) -> None:
    await burst(chat, clock, ["u1", "u2"], timedelta(seconds=10))
    chat.new("alice")
    await close_window(chat, clock)
    card = chat.new("alice")
    assert len(card) == 1 and "Новая заявка №2" in card[0].text
    assert card[0].buttons[0][0].payload == "app|2|ok"


async def test_nothing_left_waiting_means_no_digest(chat: ConsoleChat, clock: FakeClock) -> None:
    await burst(chat, clock, ["u1", "u2"], timedelta(seconds=10))
    chat.as_user("alice")
    await chat.press("app|2|ok")  # decided before the window closed
    chat.new("alice")
    assert (await close_window(chat, clock))["application_digest"] == 0
    assert chat.new("alice") == []
    # the spell after a window with nothing to say was quiet: the next one comes at once
    await fill_application(chat, "u3")
    assert "Новая заявка №3" in chat.new("alice")[0].text


async def test_a_steady_stream_is_one_message_a_window(chat: ConsoleChat, clock: FakeClock) -> None:
    await fill_application(chat, "u1")  # 0:00, at once
    clock.advance(minutes=5)
    await fill_application(chat, "u2")  # held
    clock.advance(minutes=5)
    await fill_application(chat, "u3")  # held
    chat.new("alice")
    await close_window(chat, clock, timedelta(minutes=5))  # 0:15 digest of 2
    assert "Пришли 2 новые заявки" in chat.new("alice")[0].text
    clock.advance(minutes=5)
    await fill_application(chat, "u4")  # 0:20: coordinators were told 5 minutes ago: held
    await fill_application(chat, "u5")
    assert chat.new("alice") == []
    await close_window(chat, clock, timedelta(minutes=5))  # 0:25: not yet
    assert chat.new("alice") == []
    await close_window(chat, clock, timedelta(minutes=5))  # 0:30
    assert "Пришли 2 новые заявки. Всего ждут решения: 5." in chat.new("alice")[0].text
    await close_window(chat, clock, timedelta(minutes=30))  # a quiet spell
    await fill_application(chat, "u6")
    assert "Новая заявка №6" in chat.new("alice")[0].text


async def test_restart_in_the_middle_of_the_window_loses_and_repeats_nothing(
    settings: Settings, clock: FakeClock
) -> None:
    app, chat = await make_chat(settings, clock)
    await burst(chat, clock, ["u1", "u2", "u3"], timedelta(seconds=30))
    assert len(chat.all("alice")) == 1
    await app.stop()

    app, chat = await make_chat(settings, clock)
    try:
        clock.advance(minutes=5)
        await chat.app.s.scheduler.tick()
        assert chat.all("alice") == []
        await close_window(chat, clock, timedelta(minutes=10))
        assert [r.text.split(".")[0] for r in chat.all("alice")] == ["📬 Пришли 2 новые заявки"]
        await close_window(chat, clock)
        assert len(chat.all("alice")) == 1
        assert len(await _outbox_keys(chat, "appdigest:%")) == 1
        assert await _outbox_keys(chat, "app:%:new:%") == ["app:1:new:1"]
    finally:
        await app.stop()


async def test_each_application_as_a_card_when_the_programme_says_so(
    settings: Settings, clock: FakeClock
) -> None:
    bundled = load_programme(BUNDLED_PROGRAM)
    programme = bundled.model_copy(update={"coordinators": CoordinatorNotices(new_applications="each")})
    app, chat = await make_chat(settings, clock, programme=programme)
    try:
        await burst(chat, clock, ["u1", "u2", "u3"], timedelta(seconds=30))
        cards = chat.new("alice")
        assert [r.text.splitlines()[0] for r in cards] == [
            "📝 Новая заявка №1", "📝 Новая заявка №2", "📝 Новая заявка №3"]
        await close_window(chat, clock)
        assert chat.new("alice") == []
    finally:
        await app.stop()


async def test_coordinators_added_later_get_the_digest_and_see_everything(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await burst(chat, clock, ["u1", "u2", "u3"], timedelta(seconds=30))
    await chat.say("/help", "bob")
    async with chat.app.s.db.transaction() as conn:
        bob = await persons.find_account(conn, "console", "bob")
        assert bob is not None
        await persons.grant_role(conn, bob.person_id, "coordinator", clock.now())
    chat.new("bob")
    await close_window(chat, clock)
    assert chat.new("bob")[0].text.startswith("📬 Пришли 2 новые заявки")  # he never got №1's card
    await chat.say("/help", "carol")
    async with chat.app.s.db.transaction() as conn:
        carol = await persons.find_account(conn, "console", "carol")
        assert carol is not None
        await persons.grant_role(conn, carol.person_id, "coordinator", clock.now())
    page = (await chat.say("/applications", "carol"))[-1]
    assert page.text.startswith("На рассмотрении 3 заявки:")
    assert [b.payload for row in page.buttons[:2] for b in row] == ["apl|t|1|0", "apl|t|2|0", "apl|t|3|0"]


def test_digest_settings_are_checked_in_the_programme_file() -> None:
    good = BUNDLED_PROGRAM.read_text(encoding="utf-8")
    assert parse_programme(good).coordinators == CoordinatorNotices(
        new_applications="digest", application_digest_minutes=15)
    for old, new in [("new_applications: digest", "new_applications: weekly"),
                     ("application_digest_minutes: 15", "application_digest_minutes: 0")]:
        assert old in good
        with pytest.raises(ProgrammeError, match=r"coordinators\."):
            parse_programme(good.replace(old, new), "p.yaml")


async def _apply_in_telegram(tg: TelegramChat, user: int) -> None:
    await tg.say(user, "/start", first_name="Мария")
    for answer in APPLICATION:
        await tg.say(user, answer)
    await tg.press(user, "Москва (МСК)")
    await tg.press(user, tg.labels(user)[0])  # consent
    done = await tg.press(user, tg.labels(user)[0])  # submit
    assert any("Заявка отправлена" in t for t in done)


async def test_burst_digest_and_bulk_approval_in_telegram(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        fake = tg.fake
        interns = [2001, 2002, 2003, 2004]
        for user in interns:
            await _apply_in_telegram(tg, user)
            clock.advance(seconds=10)
        assert [t.splitlines()[0] for t in fake.texts_to(TG_COORDINATOR)] == ["📝 Новая заявка №1"]
        clock.advance(minutes=15)
        await tg.app.s.scheduler.tick()
        await tg.app.s.delivery.run_once()
        texts = fake.texts_to(TG_COORDINATOR)
        assert len(texts) == 2 and texts[1].startswith("📬 Пришли 3 новые заявки. Всего ждут решения: 4.")
        assert tg.labels(TG_COORDINATOR) == ["📋 Рассмотреть заявки"]

        page = await tg.press(TG_COORDINATOR, "📋 Рассмотреть заявки")
        assert page[-1].startswith("На рассмотрении 4 заявки:")
        assert tg.labels(TG_COORDINATOR)[:4] == [f"☐ {n} Иванова М. П." for n in (1, 2, 3, 4)]
        await tg.press(TG_COORDINATOR, "☐ 2 Иванова М. П.")
        assert tg.labels(TG_COORDINATOR)[1] == "☑ 2 Иванова М. П."
        await tg.press(TG_COORDINATOR, "☑ Выбрать все на странице")
        ask = await tg.press(TG_COORDINATOR, "✅ Одобрить выбранные (4)")
        assert ask[-1].startswith("Одобрить 4 заявки?\n№1, №2, №3, №4")
        cancelled = await tg.press(TG_COORDINATOR, "Отмена")
        assert cancelled[-1].startswith("Отменено — ничего не изменилось.")
        await tg.press(TG_COORDINATOR, "✅ Одобрить выбранные (4)")
        done = await tg.press(TG_COORDINATOR, "✅ Да, одобрить (4)")
        assert done[-1] == ("Одобрены 4 заявки. Участники получили уведомления.\n\n"
                            "Заявок на рассмотрении нет.")
        await tg.app.s.delivery.run_once()
        for user in interns:
            assert any("одобрена" in t for t in fake.texts_to(user))
        pressed = [u["callback_query"]["id"] for u in fake.updates if "callback_query" in u]
        answered = [c["params"]["callback_query_id"] for c in fake.calls("answerCallbackQuery") if c["ok"]]
        assert sorted(answered) == sorted(pressed)
        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
        async with tg.app.s.db.read() as conn:
            assert await applications.count_pending(conn) == 0


async def _apply_in_vk(vk: VkChat, user: int) -> None:
    await vk.say(user, "Начать", payload={"command": "start"})
    for answer in APPLICATION:
        await vk.say(user, answer)
    await vk.press(user, "Москва (МСК)")
    await vk.press(user, vk.labels(user)[0])
    done = await vk.press(user, vk.labels(user)[0])
    assert any("Заявка отправлена" in t for t in done)


async def test_burst_digest_and_bulk_rejection_in_vk(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        fake = vk.fake
        for user in (2001, 2002, 2003):
            await _apply_in_vk(vk, user)
            clock.advance(seconds=10)
        async with vk.app.s.db.transaction() as conn:  # and 9 more, for a second page
            for n in range(9):
                account, _ = await persons.ensure_account(
                    conn, clock.now(), platform="vk", user_ref=str(3000 + n), chat_ref=str(3000 + n),
                    display_name="Пётр", language_code="ru", locale="ru")
                app_id = await applications.create(
                    conn, account.person_id, {"full_name": f"Петров Пётр {n}"}, clock.now())
                await application_digests.hold(conn, 1, app_id)
        assert len(fake.texts_to(VK_COORDINATOR)) == 1
        clock.advance(minutes=15)
        await vk.app.s.scheduler.tick()
        await vk.app.s.delivery.run_once()
        digest = fake.texts_to(VK_COORDINATOR)[-1]
        assert digest.startswith("📬 Пришло 11 новых заявок. Всего ждут решения: 12.")

        await vk.press(VK_COORDINATOR, "📋 Рассмотреть заявки")
        board = fake.keyboard_of(VK_COORDINATOR)
        assert board is not None and len(board["buttons"]) <= 10  # VK's limit for a keyboard
        actions = [b["action"] for row in board["buttons"] for b in row]
        assert {a["type"] for a in actions} == {"callback"}
        assert all(len(json.loads(a["payload"])["p"].encode()) <= 64 for a in actions)
        assert vk.labels(VK_COORDINATOR)[-1] == "Далее ▶"
        second = await vk.press(VK_COORDINATOR, "Далее ▶")
        assert second[-1].startswith("На рассмотрении 12 заявок, здесь с 11 по 12:")
        await vk.press(VK_COORDINATOR, "☐ 11 Петров П. 7")
        await vk.press(VK_COORDINATOR, "☐ 12 Петров П. 8")
        ask = await vk.press(VK_COORDINATOR, "❌ Отклонить выбранные (2)")
        assert ask[-1].startswith("Отклонить 2 заявки?\n№11, №12")
        done = await vk.say(VK_COORDINATOR, "Группа набрана")
        assert done[-1].startswith("Отклонены 2 заявки. Авторы получили уведомления.\n\n"
                                   "На рассмотрении 10 заявок:")
        pressed = {e["object"]["event_id"] for e in fake.events if e["type"] == "message_event"}
        answered = {c["params"]["event_id"] for c in fake.calls("messages.sendMessageEventAnswer") if c["ok"]}
        assert answered == pressed
        assert all(c["ok"] for c in fake.calls()), [c for c in fake.calls() if not c["ok"]]
        async with vk.app.s.db.read() as conn:
            assert (await applications.get(conn, 12)).status == "rejected"  # type: ignore[union-attr]
            assert (await applications.get(conn, 12)).reason == "Группа набрана"  # type: ignore[union-attr]
