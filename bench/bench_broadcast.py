"""A broadcast to 10,000 people through the outbox, `Delivery` and the real adapters.

Telegram: the real TelegramAdapter (aiogram over HTTP) against the fake Bot API
enforcing 30 messages/s overall and 1/s per chat; the figure is the achieved rate and
how many 429s the fake had to give (goal: at least 28/s, none). This part takes about
six minutes of real time at full size, because that is what the rate allows.

VK: the real VkAdapter (vk_api over HTTP) against the fake VK API enforcing 20
requests/s; `Delivery` groups the identical rows into messages.send calls of 100
peer_ids, so the figure is the seconds until all 10,000 are delivered (goal < 15 s).

MAX: the real MaxAdapter (maxapi over HTTP) against the fake MAX Bot API enforcing 30
requests/s (goal: at least 27/s with no 429) for 2,000 recipients: MAX has no
multi-recipient send, so this is the rate one notice per person reaches.

All on the system clock, from the moment the notices are in the outbox (writing them
is measured by the memory benchmark). `python -m bench.bench_broadcast --quick` runs
a few hundred recipients as a smoke check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bench_settings
from bot.app import App
from bot.clock import to_iso
from bot.context import notify
from bot.delivery import Delivery, Messenger
from bot.messages import Reply
from messengers.max.adapter import MaxAdapter
from messengers.telegram.adapter import TelegramAdapter
from messengers.vk.adapter import VkAdapter
from storage import outbox
from tests.fakes.max_server import FakeMaxServer
from tests.fakes.telegram_server import FakeTelegramServer
from tests.fakes.vk_server import FakeVkServer

NAME = "broadcast"
RECIPIENTS = 10_000
MAX_RECIPIENTS = 2_000
MAX_TOKEN = "max-bench-token-0123456789"
QUICK = 300
TELEGRAM_TOKEN = "123456:BENCH"
VK_TOKEN = "vk1.a.bench-community-token"
VK_GROUP = 77
FIRST_CHAT = 100_000
TEXT = "📣 Завтра в 17:00 — итоговая конференция интернатуры. Ссылка придёт за час до начала."


async def seed(app: App, platform: str, recipients: int) -> None:
    """Persons with one account each, then one notice per person written with notify()."""
    now = app.clock.now()
    stamp = to_iso(now)
    ids = range(FIRST_CHAT, FIRST_CHAT + recipients)
    async with app.s.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO persons(id, locale, created_at) VALUES (?, 'ru', ?)", [(n, stamp) for n in ids]
        )
        await conn.executemany(
            "INSERT INTO accounts(person_id, platform, user_ref, chat_ref, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(n, platform, str(n), str(n), stamp, stamp) for n in ids],
        )
    for start in range(0, recipients, 500):
        async with app.s.db.transaction() as conn:
            for person in ids[start:start + 500]:
                await notify(conn, app.s, person, f"bench:bc:{person}", lambda lang: Reply(TEXT),
                             now=now, kind="broadcast")


async def deliver_all(delivery: Delivery, expected: int, db_app: App) -> float:
    """Run the outbox until every row is final; return the seconds it took."""
    started = time.perf_counter()
    while True:
        tried = await delivery.run_once(limit=500)
        if not tried:
            async with db_app.s.db.read() as conn:
                counts = await outbox.status_counts(conn, "bench:bc:")
            if counts.get("pending", 0) == 0:
                break
            await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    async with db_app.s.db.read() as conn:
        counts = await outbox.status_counts(conn, "bench:bc:")
    if counts.get("sent") != expected:
        raise RuntimeError(f"not everyone got the broadcast: {counts}")
    return elapsed


async def _with_app(folder: Path, platform: str, recipients: int, adapter: Any) -> tuple[App, Messenger]:
    app = await App(bench_settings(folder, coordinators=[])).start(background=False)
    messenger: Messenger = adapter(app)
    app.s.delivery.register(messenger)
    await seed(app, platform, recipients)
    return app, messenger


async def telegram(recipients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-tg-") as folder:
        async with FakeTelegramServer(rate_limit_per_s=30, per_chat_per_s=1) as fake:
            app, messenger = await _with_app(
                Path(folder), "telegram", recipients,
                lambda a: TelegramAdapter(a.core, token=TELEGRAM_TOKEN, api_url=fake.base_url),
            )
            try:
                seconds = await deliver_all(app.s.delivery, recipients, app)
            finally:
                await messenger.close()  # type: ignore[attr-defined]
                await app.stop()
            return {
                "telegram_broadcast_per_s": round(recipients / seconds, 1),
                "telegram_429_count": fake.count_429,
                "telegram_broadcast_seconds": round(seconds, 1),
                "telegram_broadcast_recipients": recipients,
            }


async def vk(recipients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-vk-") as folder:
        async with FakeVkServer(group_id=VK_GROUP, token=VK_TOKEN, rate_limit_per_s=20) as fake:
            app, messenger = await _with_app(
                Path(folder), "vk", recipients,
                lambda a: VkAdapter(a.core, token=VK_TOKEN, api_url=fake.base_url, group_id=VK_GROUP),
            )
            try:
                seconds = await deliver_all(app.s.delivery, recipients, app)
            finally:
                await messenger.close()  # type: ignore[attr-defined]
                await app.stop()
            figure = "vk_broadcast_seconds_10000" if recipients == RECIPIENTS else "vk_broadcast_seconds"
            return {
                figure: round(seconds, 2),
                "vk_broadcast_recipients": recipients,
                "vk_rate_errors": fake.count_rate_errors,
                "vk_max_requests_per_s": fake.max_requests_per_s,
                "vk_delivered": len(fake.delivered),
            }


async def max_messenger(recipients: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-max-") as folder:
        async with FakeMaxServer(token=MAX_TOKEN, rate_limit=30) as fake:
            app, messenger = await _with_app(
                Path(folder), "max", recipients,
                lambda a: MaxAdapter(a.core, token=MAX_TOKEN, api_url=fake.base_url),
            )
            try:
                seconds = await deliver_all(app.s.delivery, recipients, app)
            finally:
                await messenger.close()  # type: ignore[attr-defined]
                await app.stop()
            delivered = sum(1 for c in fake.calls("sendMessage") if c["ok"])
            return {
                "max_broadcast_per_s": round(recipients / seconds, 1),
                "max_429_count": fake.rate_limited,
                "max_broadcast_seconds": round(seconds, 1),
                "max_broadcast_recipients": recipients,
                "max_peak_requests_per_s": fake.peak_rps,
                "max_delivered": delivered,
            }


async def run(recipients: int = RECIPIENTS, max_recipients: int = MAX_RECIPIENTS) -> dict[str, object]:
    figures = await vk(recipients)
    figures.update(await max_messenger(max_recipients))
    figures.update(await telegram(recipients))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} recipients, a smoke check")
    args = parser.parse_args()
    quick = args.quick
    print(json.dumps(asyncio.run(run(QUICK if quick else RECIPIENTS, QUICK if quick else MAX_RECIPIENTS))))
