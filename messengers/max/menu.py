"""The MAX command list: one for everybody, in the default language.

MAX keeps one list per bot (no per-chat or per-language menus as in Telegram), so it
shows what everyone may use; staff commands work all the same (the router checks
roles on every update) and /help lists them for those who have them.
"""

from __future__ import annotations

from bot.router import described_commands
from bot.services import Services


async def command_list(services: Services) -> list[tuple[str, str]]:
    lang = services.settings.default_locale
    texts = services.texts
    names = described_commands(services.router, lambda key: texts.has(key, lang), set())
    return [(name, texts.get(lang, f"commands.{name}")[:128]) for name in names]
