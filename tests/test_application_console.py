"""The application scenario end to end through the console adapter."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.settings import Settings
from storage import applications, forms, persons
from tests.conftest import APPLICATION, ConsoleChat, fill_application, make_chat, texts


async def test_intern_applies_and_coordinator_approves(chat: ConsoleChat) -> None:
    replies = await chat.say("/start", "intern")
    assert "Цифровая педагогическая интернатура" in replies[0].text
    assert "Вопрос 1 из 7" in replies[-1].text
    for answer in APPLICATION:
        await chat.say(answer)
    tz = chat.last()
    assert "часовой пояс" in tz.text
    labels = [b.label for row in tz.buttons for b in row]
    assert "Москва (МСК)" in labels and "Владивосток (МСК+7)" in labels
    await chat.say("2")
    consent = chat.last()
    assert "https://example.org/privacy" in consent.text
    summary = (await chat.say("1"))[-1]
    assert "Иванова Мария Петровна" in summary.text
    assert "maria@example.ru" in summary.text
    assert "Москва (МСК)" in summary.text
    done = await chat.say("1")
    assert "Заявка отправлена" in texts(done)

    card = chat.new("alice")
    assert len(card) == 1 and "Новая заявка №1" in card[0].text
    assert "Иванова Мария Петровна" in card[0].text
    assert [b.label for b in card[0].buttons[0]] == ["✅ Одобрить", "❌ Отклонить"]

    chat.as_user("alice")
    await chat.say("1")
    assert "одобрена" in chat.last("alice").text
    told = chat.new("intern")
    assert len(told) == 2
    assert "одобрена" in told[0].text and "https://zoom.example.org/j/1000000001" in told[0].text
    assert told[1].keyboard is not None and told[1].keyboard[0][0].payload == "menu|next"
    chat.as_user("intern")
    assert "Ваши сроки" in (await chat.say("Мои сроки"))[0].text  # a key's label, typed

    async with chat.app.s.db.read() as conn:
        app = await applications.get(conn, 1)
        assert app is not None and app.status == "approved"
        person = await persons.get_person(conn, app.person_id)
        assert person.full_name == "Иванова Мария Петровна"
        assert person.email == "maria@example.ru"
        assert person.timezone == "Europe/Moscow"
        assert "intern" in await persons.roles_of(conn, app.person_id)


async def test_coordinator_rejects_with_reason_and_intern_may_reapply(chat: ConsoleChat) -> None:
    await fill_application(chat, "bob")
    chat.as_user("alice")
    await chat.say("2")  # reject on the notification card
    assert "причину" in chat.last("alice").text
    await chat.say("Набор на эту тему закрыт")
    assert "отклонена" in chat.last("alice").text
    told = chat.new("bob")[-1]
    assert "отклонена" in told.text and "Набор на эту тему закрыт" in told.text
    assert told.buttons[0][0].payload == "apply"
    chat.as_user("bob")
    again = await chat.say("1")  # "apply again"
    assert "Вопрос 1 из 7" in again[-1].text
    assert "Сейчас указано: Иванова Мария Петровна" in again[-1].text


async def test_rejection_without_reason(chat: ConsoleChat) -> None:
    await fill_application(chat, "carol")
    chat.as_user("alice")
    await chat.say("2")  # reject on the notification card
    await chat.say("1")  # "without reason"
    told = chat.new("carol")[-1]
    assert "отклонена" in told.text and "Причина" not in told.text


async def test_decided_application_buttons_are_refused(chat: ConsoleChat) -> None:
    await fill_application(chat)
    chat.as_user("alice")
    await chat.say("1")  # approve
    await chat.press("app|1|no")  # an old card's reject button
    assert "уже рассмотрена" in chat.last("alice").text
    async with chat.app.s.db.read() as conn:
        app = await applications.get(conn, 1)
    assert app is not None and app.status == "approved"


async def test_duplicate_application_refused(chat: ConsoleChat) -> None:
    await fill_application(chat)
    replies = await chat.say("/start", "intern")
    assert "уже отправили заявку" in texts(replies)
    async with chat.app.s.db.read() as conn:
        assert len(await applications.pending(conn)) == 1


async def test_intern_cannot_use_coordinator_commands_or_buttons(chat: ConsoleChat) -> None:
    await fill_application(chat, "mallory")
    refused = await chat.say("/applications", "mallory")
    assert "только координаторам" in refused[-1].text
    await chat.press("app|1|ok")
    assert "только координаторам" in chat.last("mallory").text
    async with chat.app.s.db.read() as conn:
        app = await applications.get(conn, 1)
    assert app is not None and app.status == "pending"


async def test_bad_inputs_keep_the_step_and_answers(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    await chat.say(APPLICATION[0])
    asked_email = chat.last().text
    assert "электронной почты" in asked_email

    cases = {
        ":sticker": "Стикер",
        ":photo": "не фото",
        ":voice 12": "Голосовые",
        ":location": "ответ текстом",
        "not-an-email": "ошибка",
        "   ": None,  # an empty line is not even sent
        "x" * 5000: "слишком длинный",
        "/teleport": "не знаю команды /teleport",
    }
    for line, expected in cases.items():
        replies = await chat.say(line)
        if expected is None:
            assert replies == []
            continue
        assert expected in texts(replies), (line, texts(replies))
        assert "Вопрос 2 из 7" in replies[-1].text  # the same question again, a command too
    await chat.say("maria@example.ru")
    assert "Вопрос 3 из 7" in chat.last().text
    await chat.say("/back")
    back = chat.last().text
    assert "Вопрос 2 из 7" in back and "maria@example.ru" in back


async def test_empty_answer_and_old_button_after_finishing(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    first_prompt = chat.last()
    await chat.send(text="")
    assert "пустой" in texts(chat.all("intern")[-2:])
    assert "Вопрос 1 из 7" in chat.last().text
    await fill_application(chat)
    # A button from the finished form (e.g. "back" on question 2) is refused politely.
    await chat.press("f|application|1|back")
    stale = [r.text for r in chat.all("intern")[-2:]]
    assert "из старого сообщения" in stale[0]
    assert "на рассмотрении" in stale[1]
    assert first_prompt.text  # the first prompt was shown before


async def test_consent_refused_keeps_the_application_open(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    for answer in APPLICATION:
        await chat.say(answer)
    await chat.say("2")
    replies = await chat.say("2")  # "I don't agree"
    assert "Без согласия" in texts(replies)
    assert "Вопрос 7 из 7" in replies[-1].text
    summary = (await chat.say("да"))[-1]
    assert "Проверьте" in summary.text


async def test_edit_from_summary_returns_to_summary(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    for answer in APPLICATION:
        await chat.say(answer)
    await chat.say("2")
    await chat.say("1")
    await chat.say("2")  # edit
    which = chat.last()
    assert "Какой ответ исправить" in which.text and len(which.buttons) == 7
    await chat.say("2")  # the e-mail
    assert "Сейчас указано: maria@example.ru" in chat.last().text
    summary = (await chat.say("new@example.ru"))[-1]
    assert "new@example.ru" in summary.text and "Проверьте" in summary.text


async def test_timezone_typed_as_offset(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    for answer in APPLICATION:
        await chat.say(answer)
    await chat.say("Марс")
    assert "Не узнаю этот часовой пояс" in texts(chat.all("intern")[-2:])
    await chat.say("мск+4")
    await chat.say("1")
    assert "Красноярск (МСК+4)" in chat.last().text


async def test_english_speaker_gets_english(settings: Settings, clock: FakeClock) -> None:
    app, chat = await make_chat(settings, clock)
    try:
        chat.adapter.language = "en-GB"
        replies = await chat.say("/start", "emma")
        assert "Question 1 of 7" in replies[-1].text
        assert "What is your full name" in replies[-1].text
        bad = await chat.say(":sticker")
        assert "I need a text answer" in texts(bad)
    finally:
        await app.stop()


async def test_help_says_where_the_person_is(chat: ConsoleChat) -> None:
    new = await chat.say("/help", "newbie")
    assert "/start" in new[-1].text
    await chat.say("/start")
    await chat.say(APPLICATION[0])
    where = await chat.say("/help")
    assert "вопрос 2 из 7" in where[0].text and "Ответьте на него ниже" in where[0].text
    # ...and what to do next comes last: the question itself, with its buttons at hand.
    assert where[-1].text.startswith("Вопрос 2 из 7") and "электронной почты" in where[-1].text
    for answer in APPLICATION[1:]:
        await chat.say(answer)
    tz = await chat.say("/help")
    assert tz[-1].buttons and "часовой пояс" in tz[-1].text
    await chat.say("2")  # the number presses the re-shown question's button: Moscow
    assert "Вопрос 7 из 7" in chat.last().text
    await chat.say("1")  # consent
    summary = await chat.say("/help")
    assert "Осталось проверить ответы" in summary[0].text and "Проверьте" in summary[-1].text
    coordinator = await chat.say("/help", "alice")
    assert "координатор" in coordinator[-1].text.lower()


async def test_help_lists_the_commands_of_the_persons_roles_only(chat: ConsoleChat) -> None:
    newbie = (await chat.say("/help", "newbie"))[-1].text
    assert "/start — Начать или продолжить" in newbie
    assert "/link — " in newbie
    assert "/applications" not in newbie
    coordinator = (await chat.say("/help", "alice"))[-1].text
    assert "/applications — Заявки на рассмотрении" in coordinator


async def test_a_menu_label_typed_by_an_applicant_is_just_an_answer(chat: ConsoleChat) -> None:
    await chat.say("/start", "intern")
    await chat.say("Иванова Мария Петровна")
    await chat.say("maria@example.ru")
    asked = await chat.say("📅 Встречи")  # the intern menu's key, but this is no intern yet
    assert "Вопрос 4 из 7" in asked[-1].text
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", "intern")
        assert account is not None
        progress = await forms.get(conn, account.person_id, "application")
    assert progress is not None and progress.answers["organisation"] == "📅 Встречи"
