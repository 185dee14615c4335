"""Every feature registers its commands, buttons and dialogs here, in one list.

WHY module by module and not package by package: /help and the messengers' command
menus list commands in registration order, so this list is that order.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.services import Services
from handlers import certificates, internship
from handlers.coordination import (
    broadcasts,
    exports,
    panel_access,
    progress,
    schedule_commands,
    team_forming,
    unreachable,
)
from handlers.enrolment import application, applications_list, digest, invites, linking, my_data, roles_admin
from handlers.internship import reminders
from handlers.learning import register as learning
from handlers.tickets import intern as tickets
from handlers.tickets import kept

FEATURES: list[Callable[[Services], None]] = [
    application.register,
    applications_list.register,
    digest.register,
    linking.register,
    invites.register,
    roles_admin.register,
    team_forming.register,
    broadcasts.register,
    progress.register,
    exports.register,
    panel_access.register,
    my_data.register,
    tickets.register,
    kept.register,
    reminders.register,
    schedule_commands.register,
    internship.register,
    learning,
    unreachable.register,
    certificates.register,
]


def register_all(services: Services) -> None:
    for register in FEATURES:
        register(services)
