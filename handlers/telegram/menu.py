"""The Telegram command menu (setMyCommands), per language and per role.

Everyone gets the commands open to all; each coordinator named in COORDINATORS gets,
in their own chat scope, the coordinator commands too. A command appears only when its
feature gave it a `menu.<command>` text, so the menu never shows an undocumented one.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.services import Services

LANGUAGES = ("ru", "en")


@dataclass(frozen=True, slots=True)
class Menu:
    scope: BotCommandScopeDefault | BotCommandScopeChat
    language_code: str | None
    commands: list[BotCommand]


def commands_for(services: Services, lang: str, role: str | None) -> list[BotCommand]:
    texts = services.texts
    found = []
    for name, route in services.router.commands.items():
        key = f"menu.{name}"
        if not texts.has(key, lang):
            continue
        if route.roles is None or (role is not None and role in route.roles):
            found.append(BotCommand(command=name, description=texts.get(lang, key)[:256]))
    return found


def build_menus(services: Services) -> list[Menu]:
    settings = services.settings
    default = settings.default_locale
    menus = [
        Menu(BotCommandScopeDefault(), None if lang == default else lang, commands_for(services, lang, None))
        for lang in LANGUAGES
    ]
    for platform, ref in settings.coordinators:
        if platform == "telegram" and ref.lstrip("-").isdigit():
            menus.append(Menu(BotCommandScopeChat(chat_id=int(ref)), None,
                              commands_for(services, default, "coordinator")))
    return menus
