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
    if not adapters:
        from handlers.console import ConsoleAdapter

        adapters.append(ConsoleAdapter(app.core, user=app.settings.console_user))
    return adapters
