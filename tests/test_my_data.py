"""/mydata and /forget: what is stored, the coordinator's confirmation, the erasure."""

from __future__ import annotations

from handlers.coordination import exports
from storage import applications, catalog, forms, persons, teams, tickets
from storage.db import fetchall
from storage.forms import FormProgress
from tests.cohort import make_tutor, seed_intern
from tests.conftest import APPLICATION, ConsoleChat, fill_application


async def test_mydata_lists_what_is_stored(chat: ConsoleChat) -> None:
    pid = await seed_intern(chat.app, "anna", name="Анна Смирнова", region="Казань")
    async with chat.app.s.db.transaction() as conn:
        await forms.save(conn, FormProgress(pid, "reflection", answers={"satisfaction": 5, "emotions": "ok"}),
                         chat.app.s.clock.now())
    text = (await chat.say("/mydata", "anna"))[-1].text
    for part in ("ФИО: Анна Смирнова", "anna@example.ru", "Europe/Moscow", "Аккаунт: console (anna)",
                 "Роли: Интерн", "Заявка (одобрена)", "Казань", "Форма «Рефлексивная анкета»: 2 ответа",
                 "Этап «Заявка»: заявка одобрена ✅", "/forget"):
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


async def _everything(app) -> str:  # type: ignore[no-untyped-def]
    """Every value of every row of every table, as one text to search."""
    async with app.s.db.read() as conn:
        tables = await catalog.tables(conn)
        cells = []
        for table in tables:
            for row in await fetchall(conn, f"SELECT * FROM {table}"):
                cells.extend(str(v) for v in tuple(row))
    return "\n".join(cells)


async def test_forget_leaves_no_trace_anywhere_in_the_database(chat: ConsoleChat) -> None:
    """Applied, approved, put in a team with a team-mate, reminders planned, a question
    asked and all of it delivered: after the erasure nothing in any table names them or
    holds their words, while the team-mate's team and the anonymous counts stay whole."""
    app = chat.app
    await fill_application(chat, "anna")
    chat.as_user("alice")
    await chat.press("app|1|ok")
    boris = await seed_intern(app, "boris", name="Борис Орлов")
    await chat.say("/newteam Команда A", "alice")
    async with app.s.db.read() as conn:
        pid = (await persons.find_account(conn, "console", "anna")).person_id  # type: ignore[union-attr]
        team = (await teams.all_teams(conn))[0].id
    for person in (pid, boris):
        await chat.press(f"tm|mv|{person}|{team}")
    assert "Команда A" in chat.last("anna").text
    await app.s.scheduler.tick()  # plans anna's reminders
    await chat.say("/ask", "anna")
    await chat.say("Как оформить цели занятия?", "anna")
    await app.s.delivery.run_once()
    words = [APPLICATION[0], APPLICATION[1], APPLICATION[2], APPLICATION[4], "Как оформить цели"]
    before = await _everything(app)
    assert all(w in before for w in words)
    async with app.s.db.read() as conn:
        assert await fetchall(conn, "SELECT 1 FROM reminders WHERE person_id = ?", (pid,))

    await chat.say("/forget", "anna")
    await chat.press("fg|ask")
    await app.s.delivery.run_once()
    chat.as_user("alice")
    await chat.press(f"fgc|{pid}|ok")
    await app.s.delivery.run_once()
    assert "Ваши данные удалены" in chat.last("anna").text

    after = await _everything(app)
    for word in words:
        assert word not in after, word
    async with app.s.db.read() as conn:
        for table in ("reminders", "reminder_plans", "accounts", "roles", "team_members"):
            assert not await fetchall(conn, f"SELECT 1 FROM {table} WHERE person_id = ?", (pid,)), table
        assert await teams.members(conn, team) == [boris]
        assert (await applications.latest_for(conn, pid)).status == "approved"  # type: ignore[union-attr]
        assert await fetchall(conn, "SELECT 1 FROM persons WHERE id = ? AND deleted_at IS NOT NULL", (pid,))
    assert "Борис Орлов" in after  # the team-mate's own data is untouched


async def test_an_erased_tutors_questions_go_to_the_coordinators(chat: ConsoleChat) -> None:
    app = chat.app
    intern = await seed_intern(app, "ivan")
    tutor = await make_tutor(app, "tomas")
    async with app.s.db.transaction() as conn:
        await persons.update_person(conn, tutor, full_name="Тимофеев Тимур")
        team = await teams.create(conn, "Команда A", app.s.clock.now(), tutor)
        await teams.put_member(conn, team, intern, app.s.clock.now())
    await chat.say("/ask", "ivan")
    await chat.say("Где ссылка на встречу?", "ivan")
    await app.s.delivery.run_once()
    assert any("Где ссылка" in r.text for r in chat.all("tomas"))
    await chat.say("/forget", "tomas")
    await chat.press("fg|ask")
    chat.as_user("alice")
    chat.new("alice")
    await chat.press(f"fgc|{tutor}|ok")
    await app.s.delivery.run_once()
    escalated = [r.text for r in chat.new("alice") if "Где ссылка" in r.text]
    assert escalated and all("Тимофеев" not in t for t in escalated)
    async with app.s.db.read() as conn:
        assert [r["status"] for r in await fetchall(conn, "SELECT status FROM tickets")] == ["escalated"]
        assert (await teams.get(conn, team)).tutor_id is None  # type: ignore[union-attr]
    assert "Тимофеев" not in await _everything(app)
