"""Which adapters a run starts: every messenger with a token, else the local console."""

from __future__ import annotations

from typing import Protocol

from bot.app import App
from bot.delivery import Messenger


class Adapter(Messenger, Protocol):
    async def run(self) -> None: ...

    async def stop(self) -> None: ...


def build_adapters(app: App) -> list[Adapter]:
    adapters: list[Adapter] = []
    settings = app.settings
    if settings.telegram_bot_token:
        from handlers.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(
            app.core, token=settings.telegram_bot_token, api_url=settings.telegram_api_url
        ))
    if not adapters:
        from handlers.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(app.core, user=app.settings.console_user))
    return adapters
