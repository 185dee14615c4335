"""This process among the instances sharing one database.

With PostgreSQL several bot processes may run on one database: behind a load balancer
(Telegram or MAX by webhook) or as a warm standby. They coordinate through the database
only, nothing else to deploy:
- a heartbeat every HEARTBEAT_S tells who is alive; the messengers' rates are split
  between the live instances (each uses 1/N), so together they stay under the limit;
  a newcomer waits a heartbeat before sending, until the others have heard of it;
- roles only one may play at a time (the scheduler's tick, polling a messenger) are
  leases that their holder renews; a standby takes one over when it expires;
- outbox rows are claimed per instance (storage/outbox.py), a dead one's after a timeout.
On SQLite the same code runs with one instance: every lease is its own at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from storage import instances

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
ALIVE = timedelta(seconds=15)
"""An instance not heard of for this long is presumed dead: its rate share returns."""
LEASE = timedelta(seconds=20)
SCHEDULER_LEASE = "scheduler"
SCHEDULER_TTL = timedelta(seconds=45)
"""Three scheduler ticks: a standby runs the jobs at most a minute after the leader died."""


class Instance:
    def __init__(self, services: Services, name: str) -> None:
        self.s = services
        self.name = name
        self.held: set[str] = set()
        self.lost: dict[str, asyncio.Event] = {}
        self.live: list[str] = [name]
        self._beat_task: asyncio.Task[None] | None = None

    async def start(self, *, background: bool) -> float:
        """Announce this instance; return how long to wait before delivering (seconds)."""
        now = self.s.clock.now()
        async with self.s.db.transaction() as conn:
            await instances.restarted(conn, self.name, now)
            self.live = await instances.live(conn, now, ALIVE)
        self._share()
        if background:
            self._beat_task = asyncio.create_task(self._beats(), name="heartbeat")
        others = [n for n in self.live if n != self.name]
        if others:
            log.info("instance %s joins %s", self.name, ", ".join(others))
        return HEARTBEAT_S + 1.0 if others else 0.0

    async def stop(self) -> None:
        if self._beat_task is not None:
            self._beat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat_task
            self._beat_task = None
        with contextlib.suppress(Exception):
            async with self.s.db.transaction() as conn:
                for lease in sorted(self.held):
                    await instances.release(conn, lease, self.name)
        self.held.clear()

    def _share(self) -> None:
        self.s.delivery.share_rate(1.0 / max(1, len(self.live)))

    async def beat(self) -> None:
        """One heartbeat: say we are alive, count the others, renew what we hold."""
        now = self.s.clock.now()
        async with self.s.db.transaction() as conn:
            await instances.heartbeat(conn, self.name, now)
            self.live = await instances.live(conn, now, ALIVE)
            for lease in sorted(self.held):
                if not await instances.take_lease(conn, lease, self.name, now, LEASE):
                    self.held.discard(lease)
                    log.error("instance %s lost the %s role to another instance", self.name, lease)
                    self.lost.setdefault(lease, asyncio.Event()).set()
        self._share()

    async def _beats(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat failed")

    async def hold(self, lease: str, ttl: timedelta = LEASE) -> bool:
        """Take or renew `lease` now; True while this instance plays that role."""
        async with self.s.db.transaction() as conn:
            ours = await instances.take_lease(conn, lease, self.name, self.s.clock.now(), ttl)
        if ours and lease not in self.held and lease != SCHEDULER_LEASE:
            self.held.add(lease)
        return ours

    async def exclusive(
        self, lease: str, run: Callable[[], Awaitable[Any]], stop: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Run `run` once this instance holds `lease` (a standby waits here); should the lease
        be lost (this process stalled past it and another took over), stop: the process
        exits and its supervisor restarts it as a standby, rather than two instances polling."""
        waited = False
        while not await self.hold(lease):
            if not waited:
                log.info("instance %s is standing by for %s", self.name, lease)
                waited = True
            await asyncio.sleep(HEARTBEAT_S)
        if waited:
            log.info("instance %s took over %s", self.name, lease)
        lost = self.lost.setdefault(lease, asyncio.Event())
        lost.clear()
        task = asyncio.ensure_future(run())
        watch = asyncio.ensure_future(lost.wait())
        try:
            await asyncio.wait([task, watch], return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await stop()
            return await task
        finally:
            watch.cancel()
            self.held.discard(lease)

    async def status(self) -> dict[str, Any]:
        """Who is alive and who holds which role: for /healthz and the operators."""
        now = self.s.clock.now()
        async with self.s.db.read() as conn:
            live = await instances.live(conn, now, ALIVE)
            holdings = await instances.holdings(conn, now)
        return {
            "instance": self.name,
            "instances": live,
            "roles": {h.lease: h.holder for h in holdings},
        }
