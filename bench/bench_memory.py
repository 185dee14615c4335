"""Resident memory of the bot with 10,000 persons: idle, and at the peak of a broadcast.

Measured in a child process (`python -m bench.bench_memory DIR PERSONS`) so nothing
the runner loaded counts. The child starts the real App with its background loops
(scheduler, outbox delivery) on a database seeded by bench/population.py, waits
idle, then broadcasts one message to every person the way a coordinator broadcast
does: `bot.context.notify` for each person in transactions of 500, while the
Delivery loop sends them to in-process Telegram and VK messengers. The peak is the
process's high-water mark (VmHWM), so no short spike between samples is missed.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RecordingMessenger, bench_settings, peak_rss_mb, rss_mb
from bench.population import seed
from bot.app import App
from bot.context import notify
from bot.messages import Button, Reply
from bot.settings import PACKAGE_ROOT
from storage.db import fetchall

NAME = "memory"
PERSONS = 10_000
IDLE_SECONDS = 2.0
BATCH = 500
TIMEOUT_S = 240


def announcement(lang: str) -> Reply:
    text = (
        "Добрый день! Напоминаем: завтра в 17:00 по Москве — итоговая конференция интернатуры. "
        "Команды рассказывают о проведённых мероприятиях, интерны делятся рефлексией. "
        "Ссылка на подключение придёт за час до начала. Пожалуйста, проверьте ФИО и почту "
        "для сертификата командой /profile."
    )
    return Reply(text, [[Button("📅 В календарь", "cal|final")]])


async def measure(folder: Path, idle_seconds: float) -> dict[str, float]:
    app = await App(bench_settings(folder, coordinators=[])).start(background=True)
    messengers = [RecordingMessenger("telegram"), RecordingMessenger("vk")]
    for messenger in messengers:
        app.s.delivery.register(messenger)
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
    while sum(m.sent for m in messengers) < len(people):
        if time.perf_counter() - started > TIMEOUT_S:
            raise TimeoutError(f"broadcast not delivered in {TIMEOUT_S} s")
        await asyncio.sleep(0.05)
    delivered = time.perf_counter() - started
    peak = peak_rss_mb()
    await app.stop()
    return {
        "rss_mb_10k_idle": round(idle, 1),
        "rss_mb_10k_broadcast_peak": round(peak, 1),
        "memory_persons": len(people),
        "broadcast_enqueue_s": round(enqueued, 2),
        "outbox_delivery_per_s": round(len(people) / delivered, 1),
    }


def run(persons: int = PERSONS, idle_seconds: float = IDLE_SECONDS) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        counts = seed(Path(folder) / "bench.sqlite3", persons)
        result = subprocess.run(
            [sys.executable, "-m", "bench.bench_memory", folder, str(idle_seconds)],
            cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=TIMEOUT_S + 60, check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"memory child failed:\n{result.stderr[-2000:]}")
    figures: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["memory_rows"] = sum(counts.values())
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(Path(sys.argv[1]), float(sys.argv[2])))))
