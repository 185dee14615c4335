"""Two instances on one PostgreSQL database: claims, leases, the shared rate, take-over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.instance import SCHEDULER_LEASE
from bot.messages import Incoming
from bot.settings import Settings
from storage import outbox, persons
from storage.connection import lock_key
from tests.fake_messenger import FakeMessenger
from tests.test_delivery import announce, people

WAIT_S = 10.0
pytestmark = pytest.mark.sqlite_only  # both instances use pg_url; one SQLite file has one writer


@pytest.fixture
async def pair(settings: Settings, clock: FakeClock, pg_url: str) -> AsyncIterator[tuple[App, App]]:
    shared = settings.model_copy(update={"database_url": pg_url, "outbox_claim_seconds": 60.0})
    a = await App(shared.model_copy(update={"instance_name": "a"}), clock=clock).start(background=False)
    b = await App(shared.model_copy(update={"instance_name": "b"}), clock=clock).start(background=False)
    try:
        yield a, b
    finally:
        await b.stop()
        await a.stop()


async def test_both_deliver_and_every_row_goes_out_once(pair: tuple[App, App]) -> None:
    a, b = pair
    ma, mb = FakeMessenger("vk"), FakeMessenger("vk")
    a.s.delivery.register(ma)
    b.s.delivery.register(mb)
    who = await people(a, "vk", 300)
    await announce(a, who, "Вебинар в 17:00", "bc")
    for _ in range(20):
        tried = await asyncio.gather(a.s.delivery.run_once(limit=40), b.s.delivery.run_once(limit=40))
        if not any(tried):
            break
    got_a, got_b = set(ma.accepted), set(mb.accepted)
    assert got_a and got_b, "both instances took part"
    assert not got_a & got_b, "no row went out from both"
    assert len(got_a | got_b) == 300
    async with a.s.db.read() as conn:
        assert await outbox.status_counts(conn, "bc:") == {"sent": 300}


async def test_a_dead_instances_claims_are_taken_over_after_the_timeout(
    pair: tuple[App, App], clock: FakeClock
) -> None:
    a, b = pair
    mb = FakeMessenger("vk")
    b.s.delivery.register(mb)
    who = await people(a, "vk", 10)
    await announce(a, who, "Ссылка на встречу", "ev")
    async with a.s.db.statement() as conn:  # a claims them, then dies before sending
        claimed = await outbox.claim_due(conn, clock.now(), "a", a.s.delivery.claim_until(), 100, "vk")
    assert len(claimed) == 10
    assert await b.s.delivery.run_once() == 0
    clock.advance(seconds=61)
    assert await b.s.delivery.run_once() == 10
    assert len(mb.accepted) == 10


async def test_the_scheduler_runs_in_one_instance_and_a_standby_takes_over(
    pair: tuple[App, App], clock: FakeClock
) -> None:
    a, b = pair
    assert await a.s.scheduler.tick() != {}
    assert await b.s.scheduler.tick() == {}  # a holds the lease
    clock.advance(seconds=30)
    assert await a.s.scheduler.tick() != {}  # renewed
    assert await b.s.scheduler.tick() == {}
    clock.advance(seconds=46)  # a died: nothing renewed the lease
    assert await b.s.scheduler.tick() != {}
    assert (await b.s.instance.status())["roles"][SCHEDULER_LEASE] == "b"


async def test_live_instances_split_the_rate(pair: tuple[App, App], clock: FakeClock) -> None:
    a, b = pair
    ma, mb = FakeMessenger("telegram", rate_per_s=30), FakeMessenger("telegram", rate_per_s=30)
    a.s.delivery.register(ma)
    b.s.delivery.register(mb)
    await a.s.instance.beat()
    await b.s.instance.beat()
    assert a.s.delivery.paces["telegram"].share == b.s.delivery.paces["telegram"].share == 0.5
    status = await a.s.instance.status()
    assert status["instances"] == ["a", "b"]
    clock.advance(seconds=20)  # b stops beating
    await a.s.instance.beat()
    assert a.s.delivery.paces["telegram"].share == 1.0


async def test_a_polling_role_waits_for_its_lease(pair: tuple[App, App], clock: FakeClock) -> None:
    a, b = pair
    started: list[str] = []
    stop_a = asyncio.Event()

    async def run_a() -> None:
        started.append("a")
        await stop_a.wait()

    async def stop_a_now() -> None:
        stop_a.set()

    task_a = asyncio.create_task(a.s.instance.exclusive("poll:telegram", run_a, stop_a_now))
    await asyncio.sleep(0.05)
    assert started == ["a"]
    assert not await b.s.instance.hold("poll:telegram")
    clock.advance(timedelta(seconds=21))  # a stalled past its lease; b takes the role
    assert await b.s.instance.hold("poll:telegram")
    await a.s.instance.beat()  # a finds out at its next heartbeat and stops polling
    await asyncio.wait_for(task_a, 5)
    assert stop_a.is_set()


async def test_two_instances_take_one_chats_updates_one_at_a_time(pair: tuple[App, App], pg_url: str) -> None:
    """While another transaction holds the chat (an update in hand in the other instance),
    this instance's update for the same chat waits for it, then goes through. (Meanwhile
    this instance's other updates queue behind it on its one connection: for the few
    milliseconds such a transaction lasts.)"""
    a, _ = pair
    other = await asyncpg.connect(pg_url)
    try:
        tx = other.transaction()
        await tx.start()
        await other.execute("SELECT pg_advisory_xact_lock($1)", lock_key("console:anna"))
        same = asyncio.create_task(a.core.handle(Incoming("console", "anna", "anna", text="/start")))
        done, _ = await asyncio.wait({same}, timeout=0.5)
        assert not done, "the update went ahead while the other instance held the chat"
        await tx.commit()
        await asyncio.wait_for(same, WAIT_S)
        async with a.s.db.read() as conn:
            assert await persons.find_account(conn, "console", "anna") is not None
    finally:
        await other.close()
