"""The Telegram command menu (setMyCommands), per language and per role.

Everyone gets the commands open to all (in the default language, and in the other
language for people whose Telegram speaks it); every tutor and coordinator known at
start gets, in their own chat scope, the commands of their roles too. A command appears
only when its feature gave it a `commands.<command>` text, so the menu never shows an
undocumented one. The adapter rebuilds the menus about once a minute, so a role granted
or revoked while the bot runs shows in that chat's menu soon after; the commands
themselves work at once (the router checks roles on every update).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.router import described_commands
from bot.services import Services
from storage import persons

LANGUAGES = ("ru", "en")
STAFF_ROLES = ("tutor", "coordinator")


MenuScope = BotCommandScopeDefault | BotCommandScopeChat


@dataclass(frozen=True, slots=True)
class Menu:
    scope: MenuScope
    language_code: str | None
    commands: list[BotCommand]
    panel: tuple[str, str] | None = None
    """(label, url) of the menu button that opens the web panel as a Mini App (staff chats
    when WEB_PUBLIC_URL is https: Telegram opens Mini Apps only over https)."""


def commands_for(services: Services, lang: str, roles: set[str]) -> list[BotCommand]:
    texts = services.texts
    names = described_commands(services.router, lambda key: texts.has(key, lang), roles)
    return [BotCommand(command=name, description=texts.get(lang, f"commands.{name}")[:256]) for name in names]


async def build_menus(services: Services) -> list[Menu]:
    default = services.settings.default_locale
    menus = [
        Menu(BotCommandScopeDefault(), None if lang == default else lang, commands_for(services, lang, set()))
        for lang in LANGUAGES
    ]
    staff: dict[int, tuple[set[str], str]] = {}
    async with services.db.read() as conn:
        for role in STAFF_ROLES:
            for person_id in await persons.persons_with_role(conn, role):
                person = await persons.get_person(conn, person_id)
                for account in await persons.accounts_of(conn, person_id):
                    if account.platform == "telegram" and account.chat_ref.lstrip("-").isdigit():
                        roles, _ = staff.setdefault(int(account.chat_ref), (set(), person.locale or default))
                        roles.add(role)
    url = services.settings.web_public_url
    for chat_id, (roles, lang) in sorted(staff.items()):
        panel = (services.texts.get(lang, "panel_chat.menu_button"), f"{url}/signin") \
            if url.startswith("https://") else None
        menus.append(Menu(BotCommandScopeChat(chat_id=chat_id), None, commands_for(services, lang, roles),
                          panel))
    return menus
