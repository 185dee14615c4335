"""Seeding an approved cohort straight into storage, for tests of the coordinator tools.

The application dialogue itself is covered by test_application_console.py; tools that
start from "N approved interns" need them quickly and with chosen cities and positions.
"""

from __future__ import annotations

from bot.app import App
from storage import applications, persons, stages

CITIES = ["Казань", "Пермь", "Омск", "Тула"]
POSITIONS = ["Учитель", "Воспитатель", "Методист"]


async def seed_intern(
    app: App, user: str, *, name: str | None = None, region: str = "Казань",
    position: str = "Учитель", email: str | None = None, platform: str = "console",
) -> int:
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, now, platform=platform, user_ref=user, chat_ref=user, display_name=user,
            language_code="ru", locale="ru",
        )
        pid = account.person_id
        full_name = name or f"Интерн {user}"
        mail = email or f"{user}@example.ru"
        await persons.update_person(conn, pid, full_name=full_name, email=mail,
                                    timezone="Europe/Moscow")
        answers = {"full_name": full_name, "email": mail, "organisation": "Школа",
                   "position": position, "region": region, "timezone": "Europe/Moscow",
                   "consent": "yes"}
        app_id = await applications.create(conn, pid, answers, now)
        await applications.decide(conn, app_id, "approved", pid, now)
        await persons.grant_role(conn, pid, "intern", now)
        await stages.set_status(conn, pid, "application", "accepted", now)
    return pid


async def seed_cohort(app: App, count: int, prefix: str = "i") -> list[int]:
    return [
        await seed_intern(app, f"{prefix}{n}", region=CITIES[n % len(CITIES)],
                          position=POSITIONS[n % len(POSITIONS)])
        for n in range(1, count + 1)
    ]


async def make_tutor(app: App, user: str, *, platform: str = "console") -> int:
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, now, platform=platform, user_ref=user, chat_ref=user, display_name=user,
            language_code="ru", locale="ru",
        )
        await persons.grant_role(conn, account.person_id, "tutor", now)
    return account.person_id
