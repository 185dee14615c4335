"""Learning paths: the diagnostic and levels, the staff's view of them, the bank of solutions.

One feature (one line in bot/features.py); the routes themselves live where each stage
is handled (handlers/internship/route.py), since every announcement and reminder follows them.
"""

from __future__ import annotations

from bot.services import Services
from handlers.learning import bank_browse, bank_consent, diagnostic, levels_view

PARTS = [diagnostic.register, levels_view.register, bank_consent.register, bank_browse.register]


def register(s: Services) -> None:
    for part in PARTS:
        part(s)
