"""A person chatting with the real app through the real vk_api client and the fake VK API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.vk import VkAdapter
from tests.fakes.vk_server import FakeVkServer

TOKEN = "vk1.a.test-community-token"
GROUP_ID = 77
COORDINATOR = 1001


class MemoryTs:
    """The long-poll position store; tests read it to know what was handled."""

    def __init__(self, fake: FakeVkServer) -> None:
        self.fake = fake
        self.ts: str | None = None

    async def load(self) -> str | None:
        return self.ts

    async def save(self, ts: str) -> None:
        self.ts = ts
        self.fake.poke()


def make_adapter(core: Any, fake: FakeVkServer, ts: MemoryTs, **kw: Any) -> VkAdapter:
    return VkAdapter(core, token=TOKEN, api_url=fake.base_url, group_id=kw.pop("group_id", GROUP_ID),
                     long_poll_wait=kw.pop("long_poll_wait", 2), ts_store=(ts.load, ts.save), **kw)


class VkChat:
    def __init__(self, fake: FakeVkServer, app: App, adapter: VkAdapter, ts: MemoryTs) -> None:
        self.fake = fake
        self.app = app
        self.adapter = adapter
        self.ts = ts

    async def handled(self, event: dict[str, Any], timeout: float = 10.0) -> None:
        seq = self.fake.event_seq(event)
        await self.fake.wait_for(lambda: self.ts.ts is not None and int(self.ts.ts) > seq, timeout)

    async def _after(self, peer: int, push: Callable[[], dict[str, Any]]) -> list[str]:
        before = len(self.fake.texts_to(peer))
        await self.handled(push())
        return self.fake.texts_to(peer)[before:]

    async def say(self, peer: int, text: str, **kw: Any) -> list[str]:
        return await self._after(peer, lambda: self.fake.send_text(peer, text, **kw))

    async def press(self, peer: int, label: str) -> list[str]:
        return await self._after(peer, lambda: self.fake.press_button_label(peer, label))

    def labels(self, peer: int) -> list[str]:
        board = self.fake.keyboard_of(peer) or {}
        return [b["action"]["label"] for row in board.get("buttons", []) for b in row]


def vk_settings(settings: Settings, fake: FakeVkServer) -> Settings:
    return settings.model_copy(update={
        "vk_group_token": TOKEN, "vk_api_url": fake.base_url, "vk_group_id": GROUP_ID,
        "coordinators": [("vk", str(COORDINATOR))],
    })


@asynccontextmanager
async def vk_chat(settings: Settings, clock: FakeClock, **fake_kw: Any) -> AsyncIterator[VkChat]:
    async with FakeVkServer(group_id=GROUP_ID, token=TOKEN, **fake_kw) as fake:
        app = await App(vk_settings(settings, fake), clock=clock).start(background=False)
        ts = MemoryTs(fake)
        adapter = make_adapter(app.core, fake, ts)
        app.s.delivery.register(adapter)
        task = asyncio.create_task(adapter.run())
        await fake.wait_for(lambda: fake.lp_requests > 0)  # listening: events from now on arrive
        try:
            yield VkChat(fake, app, adapter, ts)
        finally:
            await adapter.stop()
            await task
            await app.stop()
            await adapter.close()
