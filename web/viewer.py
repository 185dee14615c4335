"""Who is looking at a page: the signed-in person, their roles (read afresh on every
request, as the chat does for every update) and their language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import Texts
from storage.persons import Account, Person


@dataclass(frozen=True, slots=True)
class Viewer:
    person: Person
    account: Account
    roles: set[str]
    lang: str
    csrf: str
    session_key: str
    """The session's secret as the cookie carries it (flash notes are kept under it)."""
    texts: Texts

    def t(self, key: str, /, **params: Any) -> str:
        return self.texts.get(self.lang, key, **params)

    def has_role(self, role: str) -> bool:
        return role in self.roles
