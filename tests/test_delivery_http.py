"""Delivery through the real Telegram and VK adapters over HTTP to the fake servers.

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
from handlers.telegram.adapter import TelegramAdapter
from handlers.vk.adapter import VkAdapter
from storage import outbox, persons
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
