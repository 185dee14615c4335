"""/applications: a page with a toggle per application, bulk decisions confirmed by count,
the list continuing after each decision, the selection kept across a restart, roles."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.messages import Reply
from bot.settings import Settings
from storage import dialogs, persons
from tests.conftest import ConsoleChat, fill_application, make_chat


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


async def statuses(chat: ConsoleChat) -> dict[int, str]:
    async with chat.app.s.db.read() as conn:
        rows = await conn.execute_fetchall("SELECT id, status, reason FROM applications ORDER BY id")
    return {r["id"]: r["status"] for r in rows}


async def applicants(chat: ConsoleChat, count: int) -> None:
    for n in range(1, count + 1):
        await fill_application(chat, f"u{n}")


async def press(chat: ConsoleChat, payload: str, user: str = "alice") -> Reply:
    chat.as_user(user)
    chat.new(user)
    await chat.press(payload)
    return chat.last(user)


async def test_page_toggles_confirm_with_count_cancel_and_the_list_goes_on(chat: ConsoleChat) -> None:
    await applicants(chat, 12)
    page = (await chat.say("/applications", "alice"))[-1]
    assert page.text.startswith("На рассмотрении 12 заявок, здесь с 1 по 10:\n\n№1 Иванова Мария Петровна\n"
                                "   maria@example.ru; МБОУ СОШ № 5;")
    assert "Выбрано: 0." in page.text
    assert labels(page)[:2] == ["☐ 1 Иванова М. П.", "☐ 2 Иванова М. П."]
    assert payloads(page) == [f"apl|t|{n}|0" for n in range(1, 11)] + [
        "apl|a|0", "apl|ok|0", "apl|no|0", "apl|p|10"]
    assert all(len(p.encode()) <= 64 for p in payloads(page))

    nothing = await press(chat, "apl|ok|0")
    assert nothing.text.startswith("Сначала отметьте заявки")  # and the page again, under it

    await press(chat, "apl|t|2|0")
    page = await press(chat, "apl|t|5|0")
    assert labels(page)[1] == "☑ 2 Иванова М. П." and labels(page)[4] == "☑ 5 Иванова М. П."
    assert "Выбрано: 2." in page.text
    assert "✅ Одобрить выбранные (2)" in labels(page) and "📄 Открыть выбранные (2)" in labels(page)
    page = await press(chat, "apl|t|5|0")  # a second press unticks
    assert labels(page)[4] == "☐ 5 Иванова М. П." and "Выбрано: 1." in page.text
    await press(chat, "apl|t|7|0")

    ask = await press(chat, "apl|ok|0")
    assert ask.text.startswith("Одобрить 2 заявки?\n№2, №7\n\nУчастники сразу получат приглашение")
    assert payloads(ask) == ["apl|y|ok", "apl|x"] and labels(ask)[0] == "✅ Да, одобрить (2)"
    cancelled = await press(chat, "apl|x")
    assert cancelled.text.startswith("Отменено — ничего не изменилось.")
    assert "Выбрано: 2." in cancelled.text  # the selection stays
    assert set((await statuses(chat)).values()) == {"pending"}
    gone = await press(chat, "apl|y|ok")  # the cancelled question's button
    assert gone.text.startswith("Это подтверждение уже не действует.")
    assert set((await statuses(chat)).values()) == {"pending"}

    await press(chat, "apl|ok|0")
    after = await press(chat, "apl|y|ok")
    assert after.text.startswith("Одобрены 2 заявки. Участники получили уведомления.\n\n"
                                 "На рассмотрении 10 заявок:\n\n№1 ")  # the list goes on by itself
    assert "Выбрано: 0." in after.text and "№2 " not in after.text and "№11 " in after.text
    assert (await statuses(chat))[2] == "approved" and (await statuses(chat))[7] == "approved"
    await chat.app.s.delivery.run_once()
    assert "одобрена" in chat.all("u2")[-2].text and "одобрена" in chat.all("u7")[-2].text
    again = await press(chat, "apl|y|ok")  # the same confirmation pressed twice
    assert again.text.startswith("Это подтверждение уже не действует.")
    assert list((await statuses(chat)).values()).count("approved") == 2


async def test_select_the_page_and_reject_with_one_reason(chat: ConsoleChat) -> None:
    await applicants(chat, 12)
    page = await press(chat, "apl|a|0")
    assert "Выбрано: 10." in page.text and all(label.startswith("☑") for label in labels(page)[:10])
    assert labels(page)[10] == "☐ Снять выбор на странице"
    ask = await press(chat, "apl|no|0")
    assert ask.text.startswith("Отклонить 10 заявок?\n№1, №2, №3, №4, №5, №6, №7, №8, №9, №10\n\n"
                               "Напишите причину")
    assert labels(ask) == ["❌ Отклонить без причины (10)", "Отмена"]
    await chat.say(":sticker", "alice")  # not a reason: asked again, nothing decided
    assert "Напишите причину текстом" in chat.last("alice").text
    assert set((await statuses(chat)).values()) == {"pending"}
    replies = await chat.say("Группа уже набрана", "alice")
    assert replies[-1].text.startswith("Отклонено 10 заявок. Авторы получили уведомления.\n\n"
                                       "На рассмотрении 2 заявки:\n\n№11 ")
    assert payloads(replies[-1])[:2] == ["apl|t|11|0", "apl|t|12|0"]
    await chat.app.s.delivery.run_once()
    assert "Причина: Группа уже набрана" in chat.last("u3").text
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", "alice")
        assert account is not None
        state = await dialogs.get(conn, account.person_id)
    assert state is not None and state.data["sel"] == [] and state.data["ask"] is None

    page = await press(chat, "apl|a|0")
    await press(chat, "apl|no|0")
    done = await press(chat, "apl|y|no")
    assert done.text.startswith("Отклонены 2 заявки.") and "Заявок на рассмотрении нет." in done.text
    await chat.app.s.delivery.run_once()
    assert "Причина" not in chat.last("u12").text


async def test_pages_back_and_forth_keep_the_selection(chat: ConsoleChat) -> None:
    await applicants(chat, 23)
    await press(chat, "apl|t|3|0")
    second = await press(chat, "apl|p|10")
    assert second.text.startswith("На рассмотрении 23 заявки, здесь с 11 по 20:")
    assert payloads(second)[-2:] == ["apl|p|0", "apl|p|20"] and labels(second)[-2:] == ["◀ Назад", "Далее ▶"]
    third = await press(chat, "apl|t|21|20")
    assert third.text.startswith("На рассмотрении 23 заявки, здесь с 21 по 23:")
    assert "Выбрано: 2." in third.text and payloads(third)[-1] == "apl|p|10"
    ask = await press(chat, "apl|ok|20")
    assert ask.text.startswith("Одобрить 2 заявки?\n№3, №21")
    after = await press(chat, "apl|y|ok")
    assert "здесь с 20 по 21:" in after.text  # the same place in the list, what is left of it
    await press(chat, "apl|t|22|20")
    card = await press(chat, "apl|v|20")  # the selected as full cards: one decision, a return
    assert "Новая заявка №22" in card.text and payloads(card) == ["app|22|ok", "app|22|no", "app|22|fix"]


async def test_selection_and_question_survive_a_restart(settings: Settings, clock: FakeClock) -> None:
    app, chat = await make_chat(settings, clock)
    await applicants(chat, 3)
    await press(chat, "apl|t|1|0")
    await press(chat, "apl|t|3|0")
    await press(chat, "apl|ok|0")
    await app.stop()
    app, chat = await make_chat(settings, clock)
    try:
        page = (await chat.say("/applications", "alice"))[-1]
        assert labels(page)[:3] == ["☑ 1 Иванова М. П.", "☐ 2 Иванова М. П.", "☑ 3 Иванова М. П."]
        await chat.press("apl|y|ok")
        assert chat.last("alice").text.startswith("Одобрены 2 заявки.")
        assert await statuses(chat) == {1: "approved", 2: "pending", 3: "approved"}
    finally:
        await app.stop()


async def test_decided_meanwhile_by_another_coordinator(chat: ConsoleChat) -> None:
    await applicants(chat, 2)
    await press(chat, "apl|a|0")
    await press(chat, "apl|ok|0")
    await chat.say("/help", "bob")
    async with chat.app.s.db.transaction() as conn:
        bob = await persons.find_account(conn, "console", "bob")
        assert bob is not None
        await persons.grant_role(conn, bob.person_id, "coordinator", chat.app.s.clock.now())
    await press(chat, "app|1|ok", "bob")
    done = await press(chat, "apl|y|ok")
    assert done.text.startswith("Одобрена 1 заявка. Участники получили уведомления. "
                                "Ещё 1 заявку уже рассмотрели раньше.")
    toggled = await press(chat, "apl|t|1|0")  # an old page's toggle of a decided one
    assert toggled.text.startswith("Заявка №1 уже рассмотрена.")


async def test_text_while_selecting_gets_a_hint_and_the_page(chat: ConsoleChat) -> None:
    await applicants(chat, 2)
    await press(chat, "apl|t|2|0")
    replies = await chat.say("одобрить вторую", "alice")
    assert replies[-1].text.startswith("Заявки отмечаются кнопками под списком.")
    assert "Выбрано: 1." in replies[-1].text
    assert set((await statuses(chat)).values()) == {"pending"}


async def test_only_coordinators_select_and_decide(chat: ConsoleChat) -> None:
    await applicants(chat, 2)
    await press(chat, "apl|a|0")
    await press(chat, "apl|ok|0")
    for payload in ("apl|p|0", "apl|t|1|0", "apl|a|0", "apl|ok|0", "apl|y|ok", "apl|x"):
        refused = await press(chat, payload, "u1")
        assert "только координаторам" in refused.text, payload
    assert set((await statuses(chat)).values()) == {"pending"}
    # A coordinator whose role is revoked while a rejection waits for its reason
    await press(chat, "apl|no|0")
    chat.app.s.settings.coordinators.clear()  # else the settings grant it again
    async with chat.app.s.db.transaction() as conn:
        alice = await persons.find_account(conn, "console", "alice")
        assert alice is not None
        await persons.revoke_role(conn, alice.person_id, "coordinator")
    replies = await chat.say("Причина", "alice")
    assert "только координаторам" in replies[-1].text
    assert set((await statuses(chat)).values()) == {"pending"}


async def test_bad_buttons_are_answered_as_old_ones(chat: ConsoleChat) -> None:
    await applicants(chat, 1)
    for payload in ("apl", "apl|t|x|0", "apl|p|-1", "apl|y|maybe", "apl|zz|0", "apl|t|1"):
        reply = await press(chat, payload)
        assert "старого сообщения" in chat.all("alice")[-2].text or "старого сообщения" in reply.text, payload
    assert set((await statuses(chat)).values()) == {"pending"}
