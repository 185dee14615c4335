"""Over HTTP: interns apply through the real aiogram polling loop against the fake Bot API.

The whole production path runs: the fake Bot API (aiohttp, loopback) queues each
intern's update, the Telegram adapter long-polls it with the real aiogram `Bot`,
the core handles it on SQLite, and the replies go back as real `sendMessage` calls.
The fake runs in the same process and on the same event loop, so the figure includes
its cost too (a floor for what the bot does against the real Telegram, where the
network adds latency but not CPU). The fake has no rate limit here: this measures the
pipeline, not Telegram's 30 messages/s.

Reply latency: from the update queued at the fake to the first reply recorded for that
chat (long-poll wake-up, parsing, the core, the send). An intern sends its next update
only after the previous one was confirmed (the next getUpdates offset passed it).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bench_settings, percentile
from bot.app import App
from messengers.telegram import TelegramAdapter
from tests.fakes.telegram_server import SEND_METHODS, FakeTelegramServer

NAME = "http"
INTERNS = 500
TOKEN = "4242:bench-http-token-not-real"
COORDINATOR = 1
STEPS: list[tuple[str, str | int]] = [
    ("say", "/start"),
    ("say", "Иванова Мария Петровна"),
    ("say", "{email}"),
    ("say", "МБОУ СОШ № 5 г. Казани"),
    ("say", "Учитель начальных классов"),
    ("say", "Казань, Республика Татарстан"),
    ("press", "Москва (МСК)"),
    ("press", 0),  # consent: the first button
    ("press", 0),  # submit
]


class BenchTelegramServer(FakeTelegramServer):
    """The fake, plus O(1) per-chat signals so 500 waiting interns cost nothing to wake."""

    def __init__(self) -> None:
        super().__init__()
        self.reply_waiters: dict[int, asyncio.Future[float]] = {}
        self.confirm_waiters: dict[int, asyncio.Future[None]] = {}
        self.keyboards: dict[int, tuple[int, list[list[dict[str, Any]]]]] = {}

    def _record(self, method: str, params: dict[str, Any], **kw: Any) -> dict[str, Any]:
        entry = super()._record(method, params, **kw)
        chat = params.get("chat_id")
        if entry["ok"] and method in SEND_METHODS and isinstance(chat, int):
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                self.keyboards[chat] = (entry["result"]["message_id"], markup["inline_keyboard"])
            waiter = self.reply_waiters.pop(chat, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())
        return entry

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        for update_id in [u for u in self.confirm_waiters if u < offset]:
            waiter = self.confirm_waiters.pop(update_id)
            if not waiter.done():
                waiter.set_result(None)
        return await super()._m_getUpdates(params)


async def run(interns: int = INTERNS) -> dict[str, object]:
    latencies: list[float] = []
    done = 0
    with tempfile.TemporaryDirectory() as folder:
        async with BenchTelegramServer() as fake:
            settings = bench_settings(
                Path(folder), telegram_bot_token=TOKEN, telegram_api_url=fake.base_url,
                coordinators=[("telegram", str(COORDINATOR))],
            )
            app = await App(settings).start(background=False)
            adapter = TelegramAdapter(app.core, token=TOKEN, api_url=fake.base_url)
            adapter.rate_per_s = None  # see the docstring: the pipeline, not Telegram's limit
            adapter.per_chat_interval = 0.0
            app.s.delivery.register(adapter)
            polling = asyncio.create_task(adapter.run())
            loop = asyncio.get_running_loop()

            async def intern(user: int) -> None:
                nonlocal done
                for action, value in STEPS:
                    replied: asyncio.Future[float] = loop.create_future()
                    confirmed: asyncio.Future[None] = loop.create_future()
                    fake.reply_waiters[user] = replied
                    if action == "say":
                        update_id = fake.send_text(user, str(value).format(email=f"i{user}@example.ru"))
                    else:
                        message_id, rows = fake.keyboards[user]
                        buttons = [b for row in rows for b in row if b.get("callback_data")]
                        chosen = buttons[value] if isinstance(value, int) else next(
                            b for b in buttons if b["text"] == value)
                        update = fake.build_callback_update(user, chosen["callback_data"], message_id)
                        update_id = fake.push_update(update)
                    fake.confirm_waiters[update_id] = confirmed
                    started = time.perf_counter()
                    latencies.append(await replied - started)
                    await confirmed
                done += 1

            started = time.perf_counter()
            await asyncio.gather(*(intern(10_000 + i) for i in range(interns)))
            elapsed = time.perf_counter() - started
            await adapter.stop()
            await polling
            await app.stop()
            await adapter.close()
    if done != interns:
        raise AssertionError(f"only {done} of {interns} interns got through")
    ms = [x * 1000 for x in latencies]
    return {
        "http_updates_per_s": round(len(ms) / elapsed, 1),
        "http_updates": len(ms),
        "http_reply_p50_ms": round(percentile(ms, 50), 1),
        "http_reply_p99_ms": round(percentile(ms, 99), 1),
    }
