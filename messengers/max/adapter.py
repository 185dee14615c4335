"""The MAX adapter: long polling (or a webhook) in, MAX Bot API calls out, through maxapi.

maxapi's `Bot` is used as a client only (no Dispatcher): updates are parsed by the
library into its models, turned into `Incoming` and handed to the core, exactly as
the Telegram adapter does with aiogram. One person's updates are handled in order,
different people's concurrently. The polling marker is saved (in the database, by the
registry) only after the batch is handled; the core dedupes a re-fetched update.

Every request the adapter makes (messages, callback answers, uploads, the menu) passes
one window of `requests_per_s` (MAX: about 30 a second for a bot), so the platform's
limit is kept by us, not found out through 429s. The token travels only in the
`Authorization` header (maxapi's way): never in a URL, so never in an access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.message_link_type import MessageLinkType
from maxapi.exceptions.max import InvalidToken
from maxapi.methods.types.getted_updates import get_update_model, process_update_request
from maxapi.types.attachments.upload import AttachmentUpload
from maxapi.types.command import BotCommand
from maxapi.types.input_media import InputMedia
from maxapi.types.message import NewMessageLink
from maxapi.types.updates import UpdateUnion
from maxapi.utils.message import process_input_media

from bot.core import Core
from bot.messages import DeliveryError, OutFile, Reply
from messengers import webhook
from messengers.max import mapping, render
from messengers.max.errors import delivery_error
from messengers.ordering import PersonLocks, each_in_order

log = logging.getLogger(__name__)
# maxapi logs an update it cannot parse with the whole event (names, what people wrote) on
# its "dispatcher" logger, even at ERROR; personal data never reaches our logs, so the
# adapter says how many it skipped instead (see _poll_loop).
logging.getLogger("dispatcher").setLevel(logging.CRITICAL)

POLL_TIMEOUT = 25
MAX_BACKOFF = 30.0
REQUESTS_PER_S = 30.0
WINDOW_S = 1.05
"""A little over a second: a request started just inside our window must not land just
inside the platform's next one."""
SECRET_HEADER = "X-Max-Bot-Api-Secret"
PRESSED = "✓"
"""MAX wants an answer to every button press, with a message or a notification: a tick,
in no language, that the press was taken (the reply itself follows as a message)."""

MarkerStore = tuple[Callable[[], Awaitable[str | None]], Callable[[str], Awaitable[None]]]
CommandsSource = Callable[[], Awaitable[list[tuple[str, str]]]]


class RequestWindow:
    """At most `rate` requests in any `window` seconds, across the whole adapter, as MAX
    counts them: on arrival, which is anywhere between our start and our end. So a request
    holds its place from its start until a window after it *ended* (as Delivery's pace
    does): counting starts only, 30 requests slowed on the way (a busy event loop, the
    network) arrived bunched with the next ones and MAX answered 429."""

    def __init__(self, rate: float, window: float = WINDOW_S,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.cap = max(1, int(rate))
        self.window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._held: deque[list[float | None]] = deque()
        """One [end] per request, oldest first; end is None while it is in flight."""
        self._lock = asyncio.Lock()
        self._ended = asyncio.Event()

    @asynccontextmanager
    async def call(self, count: int = 1) -> AsyncIterator[None]:
        """Around `count` requests made one after another (an upload is two)."""
        places = [await self._place() for _ in range(count)]
        try:
            yield
        finally:
            end = self._monotonic()
            for place in places:
                place[0] = end
            self._ended.set()

    async def _place(self) -> list[float | None]:
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._held and (end := self._held[0][0]) is not None and now - end >= self.window:
                    self._held.popleft()
                if len(self._held) < self.cap:
                    place: list[float | None] = [None]
                    self._held.append(place)
                    return place
                oldest = self._held[0][0]
                if oldest is None:  # still in flight: wait for some request to end
                    self._ended.clear()
                    await self._ended.wait()
                else:
                    await self._sleep(self.window - (now - oldest))


def make_bot(token: str, api_url: str = "") -> Bot:
    """A real maxapi `Bot` talking to `api_url` (the platform when empty, or a test server).

    No retries inside the library: the outbox retries with its own backoff and knows
    what was already sent; no extra look-ups per update (auto_requests): the update
    carries everything the core needs.
    """
    bot = Bot(
        token, auto_requests=False, auto_check_subscriptions=False,
        default_connection=DefaultConnectionProperties(max_retries=0, timeout=60),
    )
    # maxapi waits this long after an upload before sending; `Bot(after_input_media_delay=0)`
    # is read as "unset" (2 s). The adapter attaches uploads by token, so no wait applies;
    # a file MAX is still processing is retried by maxapi on attachment.not.ready.
    bot.after_input_media_delay = 0.0
    if api_url:
        bot.set_api_url(api_url)
    return bot


class MaxAdapter:
    platform = mapping.PLATFORM
    per_chat_interval = 0.0
    """MAX documents no per-chat rate: the bot-wide one is the limit."""
    max_batch = 1
    """No multi-recipient send: a broadcast calls send() per person."""
    max_inflight = 4

    def __init__(
        self,
        core: Core,
        *,
        token: str,
        api_url: str = "",
        poll_timeout: int = POLL_TIMEOUT,
        requests_per_s: float = REQUESTS_PER_S,
        marker_store: MarkerStore | None = None,
        webhook_url: str = "",
        webhook_secret: str = "",
        webhook_listen: str = "0.0.0.0:8081",
        commands: CommandsSource | None = None,
    ) -> None:
        self.core = core
        self.bot = make_bot(token, api_url)
        self.rate_per_s: float | None = requests_per_s * 0.95
        """The outbox's pace, a little under the adapter's own window (which also counts
        callback answers and uploads), so a broadcast never waits on both."""
        self.window = RequestWindow(requests_per_s)
        self.poll_timeout = poll_timeout
        self.marker_store = marker_store
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.webhook_port: int | None = None
        self.commands = commands
        self._marker: int | None = None
        self._webhook_order = PersonLocks()
        self._stopping = asyncio.Event()
        self._poll: asyncio.Future[dict[str, Any]] | None = None
        self._finished = asyncio.Event()
        self._finished.set()
        self._parts_done: dict[int, tuple[int, str | None]] = {}
        """idem -> (messages already accepted, last message id): a retry resumes, never repeats."""
        self._uploaded: dict[int, str] = {}
        """idem -> token of the file uploaded for it, so a retry does not upload again."""

    # --- sending -----------------------------------------------------------------------
    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        if not chat_ref.isdigit():
            raise DeliveryError(f"max: {chat_ref!r} is not a user id", permanent=True)
        user_id = int(chat_ref)
        try:
            parts = render.parts(reply)
            keyboards = [render.keyboard(part.rows) for part in parts]
        except render.PayloadTooLong as exc:
            log.error("not sending a reply to max: %s", exc)
            raise DeliveryError(str(exc), permanent=True) from exc
        if not reply.text.strip() and reply.file is None and not any(keyboards):
            return None  # MAX refuses an empty message
        done, last = self._parts_done.get(idem, (0, None)) if idem is not None else (0, None)
        link = self._reply_link(reply)
        for index in range(done, len(parts)):
            part, markup = parts[index], keyboards[index]
            try:
                attachments: list[Any] = []
                if part.with_file and reply.file is not None:
                    attachments.append(await self._file(reply.file, idem))
                if markup is not None:
                    attachments.append(markup)
                async with self.window.call():
                    sent = await self.bot.send_message(
                        user_id=user_id, text=part.text or None, attachments=attachments or None,
                        link=link if index == 0 else None,
                    )
            except Exception as exc:
                raise delivery_error(exc) from exc
            last = _message_id(sent) or last
            if idem is not None and index + 1 < len(parts):
                self._parts_done[idem] = (index + 1, last)
        if idem is not None:
            self._parts_done.pop(idem, None)
            self._uploaded.pop(idem, None)
        return last

    async def _file(self, out: OutFile, idem: int | None) -> AttachmentUpload:
        """Our bytes uploaded (upload URL, then the upload: two requests) once per message,
        or a file MAX already has, by its token."""
        if out.file_id:
            return render.uploaded(out, out.file_id)
        token = self._uploaded.get(idem) if idem is not None else None
        if token is None:
            async with self.window.call(2):
                with tempfile.TemporaryDirectory(prefix="max-upload-") as folder:
                    # WHY a file and not maxapi's InputMediaBuffer: for a buffer the library
                    # guesses the type from the bytes and appends that extension to the name,
                    # and it takes an .xlsx for a .docx; a file keeps its own name and type.
                    path = Path(folder) / (Path(out.name).name or "file")
                    await asyncio.to_thread(path.write_bytes, out.data or b"")
                    done = await process_input_media(
                        base_connection=self.bot, bot=self.bot,
                        att=InputMedia(str(path), type=render.upload_type(out)))
            token = done.payload.token
            if idem is not None:
                self._uploaded[idem] = token
        return render.uploaded(out, token)

    @staticmethod
    def _reply_link(reply: Reply) -> NewMessageLink | None:
        if not reply.reply_to_ref:
            return None
        return NewMessageLink(type=MessageLinkType.REPLY, mid=reply.reply_to_ref)

    # --- receiving ---------------------------------------------------------------------
    async def handle_updates(self, updates: list[UpdateUnion]) -> None:
        """One batch: each person's updates in order, different people concurrently."""
        await each_in_order(updates, mapping.user_key, self.handle_update)

    async def handle_update(self, update: UpdateUnion) -> None:
        callback = getattr(update, "callback", None)
        if callback is not None:
            # Answer first, so the button stops spinning whatever happens next; a stale
            # button is answered too (the core then says it no longer applies).
            try:
                async with self.window.call():
                    await self.bot.send_callback(callback.callback_id, notification=PRESSED)
            except Exception as exc:
                log.info("answering a MAX callback failed: %s", type(exc).__name__)
        try:
            # mapping inside the guard too: one odd update must not end the polling (the
            # marker would stay and the same update end it again after every restart)
            incoming = mapping.incoming_of(update)
            if incoming is None:
                return
            await self.core.handle(incoming)
        except Exception:
            log.exception("a max update (%s) failed", type(update).__name__)

    async def run(self) -> None:
        """Long polling (or the webhook server) until `stop()`; a rejected token ends it."""
        self._finished.clear()
        try:
            if self.webhook_url:
                await self._serve_webhook()
            else:
                await self._poll_loop()
        finally:
            self._finished.set()

    async def set_commands(self) -> None:
        """The bot's command list in MAX (one for everybody: MAX has no per-chat menus)."""
        if self.commands is None:
            return
        try:
            commands = await self.commands()
            async with self.window.call():
                await self.bot.set_commands(*(BotCommand(name=n, description=d) for n, d in commands[:32]))
        except InvalidToken:
            raise
        except Exception as exc:
            log.warning("setting the MAX command list failed: %s", type(exc).__name__)

    # --- webhook mode ------------------------------------------------------------------------
    async def on_webhook(self, request: web.Request) -> web.Response:
        """One update POSTed by MAX; 200 only after it is handled, so a crash means a resend."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            log.warning("MAX webhook request without the right secret from %s", request.remote)
            return web.Response(status=403)
        if self._stopping.is_set():
            return web.Response(status=503)
        try:
            update = await get_update_model(await request.json(), self.bot)
        except Exception:
            return web.Response(status=400)
        if update is None:
            return web.Response()  # a kind of update we do not handle: taken, ignored
        async with self._webhook_order.hold(mapping.user_key(update)):
            await self.handle_update(update)
        return web.Response()

    async def _serve_webhook(self) -> None:
        if not self.webhook_secret:
            log.error("MAX_WEBHOOK_SECRET is empty; refusing to serve an unprotected webhook")
            return
        runner, self.webhook_port = await webhook.serve(
            self.webhook_url, self.webhook_listen, self.on_webhook
        )
        try:
            try:
                async with self.window.call():
                    await self.bot.subscribe_webhook(
                        self.webhook_url, update_types=mapping.UPDATE_TYPES,  # type: ignore[arg-type]
                        secret=self.webhook_secret,
                    )
                await self.set_commands()
            except InvalidToken:
                log.error("MAX rejected MAX_BOT_TOKEN; the MAX adapter stops")
                return
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    # --- long polling ------------------------------------------------------------------------
    async def _poll_loop(self) -> None:
        backoff = 0.5
        try:
            async with self.window.call():
                await self.bot.delete_webhook()  # with a subscription, MAX gives polling nothing
            await self.set_commands()
        except InvalidToken:
            log.error("MAX rejected MAX_BOT_TOKEN; the MAX adapter is not running")
            return
        except Exception as exc:
            log.warning("removing the MAX webhook failed (%s); polling anyway", type(exc).__name__)
        if self.marker_store is not None:
            saved = await self.marker_store[0]()
            self._marker = int(saved) if saved and saved.isdigit() else None
        while not self._stopping.is_set():
            self._poll = asyncio.ensure_future(self.bot.get_updates(
                marker=self._marker, timeout=self.poll_timeout,
                types=mapping.UPDATE_TYPES,  # type: ignore[arg-type]
            ))
            try:
                raw = await self._poll
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self._stopping.is_set() and not (task and task.cancelling()):
                    break
                raise
            except InvalidToken:
                log.error("MAX rejected MAX_BOT_TOKEN; the MAX adapter stops")
                return
            except Exception as exc:
                log.warning("MAX GET /updates failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            finally:
                self._poll = None
            backoff = 0.5
            updates = await process_update_request(raw, self.bot)
            skipped = len(raw.get("updates") or []) - len(updates)
            if skipped:
                log.warning("MAX: %d update(s) could not be read and were skipped", skipped)
            if updates:
                await self.handle_updates(updates)
            marker = raw.get("marker")
            if isinstance(marker, int) and marker != self._marker:
                self._marker = marker
                if self.marker_store is not None:
                    await self.marker_store[1](str(marker))

    async def stop(self) -> None:
        """Stop taking updates; the batch in hand is finished and its marker saved."""
        self._stopping.set()
        if self._poll is not None:
            self._poll.cancel()
        if not self._finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), 30)

    async def close(self) -> None:
        """Release the HTTP session, after the outbox stopped sending."""
        await self.bot.close_session()


def _message_id(sent: Any) -> str | None:
    message = getattr(sent, "message", None)
    body = getattr(message, "body", None)
    return getattr(body, "mid", None)
