"""Teams for ticket tests, made directly in storage: two teams with tutors, one without.

alice is a coordinator (settings); tanya tutors team 1 (ivan), petr tutors team 2 (olga),
team 3 (masha) has no tutor.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import App
from bot.messages import Reply
from storage import persons, teams, tickets
from storage.tickets import Ticket
from tests.conftest import ConsoleChat

USERS = ("alice", "tanya", "petr", "ivan", "olga", "masha")


@dataclass(frozen=True)
class Cast:
    ids: dict[str, int]
    teams: dict[str, int]


async def set_up(chat: ConsoleChat) -> Cast:
    for user in USERS:
        await chat.say("/help", user)
    s = chat.app.s
    now = s.clock.now()
    async with s.db.transaction() as conn:
        ids = {}
        for user in USERS:
            account = await persons.find_account(conn, "console", user)
            assert account is not None
            ids[user] = account.person_id
        for tutor in ("tanya", "petr"):
            await persons.grant_role(conn, ids[tutor], "tutor", now)
        for intern in ("ivan", "olga", "masha"):
            await persons.grant_role(conn, ids[intern], "intern", now)
        await persons.update_person(conn, ids["ivan"], full_name="Иван Петров")
        team_ids = {
            "t1": await teams.create(conn, "Команда 1", now, tutor_id=ids["tanya"]),
            "t2": await teams.create(conn, "Команда 2", now, tutor_id=ids["petr"]),
            "t3": await teams.create(conn, "Команда 3", now),
        }
        await teams.put_member(conn, team_ids["t1"], ids["ivan"], now)
        await teams.put_member(conn, team_ids["t2"], ids["olga"], now)
        await teams.put_member(conn, team_ids["t3"], ids["masha"], now)
    for user in USERS:
        chat.new(user)
    return Cast(ids, team_ids)


async def ask(chat: ConsoleChat, user: str, question: str) -> list[Reply]:
    await chat.say("/ask", user)
    return await chat.say(question, user)


async def ticket(chat: ConsoleChat, ticket_id: int) -> Ticket:
    async with chat.app.s.db.read() as conn:
        found = await tickets.get(conn, ticket_id)
    assert found is not None
    return found


async def press(chat: ConsoleChat, user: str, payload: str) -> list[Reply]:
    chat.new(user)
    chat.as_user(user)
    await chat.press(payload)
    return chat.new(user)


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


async def deliver(chat: ConsoleChat) -> None:
    await chat.app.s.delivery.run_once()


async def intern_with_tutor(
    app: App, platform: str, intern: int, tutor: int, team_name: str = "Команда 1"
) -> None:
    """Over a messenger: the two accounts (already seen by the bot) become an intern and
    the tutor of their team (one team per call)."""
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        ids = {}
        for user in (intern, tutor):
            account = await persons.find_account(conn, platform, str(user))
            assert account is not None
            ids[user] = account.person_id
        await persons.grant_role(conn, ids[intern], "intern", now)
        await persons.grant_role(conn, ids[tutor], "tutor", now)
        team = await teams.create(conn, team_name, now, tutor_id=ids[tutor])
        await teams.put_member(conn, team, ids[intern], now)
