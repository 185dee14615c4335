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
    roles_admin,
    team_forming,
    tickets,
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
    internship.register,
]


def register_all(services: Services) -> None:
    for register in FEATURES:
        register(services)
