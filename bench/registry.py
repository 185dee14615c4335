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
    "bench.bench_certificates",
    "bench.bench_panel",
    "bench.bench_postgres",
]


@dataclass(frozen=True)
class Figure:
    unit: str
    meaning: str
    pending: str = ""
    """Why the figure may be missing: what has to land before a benchmark can measure it."""


NEEDS_POSTGRES = (
    "pending a PostgreSQL server to measure on (BENCH_DATABASE_URL, TEST_DATABASE_URL or 127.0.0.1:5432/test)"
)

FIGURES: dict[str, Figure] = {
    "engine_updates_per_s": Figure(
        "updates/s",
        "2,000 interns complete the application and the survey at once through the real core "
        "and SQLite: updates handled per second with the engine saturated",
    ),
    "engine_p99_ms": Figure(
        "ms",
        "99th percentile from Core.handle() called to its replies delivered, over the steady part "
        "of a run where the same 2,000 interns offer ~1,050 updates/s (sustained rate in details); "
        "the median of three such runs (each run's p99 in details)",
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
    "certificates_3000_seconds": Figure(
        "s", "3,000 eligible interns: certificates issued (numbers, registry rows, chat and e-mail "
        "outbox rows) and every PDF drawn and stored, from the coordinator's confirmation on",
    ),
    "certificates_peak_rss_mb": Figure(
        "MiB", "peak RSS of the bot's process during those 3,000 certificates (the drawing's worker "
        "processes are in details as certificates_worker_peak_rss_mb)",
    ),
    "panel_applications_3000_p95_ms": Figure(
        "ms", "95th percentile of the server's time for the web panel's /applications page with "
        "3,000 applications (first page, sorted by name, filtered by region, page 40, all statuses "
        "by region), a signed-in coordinator over HTTP; goal < 300 ms",
    ),
    "panel_people_3000_p95_ms": Figure(
        "ms", "95th percentile of the server's time for the panel's /people page with 3,000 interns in "
        "teams of 15 (first page, by last activity, a name search, page 40, a stage filter by team); "
        "goal < 300 ms",
    ),
    "panel_progress_3000_p95_ms": Figure(
        "ms", "95th percentile of the server's time for the panel's /progress page (funnel, stages, "
        "teams, overdue, levels as inline SVG) for the same 3,000 interns; goal < 300 ms",
    ),
    "engine_p99_ms_panel_load": Figure(
        "ms", "the chat engine's p99 (Core.handle to replies delivered) for 200 interns offering "
        "~200 updates/s while 20 panel users in another process reload /applications and /tickets "
        "without pause; goal < 50 ms",
    ),
    "pg_engine_updates_per_s": Figure(
        "updates/s", "the engine_updates_per_s workload (2,000 interns, application and survey, "
        "saturated) on PostgreSQL (DATABASE_URL, a fresh schema), a local server on cores other than "
        "the bot's (details.pg_engine_cores; shared cores: details); goal: at least half the SQLite "
        "rate (measured beside it in the same run: details)",
        pending=NEEDS_POSTGRES,
    ),
    "pg_engine_p99_ms": Figure(
        "ms", "the engine_p99_ms workload (the same interns offering ~1,050 updates/s, p99 of "
        "Core.handle to replies delivered over the steady part, median of three runs) on PostgreSQL, "
        "cores as for pg_engine_updates_per_s; goal < 50 ms",
        pending=NEEDS_POSTGRES,
    ),
    "two_instances_broadcast_per_s": Figure(
        "messages/s", "an urgent broadcast to 10,000 Telegram interns delivered by two `python -m bot run` "
        "instances on one PostgreSQL database, both up before it is queued, to the fake Bot API "
        "enforcing 30 messages/s: first to last delivered message; goal ≥ 28/s with no 429 "
        "(the 429 count and each instance's share in details)",
        pending=NEEDS_POSTGRES,
    ),
}
