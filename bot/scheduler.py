"""The periodic tick: turns due items stored in the database into outbox rows.

Jobs are plain async functions registered by features; APScheduler only calls
`tick()` every few seconds, and with several instances on one database only the one
holding the scheduler lease runs them. The database is the source of truth, so a restart
misses nothing and a test calls `tick()` itself on a fake clock instead of sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.instance import SCHEDULER_LEASE, SCHEDULER_TTL

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

TickJob = Callable[["Services", datetime], Awaitable[int]]
"""A job gets the services and "now", does its due work, returns how much it did."""


class Scheduler:
    def __init__(self, services: Services, interval_seconds: float = 15.0) -> None:
        self.services = services
        self.interval = interval_seconds
        self.jobs: list[tuple[str, TickJob]] = []
        self._aps: AsyncIOScheduler | None = None

    def add(self, name: str, job: TickJob) -> None:
        self.jobs.append((name, job))

    async def tick(self) -> dict[str, int]:
        """Run every job once for the current moment; one failing job does not stop others."""
        instance = getattr(self.services, "instance", None)
        if instance is not None and not await instance.hold(SCHEDULER_LEASE, SCHEDULER_TTL):
            return {}  # another instance runs the jobs; this one stands by
        now = self.services.clock.now()
        done: dict[str, int] = {}
        for name, job in self.jobs:
            try:
                done[name] = await job(self.services, now)
            except Exception:
                log.exception("scheduler job %s failed", name)
                done[name] = 0
        if any(done.values()):
            self.services.delivery.wake()
        return done

    def start(self) -> None:
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.add_job(
            self.tick, "interval", seconds=self.interval, max_instances=1, coalesce=True,
            id="tick", next_run_time=datetime.now().astimezone(),
        )
        self._aps.start()

    def shutdown(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
