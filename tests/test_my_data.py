"""/mydata and /forget: what is stored, the coordinator's confirmation, the erasure."""

from __future__ import annotations

from bot import exports
from storage import applications, forms, persons, teams, tickets
from storage.db import fetchall
from storage.forms import FormProgress
from tests.cohort import seed_intern
from tests.conftest import ConsoleChat


async def test_mydata_lists_what_is_stored(chat: ConsoleChat) -> None:
    pid = await seed_intern(chat.app, "anna", name="Анна Смирнова", region="Казань")
    async with chat.app.s.db.transaction() as conn:
        await forms.save(conn, FormProgress(pid, "reflection", answers={"satisfaction": 5, "emotions": "ok"}),
                         chat.app.s.clock.now())
    text = (await chat.say("/mydata", "anna"))[-1].text
    for part in ("ФИО: Анна Смирнова", "anna@example.ru", "Europe/Moscow", "Аккаунт: console (anna)",
                 "Роли: Интерн", "Заявка (одобрена)", "Казань", "Форма «Рефлексивная анкета»: ответов — 2",
                 "Этап «Заявка»: принято", "/forget"):
        assert part in text, part


async def test_forget_confirmed_by_a_coordinator_erases_the_person(chat: ConsoleChat) -> None:
    app = chat.app
    pid = await seed_intern(app, "anna", name="Анна Смирнова")
    async with app.s.db.transaction() as conn:
        team = await teams.create(conn, "Команда A", app.s.clock.now())
        await teams.put_member(conn, team, pid, app.s.clock.now())
        ticket = await tickets.create(conn, intern_id=pid, team_id=team, tutor_id=None, stage_id=None,
                                      step=None, question="Анна спрашивает", now=app.s.clock.now())
        await tickets.add_message(conn, ticket, pid, "intern", "Анна спрашивает", None, "console",
                                  app.s.clock.now())
    await chat.say("/forget", "anna")
    assert [b.payload for b in chat.last("anna").buttons[0]] == ["fg|ask", "fg|keep"]
    await chat.press("fg|ask")
    assert "отправлен координатору" in chat.last("anna").text
    await chat.press("fg|ask")
    assert "уже у координатора" in chat.last("anna").text
    await app.s.delivery.run_once()
    card = chat.last("alice")
    assert "Анна Смирнова" in card.text and "просит удалить" in card.text
    assert len([r for r in chat.all("alice") if "просит удалить" in r.text]) == 1
    # the intern cannot confirm their own request: the button is the coordinator's
    await chat.press(f"fgc|{pid}|ok")
    assert "только координаторам" in chat.last("anna").text

    chat.as_user("alice")
    await chat.press(f"fgc|{pid}|ok")
    assert "удалены" in chat.last("alice").text
    await app.s.delivery.run_once()
    assert "Ваши данные удалены" in chat.last("anna").text
    await chat.press(f"fgc|{pid}|ok")
    assert "уже рассмотрен" in chat.last("alice").text

    async with app.s.db.read() as conn:
        person = await persons.get_person(conn, pid)
        assert (person.full_name, person.email, person.timezone) == (None, None, None)
        assert await persons.accounts_of(conn, pid) == []
        assert await persons.roles_of(conn, pid) == set()
        assert await teams.members(conn, team) == []
        assert await tickets.get(conn, ticket) is None and await tickets.messages(conn, ticket) == []
        assert (await applications.latest_for(conn, pid)).answers == {}  # type: ignore[union-attr]
        bodies = await fetchall(conn, "SELECT body FROM outbox WHERE person_id = ?", (pid,))
        assert bodies and all("Анна" not in r["body"] for r in bodies)
        sheets = await exports.collect(conn, app.s.programme, app.s.texts, "ru")
    assert all("Анна" not in str(cell) for s in sheets for row in s.rows for cell in row)
    # writing again starts afresh as a new, empty person
    await chat.say("/mydata", "anna")
    assert "ФИО: —" in chat.last("anna").text


async def test_coordinator_may_decline(chat: ConsoleChat) -> None:
    pid = await seed_intern(chat.app, "anna", name="Анна Смирнова")
    await chat.say("/forget", "anna")
    await chat.press("fg|ask")
    chat.as_user("alice")
    await chat.press(f"fgc|{pid}|no")
    await chat.app.s.delivery.run_once()
    assert "не может удалить" in chat.last("anna").text
    async with chat.app.s.db.read() as conn:
        assert (await persons.get_person(conn, pid)).full_name == "Анна Смирнова"
