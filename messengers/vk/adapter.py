"""The VK adapter: Bots Long Poll in (worker thread), messages.send out (thread pool).

Every vk_api call is blocking and runs via `asyncio.to_thread`; vk_api's own lock and
`RPS_DELAY` keep the calls at the community's 20 per second. Outgoing messages carry a
`random_id` derived from the outbox row, so VK itself drops a resend of a message it
already accepted (a crash between "VK accepted" and "marked sent").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import vk_api
from vk_api.upload import VkUpload

from bot.core import Core
from bot.messages import DeliveryError, Reply
from messengers.ordering import each_in_order
from messengers.text_split import split_text
from messengers.vk import keyboard, mapping
from messengers.vk.client import DEFAULT_TIMEOUT, make_vk_api, route
from messengers.vk.errors import delivery_error, from_code
from messengers.vk.longpoll import Batch, LongPollThread, thread_to_loop

log = logging.getLogger(__name__)

LONG_POLL_WAIT = 25
RANDOM_ID_PARTS = 64
"""random_id = outbox id * 64 + part number: unique per message part, stable across retries."""
CLEAR_KEYBOARD = '{"buttons":[],"one_time":true}'
NAME_CACHE = 50_000

TsStore = tuple[Callable[[], Awaitable[str | None]], Callable[[str], Awaitable[None]]]
"""(load, save) of the long-poll position, kept by the caller (the registry uses the database)."""


class VkAdapter:
    platform = mapping.PLATFORM
    max_batch = 100
    """messages.send takes up to 100 peer_ids in one call."""
    per_chat_interval = 0.0
    """VK documents no per-conversation rate; the community-wide rate is the limit."""

    def __init__(
        self,
        core: Core,
        *,
        token: str,
        api_url: str,
        api_version: str = "5.199",
        group_id: int | None = None,
        requests_per_s: float = 20.0,
        long_poll_wait: int = LONG_POLL_WAIT,
        ts_store: TsStore | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.core = core
        self.api_url = api_url
        self.vk = make_vk_api(token, api_url=api_url, api_version=api_version,
                              requests_per_s=requests_per_s, timeout=timeout)
        self.rate_per_s = requests_per_s
        self.group_id = group_id
        self.long_poll_wait = long_poll_wait
        self.ts_store = ts_store
        self._upload: VkUpload | None = None
        self._callbacks_ok: dict[int, bool] = {}
        """peer -> whether the person's app shows callback buttons (from client_info)."""
        self._names: dict[int, str] = {}
        """user id -> "First Last", looked up once per person with one users.get per batch."""
        self._regular_shown: set[int] = set()
        """Peers under whose input field a regular keyboard is shown: cleared by the next message."""
        self._menus: dict[int, str] = {}
        """peer -> the persistent keyboard (the intern's menu) last sent, shown again in
        place of a one-off regular keyboard instead of leaving the field empty."""
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._finished.set()
        self._thread: LongPollThread | None = None

    async def call(self, method: str, **params: Any) -> Any:
        """One VK API method in a worker thread (the loop never waits on vk_api)."""
        return await asyncio.to_thread(self.vk.method, method, params)

    # --- sending -----------------------------------------------------------------------
    def _messages(self, peer_id: int, reply: Reply, attachment: str | None) -> list[dict[str, Any]]:
        """messages.send parameters for each part: keyboard and attachment on the last."""
        parts = split_text(reply.text) if reply.text.strip() else [""]
        calls: list[dict[str, Any]] = [{"message": part} for part in parts]
        last = calls[-1]
        if attachment:
            last["attachment"] = attachment
        callbacks = self._callbacks_ok.get(peer_id, True)
        markup = keyboard.keyboard(reply.buttons, callbacks=callbacks)
        if markup is None and reply.keyboard is not None:
            markup = keyboard.keyboard(reply.keyboard, callbacks=callbacks, inline=False,
                                       persistent=True) or CLEAR_KEYBOARD
        if markup is not None:
            last["keyboard"] = markup
        elif peer_id in self._regular_shown:
            last["keyboard"] = self._menus.get(peer_id, CLEAR_KEYBOARD)  # the menu comes back
        if reply.reply_to_ref and reply.reply_to_ref.isdigit():
            calls[0]["reply_to"] = int(reply.reply_to_ref)
        return calls

    def _remember_keyboard(self, peer_id: int, params: dict[str, Any], reply: Reply) -> None:
        markup = params.get("keyboard")
        if markup is None:
            return
        if reply.keyboard is not None and not reply.buttons:  # the persistent keyboard itself
            if reply.keyboard:
                self._menus[peer_id] = markup
            else:
                self._menus.pop(peer_id, None)
            self._regular_shown.discard(peer_id)
        elif markup in (CLEAR_KEYBOARD, self._menus.get(peer_id)) or json.loads(markup).get("inline"):
            self._regular_shown.discard(peer_id)
        else:
            self._regular_shown.add(peer_id)

    async def _attachment(self, peer_id: int, reply: Reply) -> str | None:
        out = reply.file
        if out is None:
            return None
        if out.file_id:
            return out.file_id
        if self._upload is None:
            self._upload = VkUpload(self.vk)
            route(self._upload.http, self.api_url)
        data = io.BytesIO(out.data or b"")
        data.name = out.name
        saved = await asyncio.to_thread(self._upload.document_message, data, title=out.name, peer_id=peer_id)
        doc = saved.get("doc") or saved.get(saved.get("type", "doc")) or {}
        return f"doc{doc['owner_id']}_{doc['id']}"

    @staticmethod
    def _random_id(idem: int | None, part: int) -> int:
        if idem is None:
            return secrets.randbelow(2**31 - 1) + 1
        return (idem * RANDOM_ID_PARTS + part) % (2**31 - 1) + 1

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        if not chat_ref.lstrip("-").isdigit():
            raise DeliveryError(f"vk: {chat_ref!r} is not a peer id", permanent=True)
        peer_id = int(chat_ref)
        if not reply.text.strip() and reply.file is None:
            return None  # VK refuses an empty message; Telegram's adapter sends nothing too
        try:
            attachment = await self._attachment(peer_id, reply)
            last: Any = None
            for part, params in enumerate(self._messages(peer_id, reply, attachment)):
                last = await self.call("messages.send", peer_id=peer_id,
                                       random_id=self._random_id(idem, part), **params)
                self._remember_keyboard(peer_id, params, reply)
        except Exception as exc:
            raise delivery_error(exc) from exc
        return str(last) if last is not None else None

    async def send_batch(
        self, chat_refs: list[str], reply: Reply, *, idem: int | None = None
    ) -> dict[str, str | DeliveryError]:
        """One reply to up to 100 people in one messages.send per part (peer_ids).

        The result maps each chat_ref to the message id or to the DeliveryError for that
        person; a failure of the whole call is reported for everyone in the batch.
        """
        if len(chat_refs) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} recipients per batch")
        results: dict[str, str | DeliveryError] = {}
        pending = list(dict.fromkeys(chat_refs))
        if reply.file is not None and not reply.file.file_id:
            raise ValueError("send_batch needs an already uploaded file (OutFile.file_id)")
        attachment = reply.file.file_id if reply.file is not None else None
        for part, params in enumerate(self._messages(0, reply, attachment)):
            if not pending:
                break
            try:
                answer = await self.call("messages.send", peer_ids=",".join(pending),
                                         random_id=self._random_id(idem, part), **params)
            except Exception as exc:
                error = delivery_error(exc)
                results.update(dict.fromkeys(pending, error))
                return results
            for item in answer if isinstance(answer, list) else []:
                ref = str(item.get("peer_id"))
                if ref not in pending:
                    continue
                if item.get("error"):
                    err = item["error"]
                    results[ref] = from_code(int(err.get("code") or 0), str(err.get("description") or ""))
                else:
                    results[ref] = str(item.get("message_id") or item.get("conversation_message_id") or "")
            pending = [ref for ref in pending if not isinstance(results.get(ref), DeliveryError)]
        for ref in pending:
            results.setdefault(ref, DeliveryError("vk: no answer for this recipient"))
        return results

    # --- receiving ---------------------------------------------------------------------
    async def _learn_names(self, events: list[dict[str, Any]]) -> None:
        """VK events carry no names: one users.get for everybody new in the batch."""
        unknown = {mapping.user_key(e) for e in events if e.get("type") == "message_new"} - set(self._names)
        unknown.discard(0)
        if not unknown:
            return
        if len(self._names) > NAME_CACHE:
            self._names.clear()
        try:
            users = await self.call("users.get", user_ids=",".join(map(str, sorted(unknown))))
        except Exception as exc:
            log.info("users.get failed (%s); names stay unknown", type(exc).__name__)
            return
        for user in users or []:
            name = " ".join(filter(None, (user.get("first_name"), user.get("last_name"))))
            if name:
                self._names[int(user["id"])] = name

    async def handle_events(self, events: list[dict[str, Any]]) -> None:
        """Each person's events in order, different people concurrently."""
        await self._learn_names(events)
        await each_in_order(events, mapping.user_key, self.handle_event)

    async def handle_event(self, event: dict[str, Any]) -> None:
        obj = event.get("object") or {}
        if event.get("type") == "message_event":
            # Answer first, so the button stops spinning whatever happens next.
            try:
                await self.call("messages.sendMessageEventAnswer", event_id=obj.get("event_id"),
                                user_id=obj.get("user_id"), peer_id=obj.get("peer_id"))
            except Exception as exc:
                log.info("sendMessageEventAnswer failed: %s", type(exc).__name__)
        elif event.get("type") == "message_new":
            supports = mapping.client_supports_callbacks(event)
            peer = int((obj.get("message") or {}).get("peer_id") or 0)
            if supports is not None and peer:
                self._callbacks_ok[peer] = supports
        incoming = mapping.incoming_of(event)
        if incoming is None:
            return
        name = self._names.get(int(incoming.user_ref))
        if name:
            incoming = dataclasses.replace(incoming, display_name=name)
        try:
            await self.core.handle(incoming)
        except Exception:
            log.exception("vk event %s failed", event.get("event_id"))

    async def _group_id(self) -> int:
        if self.group_id is None:
            answer = await self.call("groups.getById")
            groups = answer.get("groups", []) if isinstance(answer, dict) else answer
            self.group_id = int(groups[0]["id"])
        return self.group_id

    async def run(self) -> None:
        """Handle long-poll batches until `stop()`; the position is saved after each batch."""
        self._finished.clear()
        try:
            await self._run()
        finally:
            self._finished.set()

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            try:
                group_id = await self._group_id()
                break
            except vk_api.exceptions.ApiError as exc:
                log.error("VK refused VK_GROUP_TOKEN (error %s); the VK adapter is not running", exc.code)
                return
            except Exception as exc:  # VK unreachable at start: wait for it, like the long poll does
                log.warning("VK groups.getById failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                if self._stopping.is_set():
                    return
                backoff = min(backoff * 2, 30.0)
        start_ts = await self.ts_store[0]() if self.ts_store else None
        queue: asyncio.Queue[Batch | None] = asyncio.Queue()
        self._thread = LongPollThread(
            self.vk, group_id, api_url=self.api_url, wait=self.long_poll_wait, start_ts=start_ts,
            deliver=thread_to_loop(asyncio.get_running_loop(), queue),
        )
        self._thread.start()
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                batch = getter.result()
                if batch is None:
                    return  # the thread gave up (wrong token or group): logged there
                events, ts = batch
                await self.handle_events(events)
                if self.ts_store is not None:
                    await self.ts_store[1](ts)
        finally:
            stopping.cancel()
            self._thread.stop()

    async def stop(self) -> None:
        """Stop taking events; the batch in hand is finished and its position saved."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), 30)
        if self._thread is not None:
            # The thread may sit in a long poll for up to `wait` seconds; it is a daemon and
            # ends on its own: nothing it fetches now is handled or confirmed.
            await asyncio.to_thread(self._thread.join, 0.5)

    async def close(self) -> None:
        """Nothing to release: requests sessions close with the process."""
