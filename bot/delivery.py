"""Delivery of outbox rows through the messenger adapters.

Direct replies are flushed as soon as their transaction commits; everything else
(and anything a crash left behind) is picked up by the background loop. A row is
marked sent only after the messenger accepted it, so a restart resends what was
not confirmed and never what was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.messages import DeliveryError, Reply
from storage import outbox, persons
from storage.db import Database
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class Messenger(Protocol):
    """What the core needs from an adapter: a name and a way to send one message."""

    platform: str

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        """Send one message; return the messenger's message id. Raise DeliveryError."""
        ...


class Delivery:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.messengers: dict[str, Messenger] = {}
        self._inflight: set[int] = set()
        self._wake = asyncio.Event()
        self.paused = False

    def register(self, messenger: Messenger) -> None:
        self.messengers[messenger.platform] = messenger

    def wake(self) -> None:
        self._wake.set()

    async def flush(self, ids: list[int]) -> None:
        """Send the rows a handler just wrote, in order, without waiting for the loop."""
        if not ids:
            return
        async with self.db.read() as conn:
            rows = await outbox.by_ids(conn, ids)
        due = [r for r in rows if r.kind == "reply" or not self.paused]
        for row in due:
            await self._deliver(row)
        if len(due) < len(rows):
            self.wake()

    async def send_direct(self, platform: str, chat_ref: str, reply: Reply) -> None:
        """Send without the outbox: only for "try again later" when storage is failing."""
        messenger = self.messengers.get(platform)
        if messenger is None:
            return
        try:
            await messenger.send(chat_ref, reply)
        except DeliveryError as exc:
            log.warning("direct send to %s failed: %s", platform, exc)

    async def run_once(self, limit: int = 200) -> int:
        """Deliver what is due now; returns how many rows were tried."""
        if self.paused:
            return 0
        async with self.db.read() as conn:
            rows = await outbox.due(conn, self.clock.now(), limit)
        rows = [r for r in rows if r.id not in self._inflight and r.platform in self.messengers]
        for row in rows:
            await self._deliver(row)
        return len(rows)

    async def run(self, idle_seconds: float = 1.0) -> None:
        """The background loop: deliver due rows, then sleep until woken or a second passes."""
        while True:
            try:
                tried = await self.run_once()
            except Exception:
                log.exception("outbox pass failed")
                tried = 0
            if tried:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_seconds)

    async def _deliver(self, row: OutboxRow) -> None:
        if row.id in self._inflight:
            return
        messenger = self.messengers.get(row.platform)
        if messenger is None:
            return
        self._inflight.add(row.id)
        try:
            try:
                ref = await messenger.send(row.chat_ref, row.reply, idem=row.id)
            except DeliveryError as exc:
                await self._failed(row, exc)
                return
            async with self.db.statement() as conn:
                await outbox.mark_sent(conn, row.id, self.clock.now(), ref)
        finally:
            self._inflight.discard(row.id)

    async def _failed(self, row: OutboxRow, exc: DeliveryError) -> None:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if exc.permanent:
                log.warning("outbox %s: recipient unreachable (%s)", row.id, exc)
                await outbox.mark_final(conn, row.id, "unreachable", str(exc))
                account = await persons.find_account_by_chat(conn, row.platform, row.chat_ref)
                if account is not None:
                    await persons.mark_unreachable(conn, account.id, now)
            elif row.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("outbox %s: giving up after %s attempts: %s", row.id, MAX_ATTEMPTS, exc)
                await outbox.mark_final(conn, row.id, "failed", str(exc))
            else:
                delay = exc.retry_after or min(2 ** row.attempts, 300)
                await outbox.mark_retry(conn, row.id, now + timedelta(seconds=delay), str(exc))

