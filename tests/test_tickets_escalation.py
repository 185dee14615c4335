"""Escalation on the injected clock, reassignment, no-tutor teams and privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from storage import outbox, persons
from tests.conftest import ConsoleChat, texts
from tests.ticket_setup import ask, deliver, payloads, press, set_up, ticket


async def tick(chat: ConsoleChat) -> int:
    done = (await chat.app.s.scheduler.tick())["ticket_escalation"]
    await deliver(chat)
    return done


async def test_escalated_for_not_taken_in_working_hours(chat: ConsoleChat, clock: FakeClock) -> None:
    await set_up(chat)  # 09:00 UTC = 12:00 Moscow: 4 working hours end at 13:00 UTC
    await ask(chat, "ivan", "Когда встреча?")
    chat.new("tanya")
    clock.advance(hours=3, minutes=59)
    assert await tick(chat) == 0
    assert chat.new("alice") == []
    clock.advance(minutes=1)
    assert await tick(chat) == 1
    told = chat.new("alice")
    assert len(told) == 1
    assert "Вопрос #1 требует координатора" in told[0].text
    assert "тьютор не взял вопрос вовремя" in told[0].text
    assert "Тьютор: tanya" in told[0].text
    assert payloads(told[0]) == ["tk|1|r", "tk|1|c", "tk|1|a"]
    assert (await ticket(chat, 1)).status == "escalated"
    clock.advance(hours=30)  # nothing twice, not even the "not answered" rule
    assert await tick(chat) == 0
    assert chat.new("alice") == []
    async with chat.app.s.db.read() as conn:
        assert (await outbox.status_counts(conn, "tk:1:esc:")) == {"sent": 1}


async def test_take_clock_skips_quiet_hours_in_the_tutors_zone(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    cast = await set_up(chat)
    async with chat.app.s.db.transaction() as conn:
        await persons.update_person(conn, cast.ids["tanya"], timezone="Asia/Yekaterinburg")
    # 15:30 UTC = 20:30 in Yekaterinburg: 1.5 h until 22:00, then 2.5 h from 08:00 (03:00 UTC)
    clock.set(datetime(2026, 9, 1, 15, 30, tzinfo=UTC))
    await ask(chat, "ivan", "Вопрос вечером")
    clock.set(datetime(2026, 9, 2, 5, 29, tzinfo=UTC))
    assert await tick(chat) == 0
    clock.advance(minutes=1)
    assert await tick(chat) == 1
    assert "не взял" in chat.new("alice")[0].text


async def test_night_question_reaches_the_tutor_in_the_morning(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await set_up(chat)
    clock.set(datetime(2026, 9, 1, 21, 0, tzinfo=UTC))  # 00:00 in Moscow
    sent = await ask(chat, "ivan", "Не сплю, вопрос")
    assert "отправлен" in sent[0].text  # the intern is answered at once
    assert chat.new("tanya") == []
    clock.set(datetime(2026, 9, 2, 4, 59, tzinfo=UTC))
    await tick(chat)
    assert chat.new("tanya") == []
    clock.set(datetime(2026, 9, 2, 5, 0, tzinfo=UTC))  # 08:00 Moscow
    await tick(chat)
    assert "Новый вопрос #1" in chat.new("tanya")[0].text


async def test_escalated_for_not_answered(chat: ConsoleChat, clock: FakeClock) -> None:
    await set_up(chat)
    await ask(chat, "ivan", "Как загрузить видео?")
    await press(chat, "tanya", "tk|1|t")
    clock.advance(hours=23, minutes=59)
    assert await tick(chat) == 0
    clock.advance(minutes=1)
    assert await tick(chat) == 1
    told = chat.new("alice")
    assert len(told) == 1 and "интерн давно ждёт ответа" in told[0].text
    assert await tick(chat) == 0

    # the coordinator answers directly; the intern sees a coordinator, not who it was
    await press(chat, "alice", "tk|1|r")
    await chat.say("Через кнопку «Сдать видео».", "alice")
    answer = chat.new("ivan")[-1]
    assert "Ответ координатора на ваш вопрос #1" in answer.text
    assert "alice" not in answer.text
    assert (await ticket(chat, 1)).status == "answered"


async def test_reassigned_after_escalation(chat: ConsoleChat, clock: FakeClock) -> None:
    cast = await set_up(chat)
    await ask(chat, "ivan", "Кто проверяет ДЗ?")
    clock.advance(hours=5)
    await tick(chat)
    chat.new("alice")

    listing = await chat.say("/tickets", "alice")
    assert "1 открытый вопрос, из них у координаторов: 1" in listing[0].text
    assert payloads(listing[0]) == ["tk|1|s"]
    choices = await press(chat, "alice", "tk|1|a")
    assert payloads(choices[0]) == [f"tk|1|to|{cast.ids['petr']}"]
    assert "Команда 2" in choices[0].buttons[0][0].label
    done = await press(chat, "alice", f"tk|1|to|{cast.ids['petr']}")
    assert "Вопрос #1 передан: petr" in done[0].text

    card = chat.new("petr")
    assert len(card) == 1 and "Вам передан вопрос #1" in card[0].text
    moved = await ticket(chat, 1)
    assert (moved.status, moved.tutor_id) == ("open", cast.ids["petr"])

    # the old tutor lost it; the new one answers
    assert "недоступен" in (await press(chat, "tanya", "tk|1|r"))[0].text
    await press(chat, "petr", "tk|1|r")
    await chat.say("Петр проверяет.", "petr")
    assert "Ответ тьютора" in chat.new("ivan")[-1].text

    # the take clock restarted with the reassignment: no second escalation
    clock.advance(hours=3)
    assert await tick(chat) == 0
    # a reassign pressed on an old list for someone who is not a tutor is refused
    stale = await press(chat, "alice", f"tk|1|to|{cast.ids['olga']}")
    assert "старого сообщения" in stale[0].text


async def test_tutor_of_another_team_is_refused(chat: ConsoleChat) -> None:
    await set_up(chat)
    await ask(chat, "ivan", "Секретный вопрос команды 1")
    for payload in ("tk|1|s", "tk|1|r", "tk|1|t", "tk|1|c", "tk|1|p", "tk|1|a", "tk|999|s",
                    "tk|x|r", "tk|²|s", "tk|" + "9" * 30 + "|s"):
        refused = await press(chat, "petr", payload)
        assert len(refused) == 1 and "недоступен вам" in refused[0].text, payload
        assert "Секретный" not in texts(refused)
    typed = await chat.say("/ticket 1", "petr")
    assert "недоступен вам" in typed[0].text
    assert "Открытых вопросов нет" in (await chat.say("/queue", "petr"))[0].text
    assert (await ticket(chat, 1)).status == "open"
    assert chat.new("ivan") == []

    # interns cannot use staff buttons, nor another intern's ticket
    assert "тьюторам" in (await press(chat, "olga", "tk|1|s"))[0].text
    assert "недоступен" in (await press(chat, "olga", "askok|1"))[0].text
    assert "недоступен" in (await press(chat, "olga", "ask|1"))[0].text
    assert (await ticket(chat, 1)).status == "open"


async def test_team_without_tutor_escalates_at_once(chat: ConsoleChat) -> None:
    await set_up(chat)
    sent = await ask(chat, "masha", "У нас нет тьютора?")
    assert "отправлен координаторам" in sent[0].text
    told = chat.new("alice")
    assert len(told) == 1 and "у команды нет тьютора" in told[0].text
    assert "Тьютор: нет тьютора" in told[0].text
    assert (await ticket(chat, 1)).escalation_reason == "no_tutor"
    assert await tick(chat) == 0

    # the intern adds a detail: it goes to the coordinators, who have no tutor to wait for
    await press(chat, "masha", "ask|1")
    await chat.say("Уточнение: команда 3", "masha")
    assert "Уточнение: команда 3" in chat.new("alice")[-1].text


async def test_tutor_hands_over_and_the_intern_follows_up(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await set_up(chat)
    await ask(chat, "ivan", "Вопрос про сертификат")
    handed = await press(chat, "tanya", "tk|1|p")
    assert "передан координаторам" in handed[0].text
    told = chat.new("alice")
    assert "тьютор передал вопрос" in told[0].text
    assert "нельзя передать" in (await press(chat, "tanya", "tk|1|p"))[0].text
    # the tutor may still take it back and answer
    await press(chat, "tanya", "tk|1|t")
    assert (await ticket(chat, 1)).status == "taken"
    await press(chat, "tanya", "tk|1|c")
    closed = chat.new("ivan")[-1]
    assert "закрыт" in closed.text and payloads(closed) == ["ask|1"]
    # "ask again" reopens the same ticket
    clock.advance(hours=1)
    await press(chat, "ivan", "ask|1")
    await chat.say("Всё-таки не понял", "ivan")
    reopened = await ticket(chat, 1)
    assert reopened.status == "taken" and reopened.waiting_since == clock.now()
    assert "Всё-таки не понял" in chat.new("tanya")[-1].text
    clock.advance(timedelta(hours=24))
    assert await tick(chat) == 1


async def test_stats_count_open_tickets_per_tutor(chat: ConsoleChat, clock: FakeClock) -> None:
    await set_up(chat)
    await ask(chat, "ivan", "Первый")
    await ask(chat, "ivan", "Второй")
    await ask(chat, "olga", "Третий")
    await ask(chat, "masha", "Четвёртый")
    clock.advance(minutes=30)
    await press(chat, "petr", "tk|3|r")
    await chat.say("Ответ", "petr")
    stats = (await chat.say("/ticketstats", "alice"))[0].text
    assert "всего 4" in stats
    assert "медиана 30 мин" in stats
    assert "• tanya: 2" in stats
    assert "• нет тьютора: 1 (у координаторов: 1)" in stats
    assert "petr" not in stats
    assert "координаторам" in (await chat.say("/ticketstats", "tanya"))[0].text


async def test_questions_follow_a_team_to_its_new_tutor_and_rise_when_a_tutor_is_removed(
    chat: ConsoleChat,
) -> None:
    cast = await set_up(chat)
    await ask(chat, "ivan", "Где шаблон плана?")
    chat.new("tanya")
    done = await press(chat, "alice", f"tm|tutor|{cast.teams['t1']}|{cast.ids['petr']}")
    assert "Новому тьютору передан 1 открытый вопрос" in done[0].text
    assert any("Вам передан вопрос #1" in r.text for r in chat.new("petr"))
    moved = await ticket(chat, 1)
    assert (moved.status, moved.tutor_id) == ("open", cast.ids["petr"])
    assert "недоступен" in (await press(chat, "tanya", "tk|1|r"))[0].text

    revoked = await press(chat, "alice", f"rv|{cast.ids['petr']}|tutor|yes")
    await deliver(chat)
    assert any("сняли роль" in r.text for r in revoked + chat.new("alice"))
    escalated = await ticket(chat, 1)
    assert escalated.status == "escalated"


async def test_an_interns_questions_follow_them_to_another_team(chat: ConsoleChat) -> None:
    cast = await set_up(chat)
    await ask(chat, "ivan", "Вопрос до перевода")
    chat.new("tanya")
    await press(chat, "alice", f"tm|mv|{cast.ids['ivan']}|{cast.teams['t2']}")
    assert any("Вам передан вопрос #1" in r.text for r in chat.new("petr"))
    moved = await ticket(chat, 1)
    assert (moved.tutor_id, moved.team_id, moved.status) == (cast.ids["petr"], cast.teams["t2"], "open")
    assert "недоступен" in (await press(chat, "tanya", "tk|1|r"))[0].text

    await press(chat, "alice", f"tm|mv|{cast.ids['ivan']}|{cast.teams['t3']}")  # a team without a tutor
    assert (await ticket(chat, 1)).status == "escalated"
