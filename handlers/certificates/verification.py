"""Is this certificate real? The one answer both `/verify NUMBER` and `GET /verify/NUMBER` give.

Only what the certificate itself shows: the programme, the name as printed, the date and
the status. Nothing else about the person (no e-mail, no messenger, no progress).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage import certificates
from storage.connection import Connection


@dataclass(frozen=True, slots=True)
class Verification:
    number: str
    programme: str
    name: str
    issued_on: date
    status: str
    """valid, replaced or revoked."""
    replaced_by: str | None = None
    """The number of the certificate that replaced this one (status replaced)."""
    issued_at: datetime | None = None
    """The moment (UTC); `issued_on` is its date in UTC, show `issued_at` in your own zone."""


def clean(number: str) -> str:
    """A number as people type or paste it: spaces, a leading №, quotes and a trailing dot go."""
    return number.strip().lstrip("№#").strip().strip("«»\"'").rstrip(".").strip()


async def lookup(conn: Connection, number: str) -> Verification | None:
    text = clean(number)
    if not text or len(text) > 64:
        return None
    found = await certificates.by_number(conn, text)
    if found is None:
        return None
    return Verification(found.number, found.programme_title, found.name, found.issued_at.date(),
                        found.status, found.replaced_by, found.issued_at)
