"""The life of a ticket on the console: asked, taken, answered, thanked; files; replies."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.messages import FileInfo
from storage import dialogs, forms, tickets
from storage.dialogs import Dialog
from storage.forms import FormProgress
from tests.conftest import ConsoleChat, texts
from tests.ticket_setup import ask, deliver, payloads, press, set_up, ticket


async def test_answered_in_time(chat: ConsoleChat, clock: FakeClock) -> None:
    cast = await set_up(chat)
    prompt = await press(chat, "ivan", "ask")
    assert "Напишите ваш вопрос" in prompt[0].text
    sent = await chat.say("Как оформить домашнее задание?", "ivan")
    assert "Вопрос #1 отправлен вашему тьютору" in texts(sent)
    assert "ask|1" in payloads(sent[-1])  # "add to the question"

    card = chat.new("tanya")
    assert len(card) == 1
    assert "Новый вопрос #1" in card[0].text
    assert "Иван Петров" in card[0].text and "Команда 1" in card[0].text
    assert "Как оформить домашнее задание?" in card[0].text
    assert payloads(card[0]) == ["tk|1|r", "tk|1|t", "tk|1|c", "tk|1|p"]
    assert chat.new("petr") == [] and chat.new("alice") == []

    clock.advance(hours=1)
    taken = await press(chat, "tanya", "tk|1|t")
    assert "за вами" in taken[0].text
    assert "Тьютор взял ваш вопрос #1" in chat.new("ivan")[0].text
    assert (await ticket(chat, 1)).status == "taken"

    await press(chat, "tanya", "tk|1|r")
    done = await chat.say("Шаблон лежит в материалах этапа.", "tanya")
    assert "Ответ на вопрос #1 отправлен" in texts(done)
    answer = chat.new("ivan")
    assert len(answer) == 1
    assert "Ответ тьютора на ваш вопрос #1" in answer[0].text
    assert "«Как оформить домашнее задание?»" in answer[0].text
    assert "Шаблон лежит в материалах этапа." in answer[0].text
    assert "tanya" not in answer[0].text  # no staff account details for interns
    assert payloads(answer[0]) == ["askok|1", "ask|1"]

    clock.advance(hours=30)
    assert (await chat.app.s.scheduler.tick())["ticket_escalation"] == 0
    await deliver(chat)
    assert chat.new("alice") == []

    thanks = await press(chat, "ivan", "askok|1")
    assert "помогло" in thanks[0].text and "«💬 Вопрос тьютору»" in thanks[0].text
    assert "ask" in payloads(thanks[0]) and "menu|next" in payloads(thanks[0])  # the menu again
    assert "помог" in chat.new("tanya")[0].text
    assert (await ticket(chat, 1)).status == "closed"
    again = await press(chat, "ivan", "askok|1")
    assert "уже закрыт" in again[0].text

    stats = await chat.say("/ticketstats", "alice")
    assert "всего 1" in stats[0].text
    assert "медиана 1 ч 0 мин" in stats[0].text
    assert cast.ids["ivan"]


async def test_back_and_forth_with_files_and_messenger_replies(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await set_up(chat)
    await press(chat, "ivan", "ask")
    chat.as_user("ivan")
    await chat.send(text="Что не так на слайде?",
                    file=FileInfo(kind="photo", file_id="ph-1", size=1000))
    assert "Вопрос #1 отправлен" in chat.new("ivan")[0].text
    card = chat.new("tanya")[0]
    assert card.file is not None and card.file.file_id == "ph-1" and card.file.kind == "photo"
    assert "Фото во вложении" in card.text

    # the console gives no message ids; pretend the messenger did, as Telegram would
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE outbox SET message_ref = 'm-card' WHERE idem_key LIKE 'tk:1:card:%'")
    chat.as_user("tanya")
    await chat.send(file=FileInfo(kind="voice", file_id="vo-7", duration=12),
                    reply_to_ref="m-card", message_ref="t-1")
    assert "отправлен" in chat.new("tanya")[0].text
    answer = chat.new("ivan")[0]
    assert answer.file is not None and answer.file.file_id == "vo-7" and answer.file.kind == "voice"
    assert (await ticket(chat, 1)).status == "answered"

    # the intern replies to the answer: the same ticket goes on, and waits again
    clock.advance(minutes=10)
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE outbox SET message_ref = 'm-ans' WHERE idem_key = 'tk:1:m:2:'"
                           " || (SELECT intern_id FROM tickets WHERE id = 1)")
    chat.as_user("ivan")
    await chat.send(text="А шрифт какой лучше?", reply_to_ref="m-ans")
    assert "Добавлено к вопросу #1" in chat.new("ivan")[0].text
    follow = chat.new("tanya")
    assert len(follow) == 1 and "по вопросу #1" in follow[0].text
    assert "А шрифт какой лучше?" in follow[0].text
    assert (await ticket(chat, 1)).status == "taken"  # answering implied taking

    # petr replying with the same message id in HIS chat is not a ticket reply
    chat.as_user("petr")
    await chat.send(text="hello", reply_to_ref="m-card")
    assert "Ответ" not in texts(chat.new("ivan"))
    async with chat.app.s.db.read() as conn:
        assert len(await tickets.messages(conn, 1)) == 3


async def test_bad_input_keeps_the_dialog_and_a_form_resumes(chat: ConsoleChat) -> None:
    cast = await set_up(chat)
    async with chat.app.s.db.transaction() as conn:  # ivan is halfway through the reflection
        now = chat.app.s.clock.now()
        await forms.save(conn, FormProgress(cast.ids["ivan"], "reflection", step=2), now)
        await dialogs.put(conn, cast.ids["ivan"], Dialog("form", "reflection"), now)
    await press(chat, "ivan", "ask")
    chat.as_user("ivan")
    await chat.send(file=FileInfo(kind="sticker", file_id="st-1"))
    assert "текст, фото, файл или голосовое" in chat.new("ivan")[0].text
    await chat.send(text="   ")
    assert "Сообщение пустое" in chat.new("ivan")[0].text
    await chat.send(unsupported="location")
    assert "не смогу передать" in chat.new("ivan")[0].text
    long = await chat.say("я" * 3600, "ivan")
    assert "слишком длинное" in long[0].text and payloads(long[0]) == ["askno"]
    async with chat.app.s.db.read() as conn:
        assert (await dialogs.get(conn, cast.ids["ivan"])).kind == "ask"  # type: ignore[union-attr]
    assert chat.new("tanya") == []

    sent = await chat.say("Можно сдать рефлексию позже?", "ivan")
    assert "Вопрос #1 отправлен" in sent[0].text
    assert "Продолжим с того места" in texts(sent)
    async with chat.app.s.db.read() as conn:
        assert (await dialogs.get(conn, cast.ids["ivan"])).kind == "form"  # type: ignore[union-attr]
    found = await ticket(chat, 1)
    assert found.stage_id == "reflection" and found.step == "3/8"
    assert "Этап: Рефлексивная анкета, шаг 3/8" in chat.new("tanya")[0].text

    # cancel gives the form back too, and creates nothing
    await press(chat, "ivan", "ask")
    cancelled = await press(chat, "ivan", "askno")
    assert "отменено" in cancelled[0].text
    assert payloads(cancelled[0]) == []  # the form's question follows, with its own buttons
    async with chat.app.s.db.read() as conn:
        assert (await dialogs.get(conn, cast.ids["ivan"])).kind == "form"  # type: ignore[union-attr]
        assert await tickets.get(conn, 2) is None


async def test_ask_command_with_text_and_several_open_questions(chat: ConsoleChat) -> None:
    await set_up(chat)
    first = await chat.say("/ask Где ссылка на встречу?", "ivan")
    assert "Вопрос #1 отправлен" in first[0].text
    await ask(chat, "ivan", "И где шаблон?")
    queue = await chat.say("/queue", "tanya")
    assert "2 открытых вопроса" in queue[0].text
    assert payloads(queue[0]) == ["tk|1|s", "tk|2|s"]  # oldest first
    assert queue[0].text.index("#1") < queue[0].text.index("#2")


async def test_queue_shows_needs_attention_items_of_own_teams_only(chat: ConsoleChat) -> None:
    from storage import attention

    cast = await set_up(chat)
    now = chat.app.s.clock.now()
    async with chat.app.s.db.transaction() as conn:
        await attention.raise_once(conn, cast.ids["ivan"], "overdue", "homework", "ДЗ", now)
        await attention.raise_once(conn, cast.ids["olga"], "silent", "", "", now)
    queue = await chat.say("/queue", "tanya")
    assert "Нужно внимание — 1 случай" in queue[0].text
    assert "Иван Петров: просрочен этап — ДЗ" in queue[0].text
    assert "olga" not in queue[0].text
    assert "давно молчит" in (await chat.say("/queue", "petr"))[0].text
    everything = (await chat.say("/tickets", "alice"))[0].text
    assert "Нужно внимание — 2 случая" in everything and "0 открытых вопросов" in everything


async def test_tutor_help_lists_tutor_commands(chat: ConsoleChat) -> None:
    await set_up(chat)
    helped = (await chat.say("/help", "tanya"))[0].text
    assert "/queue" in helped and "Вы тьютор" in helped
    assert "заполните заявку" not in helped  # not told to apply like a newcomer
    refused = await chat.say("/queue", "ivan")
    assert "тьюторам" in refused[0].text


async def test_too_many_open_questions(chat: ConsoleChat, clock: FakeClock) -> None:
    await set_up(chat)
    limit = chat.app.s.programme.escalation.max_open_per_intern
    for n in range(limit):
        await chat.say(f"/ask вопрос {n}", "ivan")
        clock.advance(timedelta(seconds=1))
    refused = await press(chat, "ivan", "ask")
    assert f"уже {limit} открытых" in refused[0].text


async def test_reply_to_the_confirmation_adds_to_the_ticket(chat: ConsoleChat) -> None:
    await set_up(chat)
    await ask(chat, "ivan", "Первая часть вопроса")
    chat.new("tanya")
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE outbox SET message_ref = 'c-1' WHERE idem_key = 'tk:1:ok:1'")
    chat.as_user("ivan")
    await chat.send(text="Вторая часть", reply_to_ref="c-1")
    assert "Добавлено к вопросу #1" in chat.new("ivan")[0].text
    assert "Вторая часть" in chat.new("tanya")[0].text
    # a reply to a message that is not a ticket's is read as usual (here: kept, offered)
    await chat.send(text="просто текст", reply_to_ref="unknown-ref")
    assert "Передать его тьютору" in chat.new("ivan")[0].text


async def test_a_long_text_with_a_file_goes_as_two_messages(chat: ConsoleChat) -> None:
    """Over Telegram's 1024-character caption limit the text and the file part ways, and
    both stay ticket messages (a reply to either continues the ticket)."""
    await set_up(chat)
    await ask(chat, "ivan", "Короткий вопрос")
    await press(chat, "tanya", "tk|1|r")
    chat.as_user("tanya")
    long_answer = "Подробно. " * 150
    await chat.send(text=long_answer, file=FileInfo(kind="document", file_id="doc-9", name="a.pdf"))
    got = chat.new("ivan")
    assert len(got) == 2
    assert long_answer.strip() in got[0].text and got[0].file is None
    assert payloads(got[0]) == ["askok|1", "ask|1"]
    assert got[1].file is not None and got[1].file.file_id == "doc-9"
    assert len(got[1].text) < 100 and "#1" in got[1].text


async def test_the_card_names_the_first_stage_still_waiting(chat: ConsoleChat) -> None:
    from storage import stages

    cast = await set_up(chat)
    now = chat.app.s.clock.now()
    async with chat.app.s.db.transaction() as conn:
        await stages.set_status(conn, cast.ids["ivan"], "application", "accepted", now)
        await stages.set_status(conn, cast.ids["ivan"], "homework", "returned", now)
        await stages.set_status(conn, cast.ids["ivan"], "video", "open", now)
    await ask(chat, "ivan", "Что исправить в ДЗ?")
    assert "Этап: Домашнее задание команды\n" in chat.new("tanya")[0].text
    assert (await ticket(chat, 1)).stage_id == "homework"


async def test_a_reply_to_the_taken_note_answers_the_ticket(chat: ConsoleChat) -> None:
    """"Question #1 is yours" is the tutor's newest message about the ticket: a messenger
    reply to it answers the intern, like a reply to the card."""
    await set_up(chat)
    await ask(chat, "ivan", "Где шаблон?")
    await press(chat, "tanya", "tk|1|t")
    chat.new("ivan")
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE outbox SET message_ref = 'm-taken' WHERE idem_key LIKE 'tk:1:takenok:%'")
    chat.as_user("tanya")
    await chat.send(text="В материалах этапа.", reply_to_ref="m-taken")
    assert "Ответ на вопрос #1 отправлен" in chat.new("tanya")[0].text
    answer = chat.new("ivan")
    assert len(answer) == 1 and "В материалах этапа." in answer[0].text
    assert (await ticket(chat, 1)).status == "answered"


async def test_a_question_without_words_is_quoted_by_what_was_sent(chat: ConsoleChat) -> None:
    """A voice message or a bare photo has no text to quote: the card, the queue and the
    answer name what it was instead of an empty «…»."""
    await set_up(chat)
    await press(chat, "ivan", "ask")
    chat.as_user("ivan")
    await chat.send(file=FileInfo(kind="voice", file_id="vo-1", duration=20))
    chat.new("ivan")
    card = chat.new("tanya")[0]
    assert "«Голосовое сообщение»" in card.text and "«…»" not in card.text
    queue = (await chat.say("/queue", "tanya"))[0].text
    assert "#1 · Иван Петров · Голосовое сообщение · 0 мин" in queue
    await press(chat, "tanya", "tk|1|r")
    await chat.say("Перезвоню вам после урока.", "tanya")
    answer = chat.new("ivan")[0].text
    assert "«Голосовое сообщение»" in answer and "«…»" not in answer


async def test_cancelling_a_question_leaves_the_intern_with_the_menu(chat: ConsoleChat) -> None:
    await set_up(chat)
    await press(chat, "ivan", "ask")
    cancelled = await press(chat, "ivan", "askno")
    assert "отменено" in cancelled[0].text and "menu|next" in payloads(cancelled[0])
    assert "не найден" in (await press(chat, "alice", "tk|1|s"))[0].text  # nothing was created
    await ask(chat, "ivan", "Вопрос")
    await press(chat, "tanya", "tk|1|r")
    staff = await press(chat, "tanya", "askno")  # a tutor cancelling an answer gets no intern menu
    assert "отменено" in staff[0].text and payloads(staff[0]) == []


async def test_between_stages_the_card_says_the_last_stage_is_done(chat: ConsoleChat) -> None:
    """Approved, nothing open yet: "Stage: Application" alone would read as still applying."""
    from storage import stages

    cast = await set_up(chat)
    async with chat.app.s.db.transaction() as conn:
        await stages.set_status(conn, cast.ids["ivan"], "application", "accepted", chat.app.s.clock.now())
    await ask(chat, "ivan", "Когда первая встреча?")
    assert "Этап: Заявка (заявка одобрена ✅)" in chat.new("tanya")[0].text
