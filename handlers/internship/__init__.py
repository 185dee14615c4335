"""The internship after approval, registered as one feature (one line in bot/features.py).

Order matters only for the menu: it wraps /help, so it comes after enrolment.
"""

from __future__ import annotations

from bot.services import Services
from handlers.internship import (
    events,
    final_stage,
    homework,
    menu,
    problematisation,
    reflection,
    review,
    stage_opening,
    stage_start,
    video,
)

PARTS = [
    menu.register,
    events.register,
    stage_opening.register,
    stage_start.register,
    homework.register,
    video.register,
    review.register,
    problematisation.register,
    reflection.register,
    final_stage.register,
]


def register(s: Services) -> None:
    for part in PARTS:
        part(s)
