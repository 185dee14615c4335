"""Resident memory of the bot with 10,000 persons: idle, and at the peak of a broadcast.

Measured in a child process (`python -m bench.bench_memory DIR IDLE TG_URL VK_URL MAX_URL`)
that is assembled the way `python -m bot run` assembles the bot with all three tokens set:
the App with its background loops (scheduler, outbox delivery) on a database seeded by
bench/population.py, and the real Telegram, VK and MAX adapters from
`messengers.registry.build_adapters`, long-polling the fake Bot API, fake VK API and fake
MAX API that this (parent) process serves, so the fakes' own memory is not counted. The adapters
matter: importing aiogram alone costs about 130 MiB (its pydantic models,
aiogram/aiogram#1513), several times the rest of the bot, so a figure taken without
them says nothing about a deployment.

The child waits idle, then broadcasts one message to every person the way a
coordinator broadcast does: `bot.context.notify` for each person in transactions of
500, while the Delivery loop sends them through the real adapters over HTTP. The
adapters' pacing is switched off (the fakes enforce no limit here; bench_broadcast
measures the rates), so delivery runs as fast as it can, which is the harder case for
memory. The peak is the child's high-water mark (VmHWM), so no short spike between
samples is missed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_settings, peak_rss_mb, rss_mb
from bench.population import seed
from bot.app import App
from bot.context import notify
from bot.messages import Button, Reply
from bot.settings import PACKAGE_ROOT
from storage import outbox
from storage.db import fetchall

NAME = "memory"
PERSONS = 10_000
IDLE_SECONDS = 2.0
BATCH = 500
TIMEOUT_S = 240
TELEGRAM_TOKEN = "123456:BENCH-MEMORY"
VK_TOKEN = "vk1.a.bench-memory-token"
VK_GROUP = 77
MAX_TOKEN = "max-bench-memory-token-0123"


def announcement(lang: str) -> Reply:
    text = (
        "Добрый день! Напоминаем: завтра в 17:00 по Москве — итоговая конференция интернатуры. "
        "Команды рассказывают о проведённых мероприятиях, интерны делятся рефлексией. "
        "Ссылка на подключение придёт за час до начала. Пожалуйста, проверьте ФИО и почту "
        "для сертификата командой /profile."
    )
    return Reply(text, [[Button("📅 В календарь", "cal|final")]])


async def measure(
    folder: Path, idle_seconds: float, telegram_url: str, vk_url: str, max_url: str
) -> dict[str, float]:
    from messengers.registry import build_adapters

    settings = bench_settings(
        folder, coordinators=[], telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram_url,
        vk_group_token=VK_TOKEN, vk_api_url=vk_url, vk_group_id=VK_GROUP,
        max_bot_token=MAX_TOKEN, max_api_url=max_url,
    )
    app = await App(settings).start(background=True)
    adapters = build_adapters(app)
    for adapter in adapters:
        adapter.rate_per_s = None  # type: ignore[misc]  # see the docstring
        adapter.per_chat_interval = 0.0  # type: ignore[misc]
        window = getattr(adapter, "window", None)
        if window is not None:  # MAX paces every request itself, below the outbox
            window.cap = 10**9
        app.s.delivery.register(adapter)
    polling = [asyncio.create_task(a.run(), name=a.platform) for a in adapters]
    await asyncio.sleep(idle_seconds)
    gc.collect()
    idle = rss_mb()

    async with app.s.db.read() as conn:
        people = [r["id"] for r in await fetchall(conn, "SELECT id FROM persons ORDER BY id")]
    started = time.perf_counter()
    for i in range(0, len(people), BATCH):
        async with app.s.db.transaction() as conn:
            for person in people[i:i + BATCH]:
                await notify(conn, app.s, person, f"bench:broadcast:{person}", announcement,
                             now=app.clock.now(), kind="broadcast")
        app.s.delivery.wake()
    enqueued = time.perf_counter() - started
    while True:
        async with app.s.db.read() as conn:
            counts = await outbox.status_counts(conn, "bench:broadcast:")
        if counts.get("sent", 0) >= len(people):
            break
        if time.perf_counter() - started > TIMEOUT_S or any(t.done() for t in polling):
            raise RuntimeError(f"broadcast not delivered in {TIMEOUT_S} s: {counts}")
        await asyncio.sleep(0.05)
    delivered = time.perf_counter() - started
    peak = peak_rss_mb()
    for adapter in adapters:
        await adapter.stop()
    await asyncio.gather(*polling)
    await app.stop()
    for adapter in adapters:
        await adapter.close()
    return {
        "rss_mb_10k_idle": round(idle, 1),
        "rss_mb_10k_broadcast_peak": round(peak, 1),
        "memory_persons": len(people),
        "memory_adapters": ",".join(a.platform for a in adapters),
        "broadcast_enqueue_s": round(enqueued, 2),
        "outbox_delivery_per_s": round(len(people) / delivered, 1),
    }


async def run(persons: int = PERSONS, idle_seconds: float = IDLE_SECONDS) -> dict[str, object]:
    from tests.fakes.max_server import FakeMaxServer
    from tests.fakes.telegram_server import FakeTelegramServer
    from tests.fakes.vk_server import FakeVkServer

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        counts = await asyncio.to_thread(seed, Path(folder) / "bench.sqlite3", persons)
        async with (
            FakeTelegramServer(token=TELEGRAM_TOKEN) as telegram,
            FakeVkServer(group_id=VK_GROUP, token=VK_TOKEN) as vk,
            FakeMaxServer(token=MAX_TOKEN, rate_limit=None) as max_api,
        ):
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.bench_memory", folder, str(idle_seconds),
                telegram.base_url, vk.base_url, max_api.base_url, cwd=PACKAGE_ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await asyncio.wait_for(child.communicate(), TIMEOUT_S + 60)
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            delivered = (len(telegram.calls("sendMessage")) + len(vk.delivered)
                         + len(max_api.calls("sendMessage")))
    if child.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{err.decode()[-2000:]}")
    if delivered < persons:
        raise RuntimeError(f"the fakes received {delivered} messages for {persons} persons")
    figures: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    figures["memory_rows"] = sum(counts.values())
    return figures


if __name__ == "__main__":
    folder, idle, telegram_url, vk_url, max_url = sys.argv[1:6]
    print(json.dumps(asyncio.run(measure(Path(folder), float(idle), telegram_url, vk_url, max_url))))
