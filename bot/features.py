"""Every feature registers its commands, buttons and dialogs here, in one list."""

from __future__ import annotations

from collections.abc import Callable

from bot import enrolment, linking
from bot import tickets as tickets_feature
from bot.services import Services

FEATURES: list[Callable[[Services], None]] = [
    enrolment.register,
    linking.register,
    tickets_feature.register,
]


def register_all(services: Services) -> None:
    for register in FEATURES:
        register(services)
