"""Helpers for the reminder tests: interns made straight in storage, time moved and delivered."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import FakeClock
from storage import persons, teams
from tests.conftest import ConsoleChat


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def make_person(
    chat: ConsoleChat, user: str, *, tz: str | None = None, role: str = "intern",
    name: str | None = None,
) -> int:
    s = chat.app.s
    async with s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, s.clock.now(), platform="console", user_ref=user, chat_ref=user,
            display_name=None, language_code=None, locale="ru",
        )
        await persons.grant_role(conn, account.person_id, role, s.clock.now())
        await persons.update_person(
            conn, account.person_id, timezone=tz, full_name=name or f"Интерн {user}"
        )
    return account.person_id


async def team_with_tutor(chat: ConsoleChat, tutor: int, members: list[int]) -> int:
    s = chat.app.s
    async with s.db.transaction() as conn:
        team_id = await teams.create(conn, "Синица", s.clock.now())
        await teams.set_tutor(conn, team_id, tutor)
        for member in members:
            await teams.put_member(conn, team_id, member, s.clock.now())
    return team_id


async def run_at(chat: ConsoleChat, clock: FakeClock, moment: datetime) -> None:
    """Move the clock, run the scheduler tick, deliver everything that is due."""
    clock.set(moment)
    await chat.app.s.scheduler.tick()
    while await chat.app.s.delivery.run_once():
        pass
