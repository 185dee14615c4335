"""Bots Long Poll in a worker thread, handing batches to the event loop.

vk_api is blocking (requests), so the long poll lives in its own thread and the event
loop never waits on it. The thread stops at the next answer after `stop()`; whatever
it fetched then is dropped on purpose: the adapter saves the long-poll `ts` only after
a batch was handled, so the next start asks VK for those events again (and the core's
dedupe by event id makes a repeat harmless).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
import vk_api
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.exceptions import ApiError

from messengers.vk.client import route

log = logging.getLogger(__name__)

Batch = tuple[list[dict[str, Any]], str]
"""Raw events and the `ts` to resume after them."""
FATAL_CODES = {5, 15, 27, 100}
"""Auth failed, access denied (long poll off), group token needed, wrong group id."""


class LongPollThread:
    def __init__(
        self,
        vk: vk_api.VkApi,
        group_id: int,
        *,
        api_url: str,
        wait: int,
        start_ts: str | None,
        deliver: Callable[[Batch | None], None],
    ) -> None:
        self.vk = vk
        self.group_id = group_id
        self.api_url = api_url
        self.wait = wait
        self.start_ts = start_ts
        self.deliver = deliver
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vk-longpoll", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _connect(self) -> VkBotLongPoll:
        longpoll = VkBotLongPoll(self.vk, self.group_id, wait=self.wait)
        route(longpoll.session, self.api_url)
        if self.start_ts:
            longpoll.ts = self.start_ts  # resume where the last run stopped; VK says if too old
            self.start_ts = None
        return longpoll

    def _run(self) -> None:
        longpoll: VkBotLongPoll | None = None
        backoff = 1.0
        while not self._stop.is_set():
            try:
                if longpoll is None:
                    longpoll = self._connect()
                events = longpoll.check()
            except ApiError as exc:
                if exc.code in FATAL_CODES:
                    log.error("VK refused the Bots Long Poll (error %s): check VK_GROUP_TOKEN, VK_GROUP_ID "
                              "and that Long Poll API is on in the community settings", exc.code)
                    self.deliver(None)
                    return
                log.warning("VK long poll: API error %s; retrying in %.0fs", exc.code, backoff)
                longpoll = None
            except (requests.RequestException, ValueError, KeyError) as exc:
                log.warning("VK long poll failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
                longpoll = None
            else:
                backoff = 1.0
                if events and not self._stop.is_set():
                    self.deliver(([e.raw for e in events], str(longpoll.ts)))
                continue
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)


def thread_to_loop(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Batch | None]
                   ) -> Callable[[Batch | None], None]:
    """A `deliver` callable for the worker thread that puts batches on the loop's queue."""

    def deliver(batch: Batch | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is ending
            loop.call_soon_threadsafe(queue.put_nowait, batch)

    return deliver
