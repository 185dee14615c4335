"""Certificates: a PDF per intern, a registry anyone can verify, delivery in chat and by e-mail."""

from __future__ import annotations

from bot.services import Services
from handlers.certificates import commands, issuing


def register(s: Services) -> None:
    s.delivery.resolve_files(issuing.REF_KIND, issuing.resolver(s))
    commands.register(s)
