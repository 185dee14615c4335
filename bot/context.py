"""What a handler gets for one update: who wrote, in which language, and where to reply.

Everything a handler says is collected here and written to the outbox in the same
transaction as its state change, so a crash can neither lose nor repeat a message.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.messages import Button, Incoming, Reply
from storage import outbox, persons
from storage.arrival import Arrival
from storage.connection import Connection
from storage.outbox import OutboxRow
from storage.persons import Account, Person

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(slots=True)
class Ctx:
    conn: Connection
    now: datetime
    services: Services
    incoming: Incoming
    person: Person
    account: Account
    roles: set[str]
    lang: str
    args: list[str] = field(default_factory=list)
    written: list[int] = field(default_factory=list)
    """Outbox rows to send as soon as the transaction commits (ids, in order)."""
    claimed: dict[int, OutboxRow] = field(default_factory=dict)
    """Those of `written` that were inserted already claimed by this instance (replies)."""
    arrived: Arrival | None = None
    """The dialog state (and form progress) as the update found it, read with the account
    (storage/arrival.py). Only for a first look before anything is written: afterwards,
    or when it is None (the panel), read `dialogs.get` / `forms.get`."""
    later: list[Callable[[], Awaitable[Reply]]] = field(default_factory=list)
    """Replies built after the transaction (see `reply_later`), in order."""
    _reply_count: int = 0

    def t(self, key: str, /, **params: Any) -> str:
        return self.services.texts.get(self.lang, key, **params)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    async def reply(
        self,
        text: str,
        buttons: list[list[Button]] | None = None,
        *,
        file: Any = None,
        keyboard: list[list[Button]] | None = None,
    ) -> None:
        """Answer in the chat the update came from."""
        self._reply_count += 1
        base = self.incoming.update_ref or uuid.uuid4().hex
        key = f"r:{self.incoming.platform}:{base}:{self._reply_count}"
        delivery = self.services.delivery
        reply = Reply(text, buttons or [], file, keyboard=keyboard)
        row = await outbox.enqueue_claimed(
            self.conn, key, self.account, reply, self.now, (delivery.instance, delivery.claim_until())
        )
        if row is not None:
            self.written.append(row.id)
            self.claimed[row.id] = row

    def reply_later(self, build: Callable[[], Awaitable[Reply]]) -> None:
        """A reply that takes long to build (a chart, a workbook), built once this update's
        transaction is committed: the database is one connection under one lock, and
        holding it through a second of rendering would stall every other chat, the
        outbox and the scheduler. `build` must work on data already read, not on `conn`.

        The reply is then written to the outbox in a transaction of its own; a crash in
        between loses only this answer to a command, which the coordinator asks again.
        """
        self.later.append(build)

    async def notify(
        self,
        person_id: int,
        key: str,
        build: Callable[[str], Reply],
        *,
        kind: str = "notice",
        not_before: datetime | None = None,
    ) -> bool:
        """Write a message to another person (in their language) to their latest account."""
        return await notify(
            self.conn, self.services, person_id, key, build,
            now=self.now, kind=kind, not_before=not_before, written=self.written,
        )


async def notify(
    conn: Connection,
    services: Services,
    person_id: int,
    key: str,
    build: Callable[[str], Reply],
    *,
    now: datetime,
    kind: str = "notice",
    not_before: datetime | None = None,
    written: list[int] | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Outbox a message to a person; usable outside an update (scheduler, broadcasts)."""
    accounts = [a for a in await persons.accounts_of(conn, person_id) if not a.unreachable]
    if not accounts:
        accounts = await persons.accounts_of(conn, person_id)
    if not accounts:
        return False
    account = accounts[0]
    person = await persons.get_person(conn, person_id)
    lang = person.locale or services.texts.language_for(account.language_code)
    row_id = await outbox.enqueue(
        conn,
        idem_key=key,
        person_id=person_id,
        platform=account.platform,
        chat_ref=account.chat_ref,
        reply=build(lang),
        now=now,
        kind=kind,
        not_before=not_before,
        expires_at=expires_at,
    )
    if row_id and written is not None and kind == "notice" and not_before is None:
        written.append(row_id)
    return row_id is not None
