"""Which benchmarks `make bench` runs, and the figures the result file always carries.

To add a benchmark: write `bench/bench_<name>.py` with `NAME` and `run() -> dict`
(sync or async) and add its module to BENCHMARKS. A figure listed in FIGURES that no
benchmark produced is written as null with its `pending` note, so readers of
bench/results/latest.json can tell "not measured yet" from "zero".
"""

from __future__ import annotations

from dataclasses import dataclass

BENCHMARKS: list[str] = [
    "bench.bench_engine",
    "bench.bench_aiogram_floor",
    "bench.bench_memory",
    "bench.bench_http",
    "bench.bench_broadcast_fanout",
    "bench.bench_scheduler",
    "bench.bench_broadcast",
    "bench.bench_applications",
]


@dataclass(frozen=True)
class Figure:
    unit: str
    meaning: str
    pending: str = ""
    """Why the figure may be missing: what has to land before a benchmark can measure it."""


FIGURES: dict[str, Figure] = {
    "engine_updates_per_s": Figure(
        "updates/s",
        "2,000 interns complete the application and the survey at once through the real core "
        "and SQLite: updates handled per second with the engine saturated",
    ),
    "engine_p99_ms": Figure(
        "ms",
        "99th percentile from Core.handle() called to its replies delivered, over the steady part "
        "of a run where the same 2,000 interns offer ~1,050 updates/s (sustained rate in details)",
    ),
    "aiogram_floor_updates_per_s": Figure(
        "updates/s", "a bare aiogram echo handler fed the same updates in-process (no network)",
    ),
    "http_updates_per_s": Figure(
        "updates/s", "500 interns apply at once over HTTP: the real aiogram polling loop of the "
        "Telegram adapter against the fake Bot API (same process, no rate limit)",
    ),
    "http_reply_p99_ms": Figure(
        "ms", "99th percentile from an update queued at the fake Bot API to its first reply "
        "recorded there, during that run",
    ),
    "telegram_broadcast_per_s": Figure(
        "messages/s", "a notice to 10,000 people delivered from the outbox by Delivery and the real "
        "Telegram adapter to the fake Bot API enforcing 30 messages/s and 1/s per chat",
    ),
    "telegram_429_count": Figure(
        "count", "429 Too Many Requests answers the fake Bot API gave during that broadcast",
    ),
    "vk_broadcast_seconds_10000": Figure(
        "s", "time to deliver the same notice to 10,000 VK recipients through Delivery and the real "
        "VK adapter to the fake VK API enforcing 20 requests/s (100 peer_ids per call)",
    ),
    "max_broadcast_per_s": Figure(
        "messages/s", "a notice to 2,000 people delivered from the outbox by Delivery and the real MAX "
        "adapter (maxapi) to the fake MAX Bot API enforcing 30 requests/s",
    ),
    "max_429_count": Figure(
        "count", "429 too.many.requests answers the fake MAX API gave during that broadcast",
    ),
    "scheduler_tick_ms_100k": Figure(
        "ms", "median of scheduler ticks (every registered job) with 100,000 stored reminders "
        "and nothing due, as for most of the internship",
    ),
    "broadcast_confirm_ms_10k": Figure(
        "ms", "a coordinator confirms a personalised broadcast to ~10,000 interns: the confirming "
        "update, which renders and writes the first batch of 500 outbox rows",
    ),
    "broadcast_batch_max_ms": Figure(
        "ms", "the longest single transaction while that broadcast is written: the most any "
        "other update waits for the database because of it",
    ),
    "broadcast_rows_per_s": Figure(
        "rows/s", "personalised outbox rows the scheduler job writes per second after the first batch",
    ),
    "coordinator_messages_300_applications": Figure(
        "messages", "messages one coordinator receives while 300 interns apply within one minute "
        "(the real application through the real core on a fake clock), until the digest window "
        "after the last application has closed; goal ≤ 5",
    ),
    "rss_mb_10k_idle": Figure(
        "MiB", "resident memory of the bot as `bot run` assembles it with all three tokens (App with "
        "its loops, the real Telegram, VK and MAX adapters polling fake servers) with 10,000 "
        "persons, idle",
    ),
    "rss_mb_10k_broadcast_peak": Figure(
        "MiB",
        "peak resident memory of that process while 10,000 outbox rows are written with "
        "bot.context.notify and delivered by Delivery through the real adapters over HTTP",
    ),
}
