"""Nothing an intern types outside a dialog is lost (issue 13, point 1).

A question typed out of the blue, a photo, a file or a voice message is kept and a short
answer offers, with one tap, to send that very message to the team's tutor (to the
coordinators while there is no tutor, or for someone still applying). Over the console,
and over the fake Telegram, VK and MAX servers with the real clients.
"""

from __future__ import annotations

from bot.app import App
from bot.clock import FakeClock
from bot.messages import FileInfo
from bot.settings import Settings
from storage import kept, persons, tickets
from tests.cohort import seed_intern
from tests.conftest import ConsoleChat, fill_application, make_chat
from tests.e2e.max import COORDINATOR as MAX_COORDINATOR
from tests.e2e.max import max_chat
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import vk_chat
from tests.ticket_setup import intern_with_tutor, set_up

QUESTION = "Я не смогу прийти на первую встречу, что делать?"


async def _kept(app: App, platform: str, user: str) -> list[kept.Kept]:
    async with app.s.db.read() as conn:
        account = await persons.find_account(conn, platform, user)
        assert account is not None
        return await kept.waiting(conn, account.person_id)


async def test_a_question_out_of_the_blue_reaches_the_tutor_with_one_tap(chat: ConsoleChat) -> None:
    await set_up(chat)
    offer = await chat.say(QUESTION, "ivan")
    assert len(offer) == 1 and "Передать его тьютору" in offer[0].text
    assert len(offer[0].text.splitlines()) <= 2  # a few lines, not the 15-line /help
    labels = [b.label for row in offer[0].buttons for b in row]
    assert labels == ["📨 Отправить тьютору", "Не отправлять", "👉 Что дальше"]
    assert chat.new("tanya") == []  # nothing is sent before the intern says so
    await chat.press("kept|send")
    confirm = chat.new("ivan")
    assert any("отправлен" in r.text for r in confirm)
    card = chat.new("tanya")
    assert card and "Новый вопрос #1" in card[0].text and QUESTION in card[0].text
    # the same tap again asks nothing twice and sends nothing twice
    await chat.press("kept|send")
    assert "уже решено" in chat.new("ivan")[0].text and chat.new("tanya") == []
    async with chat.app.s.db.read() as conn:
        assert (await tickets.get(conn, 1)) is not None and await tickets.get(conn, 2) is None


async def test_several_messages_and_a_photo_go_as_one_question(chat: ConsoleChat) -> None:
    await set_up(chat)
    await chat.say("Здравствуйте!", "ivan")
    await chat.send(file=FileInfo("photo", "ph-1", 2048, "image/jpeg"))
    more = chat.new("ivan")
    assert "Сообщений для тьютора: 2" in more[0].text
    await chat.say("Вот скриншот ошибки при входе", "ivan")
    await chat.press("kept|send")
    card = chat.new("tanya")
    assert "Здравствуйте!" in card[0].text and "скриншот ошибки" in card[0].text
    assert any(r.file is not None and r.file.file_id == "ph-1" for r in card)  # that very photo
    assert await _kept(chat.app, "console", "ivan") == []


async def test_dropping_and_unreadable_messages_and_no_tutor(chat: ConsoleChat) -> None:
    await set_up(chat)
    await chat.say("ой, не туда", "ivan")
    await chat.press("kept|drop")
    assert "не передаю" in chat.new("ivan")[0].text and chat.new("tanya") == []
    # a location cannot be kept: a clear answer, nothing stored
    await chat.send(unsupported="location")
    (answer,) = chat.new("ivan")
    assert "не смогу передать" in answer.text and "текст, фото, файл" in answer.text
    assert await _kept(chat.app, "console", "ivan") == []
    # masha's team has no tutor: her question goes to the coordinators
    offer = await chat.say("Когда будет первая встреча?", "masha")
    assert "координаторам" in offer[0].text
    await chat.press("kept|send")
    card = [r for r in chat.new("alice") if "Когда будет первая встреча?" in r.text]
    assert card and "у команды нет тьютора" in card[0].text  # a team, but no tutor


async def test_an_applicant_reaches_the_coordinators_and_staff_get_a_short_hint(chat: ConsoleChat) -> None:
    await chat.say("/help", "alice")
    await fill_application(chat, "nina")  # pending: not approved yet
    chat.new("alice")
    asked = await chat.say("Здравствуйте, а когда будет решение по заявке?", "nina")
    assert "координаторам" in asked[0].text
    await chat.press("kept|send")
    card = chat.new("alice")
    assert card and "когда будет решение по заявке" in card[0].text
    assert "пока не в команде" in card[0].text and "у команды нет тьютора" not in card[0].text
    # someone who has not applied is offered the application, and may still ask
    newcomer = await chat.say("А что это за бот?", "oleg")
    assert "координаторам" in newcomer[0].text
    await chat.press("kept|drop")
    chat.new("oleg")
    await chat.press("gone|1")  # a stale button: a short hint with the way in, not the long help
    stale, hint = chat.new("oleg")
    assert [b.label for row in hint.buttons for b in row] == ["📝 Подать заявку"]
    assert len(hint.text) < 200 and "/start" not in stale.text
    # a coordinator who types something stray gets one line, not the long help
    stray = await chat.say("проверка", "alice")
    assert len(stray) == 1 and "/help" in stray[0].text and len(stray[0].text) < 80
    # the long help is on /help
    assert "Команды" in (await chat.say("/help", "alice"))[0].text


async def test_kept_messages_survive_a_restart(settings: Settings, clock: FakeClock) -> None:
    app, chat = await make_chat(settings, clock)
    try:
        await set_up(chat)
        await chat.say(QUESTION, "ivan")
    finally:
        await app.stop()
    app, chat = await make_chat(settings, clock)  # the same database, a new process
    try:
        chat.as_user("ivan")
        await chat.press("kept|send")
        card = [r for r in chat.all("tanya") if "Новый вопрос" in r.text]
        assert card and QUESTION in card[0].text
    finally:
        await app.stop()


async def test_over_telegram_a_voice_message_reaches_the_tutor(settings: Settings, clock: FakeClock) -> None:
    async with telegram_chat(settings, clock) as tg:
        await tg.say(2002, "/help")
        await tg.say(3003, "/help")
        await intern_with_tutor(tg.app, "telegram", 2002, 3003)
        update_id = tg.fake.send_voice(2002, duration=14)
        voice_id = tg.fake.updates[-1]["message"]["voice"]["file_id"]
        await tg.handled(update_id)
        assert "Передать его тьютору" in tg.fake.texts_to(2002)[-1]
        await tg.press(2002, "📨 Отправить тьютору")
        voices = [m for m in tg.fake.messages_to(3003) if m.get("voice")]
        assert voices and voices[0]["voice"] == voice_id
        assert any("Новый вопрос #1" in t for t in tg.fake.texts_to(3003))


async def test_over_vk_a_question_reaches_the_tutor(settings: Settings, clock: FakeClock) -> None:
    async with vk_chat(settings, clock) as vk:
        await vk.say(2002, "/help")
        await vk.say(3003, "/help")
        await intern_with_tutor(vk.app, "vk", 2002, 3003)
        offer = await vk.say(2002, QUESTION)
        assert "Передать его тьютору" in offer[-1]
        await vk.press(2002, "📨 Отправить тьютору")
        assert any(QUESTION in t for t in vk.fake.texts_to(3003))


async def test_over_max_a_file_from_an_intern_without_a_team_reaches_the_coordinators(
    settings: Settings, clock: FakeClock
) -> None:
    async with max_chat(settings, clock) as mx:
        await mx.start(MAX_COORDINATOR)
        await seed_intern(mx.app, "2002", platform="max")
        seq = mx.fake.send_file(2002, "file", name="справка.pdf", text="Вот моя справка")
        token = mx.fake.updates[-1]["message"]["body"]["attachments"][0]["payload"]["token"]
        offer = await mx.pushed(2002, seq)
        assert "координаторам" in offer[-1]
        await mx.press(2002, "📨 Отправить координаторам")
        files = [a for a in mx.fake.attachments_to(MAX_COORDINATOR) if a["type"] == "file"]
        assert files and files[-1]["payload"]["token"] == token
        assert any("Вот моя справка" in t for t in mx.fake.texts_to(MAX_COORDINATOR))
