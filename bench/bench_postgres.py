"""PostgreSQL: the engine workload on it, and a broadcast shared by two instances.

Engine: exactly bench_engine's phases (2,000 interns through the application and the
survey, saturated, then paced at ~1,050 updates/s offered, three times), each on a fresh schema
of a database of the bench's own, so the figures compare with the SQLite ones; the
SQLite saturated phase is run again beside it, so the ratio in details is of one
machine at one moment (goal: PostgreSQL at least half the SQLite rate, p99 < 50 ms).
A server on this machine is given cores other than the bot's for the figures, as a
server of its own would be, and both phases run again on shared cores for the details
(bench/cores.py).

Two instances: two `python -m bot run` processes (INSTANCE_NAME a and b) on one schema,
against the fake Bot API served from this process and enforcing 30 messages/s. 10,000
Telegram interns are seeded first; the urgent broadcast to all is queued only once B
has been up for longer than its warm-up (it waits a heartbeat before sending, until A
has heard of it and both use half the rate), so the figure is that of two instances
sharing the budget through the database, not of one. The rate is taken from the fake's
own record, first to last delivered message (goal ≥ 28/s, no 429).

A server is needed: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
postgresql://127.0.0.1:5432/test; the bench creates `internbot_bench_<pid>` there and
drops it at the end. Without one the figures stay null with their `pending` note.
`python -m bench.bench_postgres --quick` runs a toy size as a smoke check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

from bench import bench_engine
from bench.cores import SEPARATE, split_from_server
from bot.clock import SystemClock, from_iso
from storage import broadcasts, persons
from storage.pg import PgDatabase
from tests.fakes.telegram_server import FakeTelegramServer
from tests.postgres import DEFAULT_URL, with_database

NAME = "postgres"
RECIPIENTS = 10_000
FIRST_CHAT = 300_000
COORDINATOR = "1001"
TELEGRAM_TOKEN = "123456:BENCH"
TEXT = "Итоговая конференция переносится на пятницу, 17:00. Ссылка придёт за час до начала."
BOTH_UP_S = 7.0
"""Seconds B runs before the broadcast is queued: past its warm-up (a heartbeat + 1 s)."""
STARTUP_S = 60.0


def admin_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL


class BenchDatabase:
    """`internbot_bench_<pid>` on the server, a schema per use, dropped on exit."""

    def __init__(self, url: str) -> None:
        self.admin_url = url
        self.name = f"internbot_bench_{os.getpid()}"
        self._schemas = 0

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.admin_url, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def __aenter__(self) -> BenchDatabase:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def schema_url(self, label: str) -> str:
        """A fresh schema: PgDatabase creates the one named by search_path when it opens."""
        self._schemas += 1
        return with_database(self.admin_url, self.name, search_path=f"{label}{self._schemas}")


async def engine(db: BenchDatabase, interns: int, paced_rate: float) -> dict[str, object]:
    """The figures with the bot and a local server on cores of their own (bench/cores.py says
    why), then again on shared cores for the details; then SQLite beside them."""
    async with split_from_server(db.admin_url) as cores:
        saturated, (paced, runs) = await pg_phases(db, interns, paced_rate)
    figures: dict[str, object] = {}
    if cores == SEPARATE:
        shared_saturated, (shared_paced, shared_runs) = await pg_phases(db, interns, paced_rate)
        figures = {
            "pg_engine_updates_per_s_shared_cores": shared_saturated["updates_per_s"],
            "pg_engine_p99_ms_shared_cores": shared_paced["p99_ms"],
            "pg_engine_p50_ms_shared_cores": shared_paced["p50_ms"],
            "pg_engine_p99_ms_runs_shared_cores": shared_runs,
        }
    sqlite = await bench_engine.phase(interns, think=0.0)
    return {
        "pg_engine_updates_per_s": saturated["updates_per_s"],
        "pg_engine_p99_ms": paced["p99_ms"],
        "pg_engine_p50_ms": paced["p50_ms"],
        "pg_engine_max_ms": paced["max_ms"],
        "pg_engine_p99_ms_runs": runs,
        "pg_engine_cores": cores,
        "pg_engine_updates": saturated["updates"],
        "pg_engine_paced_offered_per_s": paced_rate,
        "pg_engine_paced_sustained_per_s": paced["sustained_per_s"],
        "pg_engine_paced_measured_updates": paced["measured_updates"],
        "pg_engine_saturated_p99_ms": saturated["p99_ms"],
        **figures,
        "pg_engine_sqlite_same_run_per_s": sqlite["updates_per_s"],
        "pg_engine_to_sqlite_ratio": round(saturated["updates_per_s"] / sqlite["updates_per_s"], 2),
    }


async def pg_phases(
    db: BenchDatabase, interns: int, paced_rate: float
) -> tuple[dict[str, float], tuple[dict[str, float], list[float]]]:
    """bench_engine's saturated phase and its repeated paced one, each run on a fresh schema."""
    saturated = await bench_engine.phase(interns, think=0.0, database_url=db.schema_url("engine"))
    paced = await bench_engine.paced(
        interns, paced_rate, database_url=lambda: db.schema_url("paced")
    )
    return saturated, paced


async def seed_recipients(url: str, recipients: int) -> None:
    """The coordinator and `recipients` interns in Telegram, as the drill seeds them."""
    db = PgDatabase(url)
    await db.open()  # migrates the fresh schema
    now = SystemClock().now()
    try:
        async with db.transaction() as conn:
            for ref in [COORDINATOR] + [str(FIRST_CHAT + n) for n in range(recipients)]:
                account, _ = await persons.ensure_account(
                    conn, now, platform="telegram", user_ref=ref, chat_ref=ref, display_name=None,
                    language_code="ru", locale="ru",
                )
                role = "coordinator" if ref == COORDINATOR else "intern"
                await persons.grant_role(conn, account.person_id, role, now)
    finally:
        await db.close()


async def queue_broadcast(url: str) -> None:
    """What a coordinator's confirmation does: an urgent broadcast to everyone, queued."""
    db = PgDatabase(url)
    await db.open()
    now = SystemClock().now()
    try:
        async with db.transaction() as conn:
            coordinator = await persons.find_account(conn, "telegram", COORDINATOR)
            assert coordinator is not None
            item = await broadcasts.create(conn, coordinator.person_id, TEXT, now)
            await broadcasts.update_draft(conn, item, audience="all")
            assert await broadcasts.queue(conn, item, None, urgent=True)
    finally:
        await db.close()


def bot_env(url: str, fake: FakeTelegramServer, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_", "DATABASE_"))}
    env.update(
        DATABASE_URL=url, INSTANCE_NAME=name, COORDINATORS=f"tg:{COORDINATOR}", LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1", TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_URL=fake.base_url,
    )
    return env


async def start_instance(
    url: str, fake: FakeTelegramServer, name: str, logs: Path
) -> asyncio.subprocess.Process:
    log = (logs / f"{name}.log").open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=logs, env=bot_env(url, fake, name),
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )
    finally:
        log.close()  # the child has its own copy


async def until_started(url: str, name: str, proc: asyncio.subprocess.Process, logs: Path) -> None:
    """Until the instance has announced itself in the database (bot/instance.py)."""
    conn = await asyncpg.connect(url)
    try:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                break
            with contextlib.suppress(asyncpg.UndefinedTableError):
                if await conn.fetchval("SELECT 1 FROM instances WHERE name = $1", name):
                    return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    tail = (logs / f"{name}.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"instance {name} did not start: {tail}")


def delivered(fake: FakeTelegramServer, first: int, recipients: int) -> dict[int, list[float]]:
    """Recipient chat -> arrival times of the broadcast's successful sends to it."""
    times: dict[int, list[float]] = {}
    for call in fake.calls("sendMessage"):
        chat = call["params"].get("chat_id")
        if call["ok"] and isinstance(chat, int) and first <= chat < first + recipients:
            times.setdefault(chat, []).append(call["time"])
    return times


async def stop_instance(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def two_instances(db: BenchDatabase, recipients: int) -> dict[str, object]:
    url = db.schema_url("two")
    await seed_recipients(url, recipients)
    wait_s = 120 + recipients / 20  # far beyond the 30/s the fake allows
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as folder:
        logs = Path(folder)
        async with FakeTelegramServer(rate_limit_per_s=30) as fake:
            procs: list[asyncio.subprocess.Process] = []
            try:
                procs.append(await start_instance(url, fake, "a", logs))
                await until_started(url, "a", procs[0], logs)
                procs.append(await start_instance(url, fake, "b", logs))
                await until_started(url, "b", procs[1], logs)
                await asyncio.sleep(BOTH_UP_S)
                if any(p.returncode is not None for p in procs):
                    raise RuntimeError("an instance exited before the broadcast")
                await queue_broadcast(url)
                queued = asyncio.get_running_loop().time()
                deadline = time.monotonic() + wait_s
                while len(delivered(fake, FIRST_CHAT, recipients)) < recipients:
                    if time.monotonic() > deadline or any(p.returncode is not None for p in procs):
                        got = len(delivered(fake, FIRST_CHAT, recipients))
                        tails = {p: (logs / f"{p}.log").read_text(errors="replace")[-1500:] for p in "ab"}
                        raise RuntimeError(f"{got} of {recipients} delivered; logs: {tails}")
                    await asyncio.sleep(1.0)
            finally:
                for proc in procs:
                    await stop_instance(proc)
            times = delivered(fake, FIRST_CHAT, recipients)
            arrivals = sorted(t for ts in times.values() for t in ts)
            count_429 = fake.count_429
            texts_ok = all(
                c["params"].get("text") == TEXT for c in fake.calls("sendMessage")
                if c["ok"] and c["params"].get("chat_id") in times
            )
    by_instance, alone = await sent_by_instance(url)
    span = arrivals[-1] - arrivals[0]
    return {
        "two_instances_broadcast_per_s": round((len(arrivals) - 1) / span, 1) if span > 0 else 0.0,
        "two_instances_429_count": count_429,
        "two_instances_recipients": recipients,
        "two_instances_seconds": round(span, 1),
        "two_instances_first_send_after_queue_s": round(arrivals[0] - queued, 1),
        "two_instances_sent_by": by_instance,
        "two_instances_last_alone_s": alone,
        "two_instances_repeats": len(arrivals) - len(times),
        "two_instances_texts_as_written": texts_ok,
    }


async def sent_by_instance(url: str) -> tuple[dict[str, int], float]:
    """How the outbox's sent broadcast rows split between the instances (outbox.claimed_by),
    and for how long at the end one instance was still sending when the other had done."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT claimed_by, COUNT(*) AS n, MAX(sent_at) AS last FROM outbox WHERE status = 'sent'"
            " AND platform = 'telegram' AND chat_ref <> $1 GROUP BY claimed_by ORDER BY claimed_by",
            COORDINATOR,
        )
    finally:
        await conn.close()
    lasts = sorted(from_iso(r["last"]) for r in rows)
    alone = (lasts[-1] - lasts[0]).total_seconds() if len(lasts) > 1 else 0.0
    return dict(Counter({str(r["claimed_by"]): int(r["n"]) for r in rows})), round(alone, 1)


async def reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    await conn.close()
    return True


async def run(
    interns: int = bench_engine.INTERNS,
    paced_rate: float = bench_engine.PACED_RATE,
    recipients: int = RECIPIENTS,
    server: str | None = None,
) -> dict[str, object]:
    """`server`: the URL to create the bench's database from (default: admin_url())."""
    url = server or admin_url()
    if not await reachable(url):
        return {"postgres_not_measured": "no PostgreSQL answers at BENCH_DATABASE_URL/TEST_DATABASE_URL"}
    figures: dict[str, Any] = {}
    async with BenchDatabase(url) as db:
        figures.update(await engine(db, interns, paced_rate))
        figures.update(await two_instances(db, recipients))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a toy size, as a smoke check")
    args = parser.parse_args()
    sizes = {"interns": 40, "paced_rate": 400.0, "recipients": 300} if args.quick else {}
    print(json.dumps(asyncio.run(run(**sizes)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
