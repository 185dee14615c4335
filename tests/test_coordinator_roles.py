"""Every coordinator/tutor command and button of the coordinator tools, for each role.

The router enforces roles on the server; this table makes sure no command or button
was registered without them, and that the allowed role really gets its answer.
"""

from __future__ import annotations

import pytest

from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat

REFUSED = "доступна только"
COORDINATOR_ONLY = [
    "/invite", "/invite tutor", "/roles", "/newteam Север", "/broadcast", "/broadcasts", "/export",
    "/export csv",
    "/applications",
]
STAFF = ["/teams", "/progress"]
PAYLOADS = ["inv|tutor", "rv|1|coordinator", "tm|auto", "tm|move", "tm|tutors", "bc|1|x",
            "apb|ok|1", "app|1|fix", "fgc|1|ok"]
STAFF_PAYLOADS = ["pg|all"]


@pytest.fixture
async def people(chat: ConsoleChat) -> ConsoleChat:
    await seed_intern(chat.app, "ivan")
    await make_tutor(chat.app, "tom")
    return chat


@pytest.mark.parametrize("command", COORDINATOR_ONLY + STAFF)
async def test_coordinator_may(people: ConsoleChat, command: str) -> None:
    replies = await people.say(command, "alice")
    assert replies and all(REFUSED not in r.text for r in replies)


@pytest.mark.parametrize("command", STAFF)
async def test_tutor_may(people: ConsoleChat, command: str) -> None:
    replies = await people.say(command, "tom")
    assert replies and all(REFUSED not in r.text for r in replies)


@pytest.mark.parametrize("command", COORDINATOR_ONLY)
async def test_tutor_is_refused(people: ConsoleChat, command: str) -> None:
    replies = await people.say(command, "tom")
    assert len(replies) == 1 and REFUSED in replies[0].text and "координаторам" in replies[0].text


@pytest.mark.parametrize("command", COORDINATOR_ONLY + STAFF)
async def test_intern_and_stranger_are_refused(people: ConsoleChat, command: str) -> None:
    for user in ("ivan", "stranger"):
        replies = await people.say(command, user)
        assert len(replies) == 1 and REFUSED in replies[0].text


@pytest.mark.parametrize("payload", PAYLOADS + STAFF_PAYLOADS)
async def test_buttons_refused_for_interns(people: ConsoleChat, payload: str) -> None:
    await people.say("/mydata", "ivan")
    await people.press(payload)
    assert REFUSED in people.last("ivan").text


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_coordinator_buttons_refused_for_tutors(people: ConsoleChat, payload: str) -> None:
    await people.say("/mydata", "tom")
    await people.press(payload)
    assert REFUSED in people.last("tom").text


@pytest.mark.parametrize("command", ["/mydata", "/forget"])
async def test_data_requests_are_for_everyone(people: ConsoleChat, command: str) -> None:
    for user in ("ivan", "tom", "alice", "stranger"):
        replies = await people.say(command, user)
        assert replies and REFUSED not in replies[-1].text


async def test_a_dialog_begun_before_the_role_was_revoked_does_nothing(people: ConsoleChat) -> None:
    from storage import applications, broadcasts, persons
    from tests.conftest import fill_application

    app = people.app
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, app.s.clock.now(), platform="console", user_ref="carol", chat_ref="carol",
            display_name="carol", language_code="ru", locale="ru")
        await persons.grant_role(conn, account.person_id, "coordinator", app.s.clock.now())
    await fill_application(people, "newbie")
    assert "текст рассылки" in (await people.say("/broadcast", "carol"))[-1].text
    async with app.s.db.transaction() as conn:
        await persons.revoke_role(conn, account.person_id, "coordinator")
    reply = await people.say("Всем привет, {{ name }}", "carol")
    assert REFUSED in reply[-1].text
    async with app.s.db.read() as conn:
        assert await broadcasts.recent(conn) == [] and await broadcasts.get(conn, 1) is None
    async with app.s.db.transaction() as conn:
        await persons.grant_role(conn, account.person_id, "coordinator", app.s.clock.now())
    await people.press("app|2|fix")
    assert "что нужно исправить" in people.last("carol").text
    async with app.s.db.transaction() as conn:
        await persons.revoke_role(conn, account.person_id, "coordinator")
    assert REFUSED in (await people.say("Исправьте ФИО", "carol"))[-1].text
    async with app.s.db.read() as conn:
        assert (await applications.get(conn, 2)).status == "pending"  # type: ignore[union-attr]
