"""The tick runs every registered job on the injected clock; the timetable follows moves."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.services import Services
from bot.settings import Settings
from handlers.internship import timetable
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


async def test_a_started_app_has_apscheduler_drive_the_tick(settings: Settings, clock: FakeClock) -> None:
    """The real AsyncIOScheduler calls tick() at once on start, then every interval, one at a time.

    The tests above call tick() themselves; this one proves the running bot does too,
    with the injected clock's "now", and that the outbox loop is woken by what it did.
    """
    app = await App(settings, clock=clock).start(background=False)
    ticked = asyncio.Event()
    seen: list[datetime] = []

    async def job(services: Services, now: datetime) -> int:
        seen.append(now)
        ticked.set()
        return 1

    app.s.scheduler.add("probe", job)
    woken = app.s.delivery._wake
    try:
        app.s.scheduler.start()
        await asyncio.wait_for(ticked.wait(), 10)
        [aps_job] = app.s.scheduler._aps.get_jobs()  # type: ignore[union-attr]
        assert aps_job.trigger.interval == timedelta(seconds=app.s.scheduler.interval)
        assert (aps_job.max_instances, aps_job.coalesce) == (1, True)
        assert seen == [clock.now()]
        assert woken.is_set()
    finally:
        await app.stop()


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
