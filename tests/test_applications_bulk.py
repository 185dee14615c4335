"""Applications: approving and rejecting many at once, returning one for correction."""

from __future__ import annotations

from bot.clock import FakeClock
from storage import applications, forms, persons
from tests.conftest import ConsoleChat, fill_application


async def _statuses(chat: ConsoleChat) -> list[str]:
    async with chat.app.s.db.read() as conn:
        rows = await conn.execute_fetchall("SELECT status FROM applications ORDER BY id")
    return [r["status"] for r in rows]


async def test_approve_all_listed(chat: ConsoleChat) -> None:
    """The old list's bulk buttons, still in coordinators' chats, keep working."""
    for user in ("u1", "u2", "u3"):
        await fill_application(chat, user)
    await fill_application(chat, "late")  # arrives after the list was shown: not included
    chat.as_user("alice")
    await chat.press("apb|ok|3")
    assert chat.new("alice")[-1].text.startswith("Одобрены 3 заявки.")
    assert await _statuses(chat) == ["approved", "approved", "approved", "pending"]
    await chat.app.s.delivery.run_once()
    for user in ("u1", "u2", "u3"):
        assert "одобрена" in chat.all(user)[-2].text and chat.last(user).keyboard
    await chat.press("apb|ok|3")  # the same button again: nothing left to decide
    assert "нет" in chat.last("alice").text.lower()


async def test_reject_all_with_one_reason(chat: ConsoleChat) -> None:
    for user in ("u1", "u2"):
        await fill_application(chat, user)
    chat.as_user("alice")
    await chat.press("apb|no|2")
    assert "одну причину" in chat.last("alice").text
    replies = await chat.say("Группа уже набрана", "alice")
    assert [r.text for r in replies] == ["Отклонены 2 заявки. Авторы получили уведомления."]
    assert await _statuses(chat) == ["rejected", "rejected"]
    await chat.app.s.delivery.run_once()
    for user in ("u1", "u2"):
        assert "Причина: Группа уже набрана" in chat.last(user).text


async def test_return_for_correction_and_resubmit(chat: ConsoleChat, clock: FakeClock) -> None:
    await fill_application(chat, "u1")
    card = chat.new("alice")[-1]
    assert card.buttons[1][0].payload == "app|1|fix"
    chat.as_user("alice")
    await chat.press("app|1|fix")
    assert "что нужно исправить" in chat.last("alice").text
    await chat.say("Укажите полное название школы", "alice")
    assert "возвращена автору" in chat.last("alice").text
    assert await _statuses(chat) == ["withdrawn"]
    await chat.app.s.delivery.run_once()
    told = chat.last("u1")
    assert "Укажите полное название школы" in told.text
    assert told.buttons[0][0].payload == "appfix"

    chat.as_user("u1")
    await chat.press("appfix")
    summary = chat.last("u1")
    assert "МБОУ СОШ № 5" in summary.text  # earlier answers are kept
    await chat.press(summary.buttons[1][0].payload)  # edit
    await chat.press(chat.last("u1").buttons[2][0].payload)  # question 3: organisation
    await chat.say("МБОУ «Средняя общеобразовательная школа № 5» г. Казани", "u1")
    summary = chat.last("u1")
    assert "Средняя общеобразовательная школа № 5" in summary.text
    await chat.press(summary.buttons[0][0].payload)  # submit
    assert await _statuses(chat) == ["withdrawn", "pending"]
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", "u1")
        assert account is not None
        latest = await applications.latest_for(conn, account.person_id)
        assert latest is not None and latest.answers["organisation"].startswith("МБОУ «Средняя")
        assert latest.answers["full_name"] == "Иванова Мария Петровна"
        assert (await forms.get(conn, latest.person_id, "application")).status == "submitted"  # type: ignore[union-attr]
    clock.advance(minutes=15)  # the resubmission came within the digest window
    await chat.app.s.scheduler.tick()
    await chat.app.s.delivery.run_once()
    assert any("Новая заявка №2" in r.text for r in chat.all("alice"))
    await chat.press("appfix")  # an old button after resubmission
    assert "старого сообщения" in chat.all("u1")[-2].text


async def test_bulk_and_fix_refused_for_interns(chat: ConsoleChat) -> None:
    await fill_application(chat, "u1")
    for payload in ("apb|ok|1", "app|1|fix"):
        await chat.press(payload)
        assert "только координаторам" in chat.last("u1").text
    assert await _statuses(chat) == ["pending"]


async def test_more_pending_than_one_list_says_how_many_wait(chat: ConsoleChat) -> None:
    from handlers.enrolment.application import LISTED
    from tests.cohort import seed_intern

    async with chat.app.s.db.transaction() as conn:
        for n in range(LISTED + 5):
            account, _ = await persons.ensure_account(
                conn, chat.app.s.clock.now(), platform="console", user_ref=f"p{n}", chat_ref=f"p{n}",
                display_name=f"p{n}", language_code="ru", locale="ru")
            await applications.create(conn, account.person_id, {"full_name": f"П {n}"},
                                      chat.app.s.clock.now())
    await seed_intern(chat.app, "done")  # approved: not counted
    replies = await chat.say("/applications", "alice")
    assert len(replies) == 1  # one page, not a card per application
    assert replies[0].text.startswith(f"На рассмотрении {LISTED + 5} заявок, здесь с 1 по 10:")
    assert f"На рассмотрении {LISTED + 5} заявок" in (await chat.say("/help", "alice"))[0].text
    await chat.press(f"apb|ok|{LISTED}")  # the old list's button: the first LISTED
    assert (await chat.say("/applications", "alice"))[0].text.startswith("На рассмотрении 5 заявок:")
