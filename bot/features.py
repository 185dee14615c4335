"""Every feature registers its commands, buttons and dialogs here, in one list."""

from __future__ import annotations

from collections.abc import Callable

from bot import (
    broadcasts,
    enrolment,
    exports,
    internship,
    invites,
    linking,
    my_data,
    progress,
    reminders,
    roles_admin,
    schedule_commands,
    team_forming,
    tickets,
    unreachable,
)
from bot.services import Services

FEATURES: list[Callable[[Services], None]] = [
    enrolment.register,
    linking.register,
    invites.register,
    roles_admin.register,
    team_forming.register,
    broadcasts.register,
    progress.register,
    exports.register,
    my_data.register,
    tickets.register,
    reminders.register,
    schedule_commands.register,
    internship.register,
    unreachable.register,
]


def register_all(services: Services) -> None:
    for register in FEATURES:
        register(services)
