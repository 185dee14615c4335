"""Every part of the panel registers here, in one list; the menu follows this order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from web.panel import Panel


def register_all(panel: Panel) -> None:
    from web import (
        applications,
        auth,
        broadcasts,
        exports,
        health,
        people,
        progress,
        tickets,
        timeline,
        verify,
    )

    pages: list[Callable[[Panel], None]] = [
        auth.register,
        health.register,
        verify.register,
        applications.register,
        people.register,
        progress.register,
        tickets.register,
        broadcasts.register,
        timeline.register,
        exports.register,
    ]
    for register in pages:
        register(panel)
