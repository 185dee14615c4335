"""Every feature registers its commands, buttons and dialogs here, in one list."""

from __future__ import annotations

from collections.abc import Callable

from bot import enrolment, internship, linking
from bot.services import Services

FEATURES: list[Callable[[Services], None]] = [
    enrolment.register,
    linking.register,
    internship.register,
]


def register_all(services: Services) -> None:
    for register in FEATURES:
        register(services)
