"""Delivery of outbox rows through the messenger adapters, within each messenger's limits.

Direct replies are flushed as soon as their transaction commits; everything else
(and anything a crash left behind) is picked up by the background loop. A row is
marked sent only after the messenger accepted it, so a restart resends what was
not confirmed and never what was (the row id goes along as `idem`, so a messenger
that deduplicates, like VK's random_id, drops even that one repeat).

Limits per messenger come from the adapter when it says (`rate_per_s`,
`per_chat_interval`, `max_batch` with `send_batch`), else from PLATFORM_LIMITS:
Telegram takes about 30 messages/s overall and one per second per chat; VK 20
requests/s, and one messages.send may carry the same text to 100 peers. A 429's
retry_after holds the whole messenger, since that is what Telegram's flood control
means. Temporary errors back off exponentially; permanent ones (blocked, deleted)
mark the account unreachable and are never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.messages import DeliveryError, Reply
from storage import flags, outbox, persons
from storage.connection import Connection
from storage.db import Database
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
"""With the backoff below, a message survives a messenger outage of about three hours."""
MAX_BACKOFF_S = 900
WINDOW_S = 1.01
"""The rate window: a call counts from its start until a second after it ended.

The server counts a request when it arrives, somewhere between our start and our end:
a new call may start only a window after the call 30 back has *ended*, so however
the network jitters, no 31 arrivals fit in one second of the server's clock.
"""


FileResolver = Callable[[str], Awaitable[bytes | None]]
"""Bytes for an `OutFile.ref` key, or None when the file is gone (a revoked certificate)."""


class Messenger(Protocol):
    """What the core needs from an adapter: a name and a way to send one message."""

    platform: str

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        """Send one message; return the messenger's message id. Raise DeliveryError."""
        ...


@dataclass(frozen=True, slots=True)
class Limits:
    rate_per_s: float | None
    """API calls per second for the whole messenger; None: no limit (console, tests)."""
    per_chat_interval: float = 0.0
    """Seconds between two background messages to one chat; direct replies neither wait
    for it nor make a notice wait (Telegram tolerates such a pair, not a stream)."""
    max_batch: int = 1
    """Recipients per call when the messenger can send one text to many (`send_batch`)."""
    max_inflight: int = 1
    """Calls under way at once: over a real network one-at-a-time cannot reach the rate.

    It is also how many messages a crash can leave accepted but unconfirmed (sent
    again after the restart unless the messenger deduplicates by `idem`).
    """


PLATFORM_LIMITS: dict[str, Limits] = {
    "telegram": Limits(30, 1.0, 1, 4),
    "vk": Limits(20, 0.0, 100, 2),
    "max": Limits(30, 0.0, 1, 4),
}


def limits_of(messenger: Messenger) -> Limits:
    base = PLATFORM_LIMITS.get(messenger.platform, Limits(None))
    can_batch = callable(getattr(messenger, "send_batch", None))
    return Limits(
        getattr(messenger, "rate_per_s", base.rate_per_s),
        float(getattr(messenger, "per_chat_interval", base.per_chat_interval) or 0.0),
        max(1, int(getattr(messenger, "max_batch", base.max_batch))) if can_batch else 1,
        max(1, int(getattr(messenger, "max_inflight", base.max_inflight))),
    )


class Pace:
    """One messenger's limits: a sliding window of calls, per-chat spacing, a 429 hold.

    The call window runs on real monotonic time (it paces actual HTTP calls); the
    per-chat spacing and the hold run on the injected clock, so tests move them.
    """

    def __init__(
        self, limits: Limits, clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._calls: dict[int, float | None] = {}
        """Calls of the last window: slot -> when it ended (None: still under way)."""
        self._slots = itertools.count()
        self._lock = asyncio.Lock()
        self._chat_next: dict[str, datetime] = {}
        self.held_until: datetime | None = None
        self.share = 1.0
        """This instance's part of the rate (1/N with N instances alive on one database)."""

    @contextlib.asynccontextmanager
    async def call(self) -> AsyncIterator[None]:
        """Hold one of the rate's slots for the duration of one API call (see WINDOW_S)."""
        if not self.limits.rate_per_s:
            yield
            return
        slot = await self._acquire(max(1, int(self.limits.rate_per_s * self.share)))
        try:
            yield
        finally:
            self._calls[slot] = self._monotonic()

    async def _acquire(self, cap: int) -> int:
        async with self._lock:
            while True:
                now = self._monotonic()
                for slot, ended in list(self._calls.items()):
                    if ended is not None and now - ended >= WINDOW_S:
                        del self._calls[slot]
                if len(self._calls) < cap:
                    slot = next(self._slots)
                    self._calls[slot] = None  # under way: counts until it ends
                    return slot
                ended_at = [t for t in self._calls.values() if t is not None]
                wait = min(ended_at) + WINDOW_S - now if ended_at else 0.01
                await self._sleep(max(wait, 0.001))

    def held(self) -> bool:
        return self.held_until is not None and self.clock.now() < self.held_until

    def hold(self, seconds: float) -> None:
        until = self.clock.now() + timedelta(seconds=seconds)
        if self.held_until is None or until > self.held_until:
            self.held_until = until

    def chat_ready(self, chat_ref: str) -> bool:
        ready = self._chat_next.get(chat_ref)
        return ready is None or self.clock.now() >= ready

    def chat_used(self, chat_ref: str) -> None:
        if self.limits.per_chat_interval:
            self._chat_next[chat_ref] = self.clock.now() + timedelta(
                seconds=self.limits.per_chat_interval
            )
            if len(self._chat_next) > 50_000:  # forget chats whose spacing has long passed
                now = self.clock.now()
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}


MAX_MARKS_PER_STATEMENT = 500
"""Rows one statement records sent (three parameters each: far below either engine's cap)."""


class SentMarks:
    """Record rows sent, many senders' rows in one statement.

    Every update's replies, and every message of a broadcast, end in one write: the row is
    sent. Done one by one, that write is a turn at the SQLite lock or a round trip to
    PostgreSQL per message. Here whoever comes while a write is under way waits for it
    and then writes everything that gathered meanwhile, together (group commit): no
    delay when the bot is quiet, one statement for many rows when it is busy.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._waiting: list[tuple[list[tuple[int, str | None]], asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def record(self, sent: list[tuple[int, str | None]]) -> None:
        """Return once these rows are recorded sent; raise what the database raised."""
        if not sent:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((sent, done))
        async with self._lock:
            if not done.done():
                await self._write_waiting()
        await done

    async def _write_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        rows = [pair for sent, _ in batch for pair in sent]
        try:
            for start in range(0, len(rows), MAX_MARKS_PER_STATEMENT):
                async with self.db.statement() as conn:
                    await outbox.mark_sent_many(
                        conn, rows[start:start + MAX_MARKS_PER_STATEMENT], self.clock.now()
                    )
        except Exception as exc:
            for _, future in batch:
                if not future.done():  # a sender cancelled while it waited for the lock
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled: the others' rows go to whoever writes next
            self._waiting[:0] = [(sent, f) for sent, f in batch if not f.done()]
            raise
        for _, future in batch:
            if not future.done():
                future.set_result(None)


class Delivery:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.marks = SentMarks(db, clock)
        self.messengers: dict[str, Messenger] = {}
        self.paces: dict[str, Pace] = {}
        self._inflight: set[int] = set()
        self._wake = asyncio.Event()
        self.paused = False
        self._paused_loaded = False
        self.instance = "local"
        """The name this process claims outbox rows under (bot/instance.py sets it)."""
        self.claim_seconds = 120.0
        self.file_resolvers: dict[str, FileResolver] = {}
        """`OutFile.ref` kind -> where its bytes are (see `resolve_files`)."""

    def claim_until(self) -> datetime:
        """How long a claimed row is this instance's alone: past it, another instance
        takes the row over (this one is presumed dead)."""
        return self.clock.now() + timedelta(seconds=self.claim_seconds)

    def _claimable(self, platform: str, limit: int) -> int:
        """Claim no more than this instance can send in half its claim time: a claim that
        expired while its rows still waited here for the rate would let another instance
        send them too."""
        pace = self.paces[platform]
        rate = pace.limits.rate_per_s
        if not rate:
            return limit
        calls = max(1, int(rate * pace.share * self.claim_seconds / 2))
        return max(1, min(limit, calls * pace.limits.max_batch))

    def share_rate(self, share: float) -> None:
        """Use this fraction of each messenger's rate: the instances alive on one database
        split it, so together they stay under the messenger's limit (bot/instance.py)."""
        for pace in self.paces.values():
            pace.share = share

    def register(self, messenger: Messenger) -> None:
        self.messengers[messenger.platform] = messenger
        self.paces[messenger.platform] = Pace(limits_of(messenger), self.clock)

    def wake(self) -> None:
        self._wake.set()

    def resolve_files(self, kind: str, resolver: FileResolver) -> None:
        """Files of this `ref` kind are fetched only when their message goes out: a feature
        keeps large files once (a certificate's PDF in its registry) instead of one copy in
        the outbox per message and channel."""
        self.file_resolvers[kind] = resolver

    async def _resolved(self, reply: Reply) -> Reply | None:
        file = reply.file
        if file is None or file.data is not None or file.file_id or not file.ref:
            return reply
        kind, _, key = file.ref.partition(":")
        resolver = self.file_resolvers.get(kind)
        if resolver is None:
            raise DeliveryError(f"no resolver for files of kind {kind!r}")
        data = await resolver(key)
        if data is None:
            return None
        return dataclasses.replace(reply, file=dataclasses.replace(file, data=data))

    async def set_paused(self, paused: bool, conn: Connection | None = None) -> None:
        """Pause or resume everything but direct replies; remembered across restarts.

        A handler passes its update's connection, so the switch commits with its reply.
        """
        if conn is not None:
            await flags.put(conn, flags.PAUSED, "1" if paused else "0", self.clock.now())
        else:
            async with self.db.transaction() as own:
                await flags.put(own, flags.PAUSED, "1" if paused else "0", self.clock.now())
        self.paused, self._paused_loaded = paused, True
        if not paused:
            self.wake()

    async def _is_paused(self) -> bool:
        if not self._paused_loaded:
            async with self.db.read() as conn:
                self.paused = await flags.get(conn, flags.PAUSED) == "1"
            self._paused_loaded = True
        return self.paused

    async def flush(self, rows: list[OutboxRow]) -> None:
        """Send the rows a handler just wrote, in order, without waiting for the loop.

        The caller read them back in its own transaction, and they are recorded sent
        together at the end: one turn at the database lock for the whole update instead
        of one per message, which under load is what a person waits for (the rows stay
        marked in flight meanwhile, so the outbox loop does not send them too).
        While a messenger is held by a 429 even replies wait for the loop: sending them
        now would only draw another 429 and lengthen the wait.
        """
        if not rows:
            return
        paused = await self._is_paused()
        due = [r for r in rows if (r.kind == "reply" or not paused) and r.platform in self.messengers
               and r.id not in self._inflight and not self.paces[r.platform].held()]
        ids = {r.id for r in due}
        self._inflight |= ids
        try:
            sent: list[tuple[int, str | None]] = []
            for row in due:
                ok, ref = await self._send(row)
                if ok:
                    sent.append((row.id, ref))
            await self.marks.record(sent)
        finally:
            self._inflight -= ids
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
        """Deliver what is due now on every messenger; returns how many rows were tried."""
        if await self._is_paused():
            return 0
        now = self.clock.now()
        work: list[tuple[Messenger, list[OutboxRow]]] = []
        async with self.db.statement() as conn:
            for platform, messenger in self.messengers.items():
                if self.paces[platform].held():
                    continue
                rows = await outbox.claim_due(conn, now, self.instance, self.claim_until(),
                                              self._claimable(platform, limit), platform)
                rows = [r for r in rows if r.id not in self._inflight]
                if rows:
                    work.append((messenger, rows))
        if not work:
            return 0
        tried = await asyncio.gather(*(self._run_platform(m, rows) for m, rows in work))
        return sum(tried)

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

    async def _run_platform(self, messenger: Messenger, rows: list[OutboxRow]) -> int:
        """One messenger's due rows: expired ones dropped, chats spaced, same texts batched."""
        pace = self.paces[messenger.platform]
        now = self.clock.now()
        ready: list[OutboxRow] = []
        spaced: set[str] = set()
        for row in rows:
            if row.expires_at is not None and now >= row.expires_at:
                log.info("outbox %s (%s) expired unsent", row.id, row.idem_key)
                async with self.db.statement() as conn:
                    await outbox.cancel_expired(conn, row.id)
                continue
            background = row.kind != "reply" and pace.limits.per_chat_interval > 0
            if background and (row.chat_ref in spaced or not pace.chat_ready(row.chat_ref)):
                continue  # this chat had a message just now: the row waits for a later pass
            if background:
                spaced.add(row.chat_ref)
            ready.append(row)
        lanes = _lanes(_batches(ready, pace.limits.max_batch), pace.limits.max_inflight)
        tried = await asyncio.gather(*(self._run_lane(messenger, lane) for lane in lanes))
        return sum(tried)

    async def _run_lane(self, messenger: Messenger, groups: list[list[OutboxRow]]) -> int:
        """One lane's calls in order; a 429 seen by any lane stops them all."""
        pace = self.paces[messenger.platform]
        tried = 0
        for group in groups:
            if pace.held():
                break
            if len(group) == 1:
                await self._deliver(group[0])
            else:
                await self._deliver_batch(messenger, group)
            tried += len(group)
        return tried

    async def _deliver(self, row: OutboxRow) -> None:
        if row.id in self._inflight or row.platform not in self.messengers:
            return
        self._inflight.add(row.id)
        try:
            ok, ref = await self._send(row)
            if ok:
                await self.marks.record([(row.id, ref)])
        finally:
            self._inflight.discard(row.id)

    async def _send(self, row: OutboxRow) -> tuple[bool, str | None]:
        """One message to its messenger: (True, its message id), or (False, None) with the
        failure recorded. The caller holds the row in flight and records it sent."""
        pace = self.paces[row.platform]
        if row.kind != "reply":  # a reply and a notice may meet; two notices may not
            pace.chat_used(row.chat_ref)
        try:
            reply = await self._resolved(row.reply)
            if reply is None:  # its file was withdrawn meanwhile: the message has nothing to carry
                async with self.db.statement() as conn:
                    await outbox.cancel(conn, row.id, "its file is no longer issued")
                return False, None
            async with pace.call():
                return True, await self.messengers[row.platform].send(row.chat_ref, reply, idem=row.id)
        except DeliveryError as exc:
            await self._failed([row], exc)
        except Exception as exc:  # an adapter bug or a network error it did not map
            log.warning("outbox %s: %s raised %r", row.id, row.platform, exc)
            await self._failed([row], DeliveryError(repr(exc)))
        return False, None

    async def _deliver_batch(self, messenger: Messenger, rows: list[OutboxRow]) -> None:
        """One call for many chats (VK messages.send with peer_ids); per-chat outcomes."""
        pace = self.paces[messenger.platform]
        ids = {r.id for r in rows}
        self._inflight |= ids
        try:
            for row in rows:
                pace.chat_used(row.chat_ref)
            send_batch = messenger.send_batch  # type: ignore[attr-defined]
            try:
                async with pace.call():
                    results = await send_batch(
                        [r.chat_ref for r in rows], rows[0].reply, idem=min(ids)
                    )
            except DeliveryError as exc:
                await self._failed(rows, exc)
                return
            except Exception as exc:
                log.warning("outbox batch of %s on %s raised %r", len(rows), messenger.platform, exc)
                await self._failed(rows, DeliveryError(repr(exc)))
                return
            sent: list[tuple[int, str | None]] = []
            failed: list[tuple[OutboxRow, DeliveryError]] = []
            for row in rows:
                outcome = results.get(row.chat_ref, DeliveryError("no answer for this peer"))
                if isinstance(outcome, DeliveryError):
                    failed.append((row, outcome))
                else:
                    sent.append((row.id, outcome))
            await self.marks.record(sent)
            for row, error in failed:
                await self._failed([row], error)
        finally:
            self._inflight -= ids

    async def _failed(self, rows: list[OutboxRow], exc: DeliveryError) -> None:
        now = self.clock.now()
        if exc.retry_after:
            self.paces[rows[0].platform].hold(exc.retry_after)
        async with self.db.transaction() as conn:
            for row in rows:
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
                    delay = exc.retry_after or min(2 ** row.attempts, MAX_BACKOFF_S)
                    await outbox.mark_retry(conn, row.id, now + timedelta(seconds=delay), str(exc))


def _lanes(groups: list[list[OutboxRow]], count: int) -> list[list[list[OutboxRow]]]:
    """Spread calls over `count` lanes, a chat always in the same lane so its order holds."""
    lanes: list[list[list[OutboxRow]]] = [[] for _ in range(count)]
    lane_of: dict[str, int] = {}
    for index, group in enumerate(groups):
        chat = group[0].chat_ref
        lane = lane_of.setdefault(chat, index % count) if len(group) == 1 else index % count
        lanes[lane].append(group)
    return [lane for lane in lanes if lane]


def _batches(rows: list[OutboxRow], max_batch: int) -> list[list[OutboxRow]]:
    """Rows in order; background rows with the same body and distinct chats grouped."""
    if max_batch <= 1:
        return [[r] for r in rows]
    groups: dict[str, list[list[OutboxRow]]] = defaultdict(list)
    order: list[list[OutboxRow]] = []
    for row in rows:
        if row.kind == "reply" or row.reply.file is not None:
            order.append([row])
            continue
        for group in groups[row.body]:
            if len(group) < max_batch and all(r.chat_ref != row.chat_ref for r in group):
                group.append(row)
                break
        else:
            group = [row]
            groups[row.body].append(group)
            order.append(group)
    return order
