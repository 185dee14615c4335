"""The tick runs every registered job on the injected clock; the timetable follows moves."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import timetable
from bot.clock import FakeClock
from bot.services import Services
from tests.conftest import ConsoleChat


async def test_tick_runs_jobs_and_survives_a_failing_one(chat: ConsoleChat, clock: FakeClock) -> None:
    seen: list[datetime] = []

    async def broken(services: Services, now: datetime) -> int:
        raise RuntimeError("boom")

    async def counting(services: Services, now: datetime) -> int:
        seen.append(now)
        return 1

    scheduler = chat.app.s.scheduler
    scheduler.add("broken", broken)
    scheduler.add("counting", counting)
    done = await scheduler.tick()  # features register jobs of their own: look at these two
    assert (done["broken"], done["counting"]) == (0, 1)
    clock.advance(hours=2)
    await scheduler.tick()
    assert seen[1] - seen[0] == timedelta(hours=2)


async def test_moved_event_and_deadline_win_over_the_file(chat: ConsoleChat, clock: FakeClock) -> None:
    s = chat.app.s
    async with s.db.transaction() as conn:
        planned = await timetable.event_start(conn, s.programme, "problematisation")
        assert planned.isoformat() == "2026-12-08T17:00:00+03:00"
        later = planned + timedelta(days=1)
        await timetable.move(conn, "event", "problematisation", later, None, clock.now())
        assert await timetable.event_start(conn, s.programme, "problematisation") == later
        deadline = await timetable.stage_deadline(conn, s.programme, "homework")
        assert deadline is not None
        assert await timetable.stage_deadline(conn, s.programme, "presentation") is None
