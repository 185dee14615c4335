"""A person chatting with the real app through the real maxapi client and the fake MAX API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.max import MaxAdapter
from messengers.max.menu import command_list
from tests.fakes.max_server import FakeMaxServer

TOKEN = "max-test-token-0123456789"
COORDINATOR = 1001


class MemoryMarker:
    """The polling marker store; the registry keeps it in the database."""

    def __init__(self) -> None:
        self.marker: str | None = None

    async def load(self) -> str | None:
        return self.marker

    async def save(self, marker: str) -> None:
        self.marker = marker


class MaxChat:
    def __init__(self, fake: FakeMaxServer, app: App, adapter: MaxAdapter) -> None:
        self.fake = fake
        self.app = app
        self.adapter = adapter

    async def handled(self, seq: int, timeout: float = 10.0) -> None:
        """Wait until the adapter confirmed update `seq` (it confirms only after handling it)."""
        await self.fake.wait_for(lambda: self.fake.confirmed_marker >= seq, timeout)

    async def _after(self, user_id: int, push: Callable[[], int]) -> list[str]:
        before = len(self.fake.texts_to(user_id))
        await self.handled(push())
        return self.fake.texts_to(user_id)[before:]

    async def say(self, user_id: int, text: str, **kw: Any) -> list[str]:
        """The user writes `text`; returns the texts the bot sent them in answer."""
        return await self._after(user_id, lambda: self.fake.send_text(user_id, text, **kw))

    async def start(self, user_id: int, payload: str | None = None, **kw: Any) -> list[str]:
        """The user taps «Начать» (with a `?start=` payload from a link, if given)."""
        return await self._after(user_id, lambda: self.fake.bot_started(user_id, payload, **kw))

    async def press(self, user_id: int, label: str) -> list[str]:
        """The user presses the button labelled `label` on the newest message with buttons."""
        def push() -> int:
            self.fake.press_button_label(user_id, label)
            return self.fake.event_seq
        return await self._after(user_id, push)

    async def press_data(self, user_id: int, payload: str, message_id: str | None = None) -> list[str]:
        def push() -> int:
            self.fake.press_button(user_id, payload, message_id)
            return self.fake.event_seq
        return await self._after(user_id, push)

    async def pushed(self, user_id: int, seq: int) -> list[str]:
        before = len(self.fake.texts_to(user_id))
        await self.handled(seq)
        return self.fake.texts_to(user_id)[before:]

    def labels(self, user_id: int) -> list[str]:
        return self.fake.labels(user_id)


def max_settings(settings: Settings, fake: FakeMaxServer) -> Settings:
    return settings.model_copy(update={
        "max_bot_token": TOKEN, "max_api_url": fake.base_url,
        "coordinators": [("max", str(COORDINATOR))],
    })


def make_adapter(app: App, fake: FakeMaxServer, **kw: Any) -> MaxAdapter:
    marker = kw.pop("marker", None) or MemoryMarker()
    commands: Callable[[], Awaitable[list[tuple[str, str]]]] = lambda: command_list(app.s)  # noqa: E731
    return MaxAdapter(app.core, token=TOKEN, api_url=fake.base_url, poll_timeout=kw.pop("poll_timeout", 5),
                      marker_store=(marker.load, marker.save), commands=commands, **kw)


@asynccontextmanager
async def max_chat(
    settings: Settings, clock: FakeClock, adapter_kw: dict[str, Any] | None = None, **fake_kw: Any
) -> AsyncIterator[MaxChat]:
    """The real App (outbox loop off, as in every test) + the MAX adapter polling the fake."""
    fake_kw.setdefault("token", TOKEN)
    async with FakeMaxServer(**fake_kw) as fake:
        app = await App(max_settings(settings, fake), clock=clock).start(background=False)
        adapter = make_adapter(app, fake, **(adapter_kw or {}))
        app.s.delivery.register(adapter)
        task = asyncio.create_task(adapter.run())
        # listening (polling, or subscribed in webhook mode): updates from now on arrive
        await fake.wait_for(lambda: fake.polls > 0 or fake.subscription is not None)
        try:
            yield MaxChat(fake, app, adapter)
        finally:
            await adapter.stop()
            await task
            await app.stop()
            await adapter.close()
