"""Tell an intern, once, that everything the certificate needs is done."""

from __future__ import annotations

from datetime import datetime

from bot.context import notify
from bot.messages import Reply
from bot.services import Services
from handlers.certificates import issuing as certificates
from storage.completion import record_if_complete
from storage.connection import Connection


async def after_change(
    conn: Connection, services: Services, person_id: int, now: datetime,
    written: list[int] | None = None,
) -> None:
    """Call after any status change that may complete the programme for this person.

    The certificate is looked at every time, not only at completion: the name it prints
    may be confirmed (or corrected) after the last requirement was met.
    """
    if not await record_if_complete(conn, services.programme, person_id, now):
        await certificates.after_change(conn, services, person_id, now, written)
        return
    texts = services.texts

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, "myprogress.completed"))

    await notify(conn, services, person_id, f"complete:{person_id}", build, now=now, written=written)
    await certificates.after_change(conn, services, person_id, now, written)
