"""Delivery through the real Telegram, VK and MAX adapters over HTTP to the fake servers.

The fakes enforce the messengers' limits and inject 429, 5xx and blocked users, so
these check that the outbox honours retry_after, retries server errors, gives up on
blocked people, stays under the rate and batches VK peers, end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.context import notify
from bot.messages import Reply
from bot.settings import Settings
from messengers.max.adapter import MaxAdapter
from messengers.telegram.adapter import TelegramAdapter
from messengers.vk.adapter import VkAdapter
from storage import outbox, persons
from tests.e2e.max import TOKEN as MAX_TOKEN
from tests.fakes.max_server import FakeMaxServer
from tests.fakes.telegram_server import FakeTelegramServer
from tests.fakes.vk_server import FakeVkServer

TOKEN = "123456:TEST"
VK_TOKEN = "vk1.a.test-community-token"
VK_GROUP = 77


async def audience(app: App, platform: str, chats: list[int], text: str, key: str) -> None:
    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        for chat in chats:
            account, _ = await persons.ensure_account(
                conn, now, platform=platform, user_ref=str(chat), chat_ref=str(chat),
                display_name=None, language_code="ru", locale="ru",
            )
            await notify(conn, app.s, account.person_id, f"{key}:{chat}", lambda lang: Reply(text),
                         now=now, kind="broadcast")


async def drain(app: App) -> None:
    while await app.s.delivery.run_once():
        pass


async def counts(app: App, key: str) -> dict[str, int]:
    async with app.s.db.read() as conn:
        return await outbox.status_counts(conn, key)


@asynccontextmanager
async def telegram(settings: Settings, clock: FakeClock, **limits: int) -> AsyncIterator[
    tuple[App, FakeTelegramServer]
]:
    async with FakeTelegramServer(**limits) as fake:
        app = await App(settings, clock=clock).start(background=False)
        adapter = TelegramAdapter(app.core, token=TOKEN, api_url=fake.base_url)
        app.s.delivery.register(adapter)
        try:
            yield app, fake
        finally:
            await adapter.close()
            await app.stop()


async def test_telegram_429_is_waited_out_and_5xx_retried(settings: Settings, clock: FakeClock) -> None:
    async with telegram(settings, clock) as (app, fake):
        chats = list(range(501, 511))
        await audience(app, "telegram", chats, "Завтра встреча", "n")
        fake.fail_next("sendMessage", status=429, retry_after=3)
        await drain(app)
        assert fake.count_429 == 1
        calls = len(fake.calls("sendMessage"))
        assert calls < len(chats) + 1, "after the 429 no new message was started"
        clock.advance(seconds=2)
        assert await app.s.delivery.run_once() == 0, "the whole bot waits out retry_after"
        assert len(fake.calls("sendMessage")) == calls
        clock.advance(seconds=1)
        fake.fail_next("sendMessage", status=502)
        await drain(app)
        clock.advance(seconds=2)
        await drain(app)
        assert all(fake.texts_to(chat) == ["Завтра встреча"] for chat in chats)
        assert await counts(app, "n:") == {"sent": len(chats)}


async def test_telegram_blocked_user_is_not_retried(settings: Settings, clock: FakeClock) -> None:
    async with telegram(settings, clock) as (app, fake):
        fake.block_user(601)
        await audience(app, "telegram", [601, 602], "Новость", "n")
        await drain(app)
        clock.advance(timedelta(hours=1))
        await drain(app)
        assert len([c for c in fake.calls("sendMessage") if c["params"]["chat_id"] == 601]) == 1
        assert await counts(app, "n:") == {"unreachable": 1, "sent": 1}
        async with app.s.db.read() as conn:
            account = await persons.find_account_by_chat(conn, "telegram", "601")
        assert account is not None and account.unreachable


async def test_telegram_broadcast_stays_under_the_rate(settings: Settings, clock: FakeClock) -> None:
    async with telegram(settings, clock, rate_limit_per_s=30, per_chat_per_s=1) as (app, fake):
        await audience(app, "telegram", list(range(700, 745)), "Рассылка", "b")
        await drain(app)  # 45 messages: one full window, then paced (about a second)
        assert fake.count_429 == 0
        assert await counts(app, "b:") == {"sent": 45}


async def test_vk_broadcast_goes_out_in_batches_of_100_peers(settings: Settings, clock: FakeClock) -> None:
    async with FakeVkServer(group_id=VK_GROUP, token=VK_TOKEN, rate_limit_per_s=20) as fake:
        app = await App(settings, clock=clock).start(background=False)
        adapter = VkAdapter(app.core, token=VK_TOKEN, api_url=fake.base_url, group_id=VK_GROUP)
        app.s.delivery.register(adapter)
        try:
            fake.block_user(2005)
            await audience(app, "vk", list(range(2000, 2250)), "Общая новость", "v")
            await drain(app)
            sends = fake.calls("messages.send")
            assert len(sends) == 3 and fake.count_rate_errors == 0
            assert await counts(app, "v:") == {"sent": 249, "unreachable": 1}
            assert len({d["peer_id"] for d in fake.delivered}) == 249
        finally:
            await adapter.close()
            await app.stop()


async def test_telegram_timeout_is_retried_and_delivered(settings: Settings, clock: FakeClock) -> None:
    """A hung Bot API call is a temporary error: the row is retried after a backoff.

    The Bot API has no idempotency key, so a call that timed out on our side but was
    processed by the server late may reach the chat a second time: the one repeat a
    timeout can cost on Telegram (VK drops it by random_id, see the next test).
    """
    async with telegram(settings, clock) as (app, fake):
        adapter = app.s.delivery.messengers["telegram"]
        adapter.bot.session.timeout = 0.3  # type: ignore[attr-defined]
        await audience(app, "telegram", [801], "Завтра встреча", "t")
        fake.delay_next("sendMessage", 1.0)
        await drain(app)
        async with app.s.db.read() as conn:
            hung = await outbox.status_of(conn, "t:801")
        assert hung is not None and (hung.status, hung.attempts) == ("pending", 1)
        assert hung.not_before == clock.now() + timedelta(seconds=1)
        await fake.wait_for(lambda: fake.calls("sendMessage"))  # the late one arrives at last
        clock.advance(seconds=1)
        await drain(app)
        assert await counts(app, "t:") == {"sent": 1}
        assert fake.texts_to(801) == ["Завтра встреча"] * 2


async def test_vk_timeout_is_retried_and_the_late_call_not_repeated(
    settings: Settings, clock: FakeClock
) -> None:
    async with FakeVkServer(group_id=VK_GROUP, token=VK_TOKEN) as fake:
        app = await App(settings, clock=clock).start(background=False)
        adapter = VkAdapter(app.core, token=VK_TOKEN, api_url=fake.base_url, group_id=VK_GROUP,
                            timeout=(1.0, 0.3))
        app.s.delivery.register(adapter)
        try:
            await audience(app, "vk", [3001, 3002], "Общая новость", "v")
            fake.delay_next("messages.send", 1.0)
            await drain(app)
            assert await counts(app, "v:") == {"pending": 2}
            await fake.wait_for(lambda: fake.delivered)  # the hung call was processed late
            clock.advance(seconds=1)
            await drain(app)
            assert await counts(app, "v:") == {"sent": 2}
            assert sorted(d["peer_id"] for d in fake.delivered) == [3001, 3002]
            assert len(fake.duplicates) == 2, "the retry was dropped by random_id"
        finally:
            await adapter.close()
            await app.stop()


@asynccontextmanager
async def max_api(settings: Settings, clock: FakeClock, **fake_kw: object) -> AsyncIterator[
    tuple[App, FakeMaxServer]
]:
    async with FakeMaxServer(token=MAX_TOKEN, **fake_kw) as fake:  # type: ignore[arg-type]
        app = await App(settings, clock=clock).start(background=False)
        adapter = MaxAdapter(app.core, token=MAX_TOKEN, api_url=fake.base_url)
        app.s.delivery.register(adapter)
        try:
            yield app, fake
        finally:
            await adapter.close()
            await app.stop()


async def test_max_429_waits_5xx_retried_and_a_blocked_person_is_not_retried(
    settings: Settings, clock: FakeClock
) -> None:
    async with max_api(settings, clock) as (app, fake):
        chats = list(range(901, 911))
        fake.block_user(905)
        await audience(app, "max", chats, "Завтра встреча", "m")
        fake.fail_next("sendMessage", 429)
        await drain(app)
        assert fake.rate_limited == 1
        calls = len(fake.calls("sendMessage"))
        assert await app.s.delivery.run_once() == 0, "after a 429 the whole bot waits a second"
        assert len(fake.calls("sendMessage")) == calls
        clock.advance(seconds=1)
        fake.fail_next("sendMessage", 502)
        await drain(app)
        clock.advance(seconds=2)
        await drain(app)
        clock.advance(timedelta(hours=1))
        await drain(app)
        assert all(fake.texts_to(chat) == ["Завтра встреча"] for chat in chats if chat != 905)
        assert await counts(app, "m:") == {"sent": 9, "unreachable": 1}
        refused = [c for c in fake.calls("sendMessage") if c["error"] == "chat.denied"]
        assert [c["params"]["user_id"] for c in refused] == ["905"]  # refused once, never tried again
        async with app.s.db.read() as conn:
            account = await persons.find_account_by_chat(conn, "max", "905")
        assert account is not None and account.unreachable


async def test_max_broadcast_stays_under_30_requests_a_second(settings: Settings, clock: FakeClock) -> None:
    async with max_api(settings, clock, rate_limit=30) as (app, fake):
        await audience(app, "max", list(range(950, 1020)), "Рассылка", "b")
        await drain(app)  # 70 messages: over two seconds at the platform's rate
        assert fake.rate_limited == 0 and fake.peak_rps <= 30
        assert await counts(app, "b:") == {"sent": 70}
