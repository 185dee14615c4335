"""A cohort for whole-internship tests: six interns in two teams, two tutors, one coordinator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.app import App
from storage import persons, teams
from tests.conftest import ConsoleChat

BEFORE_START = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Intern:
    user: str
    name: str
    tz_button: str
    team: str

    @property
    def email(self) -> str:
        return f"{self.user}@example.ru"


INTERNS = [
    Intern("ann", "Антонова Анна Сергеевна", "2", "A"),  # Moscow
    Intern("boris", "Борисов Борис Иванович", "2", "A"),
    Intern("vera", "Васильева Вера Олеговна", "4", "A"),  # Yekaterinburg, MSK+2
    Intern("gleb", "Глебов Глеб Петрович", "2", "B"),
    Intern("dina", "Данилова Дина Ильинична", "2", "B"),
    Intern("egor", "Егоров Егор Андреевич", "9", "B"),  # Vladivostok, MSK+7
]
TUTORS = {"A": ("tom", "Тимофеев Тимур Олегович"), "B": ("tina", "Тихонова Тина Юрьевна")}


async def apply(chat: ConsoleChat, intern: Intern) -> None:
    await chat.say("/start", intern.user)
    for answer in (intern.name, intern.email, "МБОУ СОШ № 5", "Учитель", "Казань"):
        await chat.say(answer, intern.user)
    await chat.say(intern.tz_button, intern.user)
    await chat.say("1", intern.user)  # consent
    await chat.say("1", intern.user)  # send


async def person_id(app: App, user: str) -> int:
    async with app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", user)
        assert account is not None
        return account.person_id


async def enrol_cohort(chat: ConsoleChat) -> dict[str, int]:
    """Everyone applies, the coordinator approves all; teams and tutors set up in storage."""
    for intern in INTERNS:
        await apply(chat, intern)
    for number in range(1, len(INTERNS) + 1):
        await chat.say("/help", "alice")
        await chat.press(f"app|{number}|ok")
    for user, _ in TUTORS.values():
        await chat.say("/help", user)
    ids = {i.user: await person_id(chat.app, i.user) for i in INTERNS}
    for user, _ in TUTORS.values():
        ids[user] = await person_id(chat.app, user)
    now = chat.app.s.clock.now()
    async with chat.app.s.db.transaction() as conn:
        for team, (tutor, name) in TUTORS.items():
            await persons.grant_role(conn, ids[tutor], "tutor", now)
            await persons.update_person(conn, ids[tutor], full_name=name)
            team_id = await teams.create(conn, f"Команда {team}", now, ids[tutor])
            for intern in INTERNS:
                if intern.team == team:
                    await teams.put_member(conn, team_id, ids[intern.user], now)
    for user in [*ids, "alice"]:
        chat.new(user)
    return ids
