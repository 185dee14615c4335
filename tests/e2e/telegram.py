"""A person chatting with the real app through the real aiogram client and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import App
from bot.clock import FakeClock
from bot.settings import Settings
from messengers.telegram import TelegramAdapter
from messengers.telegram.menu import build_menus
from tests.fakes.telegram_server import FakeTelegramServer

TOKEN = "123456:TEST-token"
COORDINATOR = 1001


class TelegramChat:
    def __init__(self, fake: FakeTelegramServer, app: App, adapter: TelegramAdapter) -> None:
        self.fake = fake
        self.app = app
        self.adapter = adapter

    async def handled(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the adapter confirmed `update_id` (it confirms only after handling it)."""
        await self.fake.wait_for(
            lambda: all(u["update_id"] != update_id for u in self.fake.pending_updates()), timeout
        )

    async def _after(self, user_id: int, push: Any) -> list[str]:
        before = len(self.fake.texts_to(user_id))
        await self.handled(push())
        return self.fake.texts_to(user_id)[before:]

    async def say(self, user_id: int, text: str, **kw: Any) -> list[str]:
        """The user writes `text`; returns the texts the bot sent them in answer."""
        return await self._after(user_id, lambda: self.fake.send_text(user_id, text, **kw))

    async def press(self, user_id: int, label: str) -> list[str]:
        """The user presses the button labelled `label` on the newest message with buttons."""
        before = len(self.fake.texts_to(user_id))
        query_id = self.fake.press_button_text(user_id, label)
        update = next(u for u in self.fake.updates if u.get("callback_query", {}).get("id") == query_id)
        await self.handled(update["update_id"])
        return self.fake.texts_to(user_id)[before:]

    async def tap(self, user_id: int, label: str) -> list[str]:
        """The user taps a key of the reply keyboard under the input field."""
        return await self._after(user_id, lambda: self.fake.tap_key(user_id, label))

    def labels(self, user_id: int) -> list[str]:
        return [b["text"] for row in self.fake.buttons(user_id) for b in row]


def telegram_settings(settings: Settings, fake: FakeTelegramServer) -> Settings:
    return settings.model_copy(update={
        "telegram_bot_token": TOKEN,
        "telegram_api_url": fake.base_url,
        "coordinators": [("telegram", str(COORDINATOR))],
    })


@asynccontextmanager
async def telegram_chat(
    settings: Settings, clock: FakeClock, adapter_kw: dict[str, Any] | None = None, **fake_kw: Any
) -> AsyncIterator[TelegramChat]:
    """The real App (outbox loop off, as in every test) + the Telegram adapter polling the fake."""
    import asyncio

    adapter_kw = adapter_kw or {}
    async with FakeTelegramServer(**fake_kw) as fake:
        app = await App(telegram_settings(settings, fake), clock=clock).start(background=False)
        adapter = TelegramAdapter(app.core, token=TOKEN, api_url=fake.base_url, poll_timeout=5,
                                  menus=lambda: build_menus(app.s), **adapter_kw)
        app.s.delivery.register(adapter)
        task = asyncio.create_task(adapter.run())
        try:
            yield TelegramChat(fake, app, adapter)
        finally:
            await adapter.stop()
            await task
            await app.stop()
            await adapter.close()
