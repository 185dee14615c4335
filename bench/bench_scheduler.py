"""The scheduler tick's cost with 100,000 stored reminders.

About 3,850 interns (spread over several time zones) get their full plan from the
bundled programme through `handlers.internship.reminders.plan_people` (26 rows each), on a temp file.
Then the real `Scheduler.tick()` (every registered job) runs at moments where nothing
is due, as it does every 15 s for most of the internship: that is the figure, the
median of `ticks` runs. Also measured: a tick at the moment one reminder falls due for
every intern (the 24 h event reminder: one outbox row each), which is the rare busy
tick.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import PLATFORM, bench_settings, percentile
from bot.app import App
from bot.clock import FakeClock, to_iso
from bot.local_time import zone_of
from handlers.internship.reminders import moments, plan_for, plan_people
from storage import reminders as store

NAME = "scheduler"
REMINDERS = 100_000
TICKS = 30
FIRST_ID = 1000
"""Above the coordinator the App creates at start."""
ZONES = ["Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad", "Asia/Yekaterinburg", None]


async def seed(app: App, interns: int) -> int:
    """Interns with accounts and the intern role, written with executemany, then planned."""
    now = app.clock.now()
    stamp = to_iso(now)
    ids = range(FIRST_ID, FIRST_ID + interns)
    async with app.s.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO persons(id, full_name, locale, timezone, created_at) VALUES (?, ?, 'ru', ?, ?)",
            [(n, f"Интерн {n}", ZONES[n % len(ZONES)], stamp) for n in ids],
        )
        await conn.executemany(
            "INSERT INTO accounts(person_id, platform, user_ref, chat_ref, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(n, PLATFORM, f"u{n}", f"u{n}", stamp, stamp) for n in ids],
        )
        await conn.executemany(
            "INSERT INTO roles(person_id, role, granted_at) VALUES (?, 'intern', ?)",
            [(n, stamp) for n in ids],
        )
        await plan_people(conn, app.s, list(ids), now)
    row = await app.s.db.fetchone("SELECT COUNT(*) AS n FROM reminders")
    return int(row["n"]) if row else 0


async def run(reminders: int = REMINDERS, ticks: int = TICKS) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-scheduler-") as folder:
        clock = FakeClock()
        app = await App(bench_settings(Path(folder)), clock=clock).start(background=False)
        try:
            per_intern = len(await _plan_size(app))
            stored = await seed(app, max(1, reminders // per_intern))
            idle: list[float] = []
            for _ in range(ticks):
                clock.advance(seconds=15)
                started = time.perf_counter()
                await app.s.scheduler.tick()
                idle.append((time.perf_counter() - started) * 1000)
            first_event = min(await _event_starts(app))
            clock.set(first_event - timedelta(hours=24))
            started = time.perf_counter()
            await app.s.scheduler.tick()
            busy_ms = (time.perf_counter() - started) * 1000
            row = await app.s.db.fetchone("SELECT COUNT(*) AS n FROM outbox")
            outbox = int(row["n"]) if row else 0
        finally:
            await app.stop()
    return {
        "scheduler_tick_ms_100k": round(percentile(idle, 50), 2),
        "scheduler_tick_max_ms_100k": round(max(idle), 2),
        "scheduler_reminders_stored": stored,
        "scheduler_busy_tick_ms": round(busy_ms, 1),
        "scheduler_busy_tick_outbox_rows": outbox,
    }


async def _plan_size(app: App) -> list[store.Planned]:
    """One intern's plan, to seed the asked number of reminders."""
    async with app.s.db.read() as conn:
        at = await moments(conn, app.s.programme)
    return plan_for(app.s, 0, zone_of(None, "Europe/Moscow"), at, app.clock.now())


async def _event_starts(app: App) -> list[datetime]:
    async with app.s.db.read() as conn:
        at = await moments(conn, app.s.programme)
    return list(at.events.values())
