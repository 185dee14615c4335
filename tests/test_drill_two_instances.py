"""Fault drill: two bot processes on one PostgreSQL database, one SIGKILLed mid-broadcast.

Both run `python -m bot run` with Telegram and VK against the fakes, which enforce the
limits and count every 429. Telegram's is set to 10 messages/s (TELEGRAM_MESSAGES_PER_S,
and the fake enforces the same), low enough that even a busy test machine sends faster
than that if the two instances did not split it; VK keeps its 20 requests/s. A
2,000-recipient urgent broadcast (400 in Telegram, 1,600 in VK) is queued; instance A
is killed once B has been sending alongside it for a while. B takes over A's claimed rows, the polling
and the scheduler, and finishes: everyone has the broadcast, VK exactly once (the repeat
of a send A had in flight is dropped by random_id), Telegram at most the calls A had in
flight (Telegram keeps no key: docs/deployment.md), and no 429 at all. An intern who was
half-way through the application with A carries on with B at the next question.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from bot.app import App
from bot.delivery import PLATFORM_LIMITS
from bot.settings import Settings
from storage import broadcasts, persons
from tests.conftest import APPLICATION
from tests.e2e.telegram import TOKEN as TG_TOKEN
from tests.e2e.vk import GROUP_ID
from tests.e2e.vk import TOKEN as VK_TOKEN
from tests.fakes.telegram_server import FakeTelegramServer
from tests.fakes.vk_server import FakeVkServer

pytestmark = pytest.mark.sqlite_only  # the instances use pg_url (two processes, one database)

IN_TELEGRAM, IN_VK = 400, 1600
TG_RATE = 10
TEXT = "Итоговая конференция переносится на пятницу, 17:00."
BOTH_FOR = 40
"""Telegram messages B has sent while A is still alive before the kill: the instances
overlap long enough that, had they not split the rate, the fake would answer 429."""
APPLICANT = 555_000
WAIT_S = 120.0


async def seed(settings: Settings) -> None:
    """1,000 interns in Telegram and 1,000 in VK, a coordinator, and the urgent broadcast."""
    app = await App(settings).start(background=False)
    try:
        now = app.clock.now()
        async with app.s.db.transaction() as conn:
            for platform, base, count in (("telegram", 100_000, IN_TELEGRAM), ("vk", 200_000, IN_VK)):
                for n in range(count):
                    ref = str(base + n)
                    account, _ = await persons.ensure_account(
                        conn, now, platform=platform, user_ref=ref, chat_ref=ref, display_name=None,
                        language_code="ru", locale="ru",
                    )
                    await persons.grant_role(conn, account.person_id, "intern", now)
            coordinator = await persons.find_account(conn, "telegram", "1001")
            assert coordinator is not None
            item = await broadcasts.create(conn, coordinator.person_id, TEXT, now)
            await broadcasts.update_draft(conn, item, audience="all")
            assert await broadcasts.queue(conn, item, None, urgent=True)
    finally:
        await app.stop()


def bot_env(settings: Settings, tg: FakeTelegramServer, vk: FakeVkServer, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_", "DATABASE_"))}
    env.update(
        DATABASE_URL=settings.database_url, INSTANCE_NAME=name, OUTBOX_CLAIM_SECONDS="5",
        COORDINATORS="tg:1001", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
        TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_API_URL=tg.base_url, TELEGRAM_MESSAGES_PER_S=str(TG_RATE),
        VK_GROUP_TOKEN=VK_TOKEN, VK_API_URL=vk.base_url, VK_GROUP_ID=str(GROUP_ID),
    )
    return env


async def until_sent_by(url: str, instance: str, platform: str, count: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        for _ in range(int(WAIT_S * 10)):
            sent = await conn.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE claimed_by = $1 AND platform = $2 AND status = 'sent'",
                instance, platform,
            )
            if sent >= count:
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError(f"{instance} never sent {count} messages to {platform}")


async def start(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_one_of_two_instances_mid_broadcast(
    settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    shared = settings.model_copy(update={"database_url": pg_url, "coordinators": [("telegram", "1001")]})
    await seed(shared)
    async with (
        FakeTelegramServer(rate_limit_per_s=TG_RATE) as tg,
        FakeVkServer(group_id=GROUP_ID, token=VK_TOKEN, rate_limit_per_s=20) as vk,
    ):
        def tg_got() -> int:
            return sum(1 for n in range(IN_TELEGRAM) if tg.texts_to(100_000 + n))

        def vk_got() -> int:
            return sum(1 for n in range(IN_VK) if vk.texts_to(200_000 + n))

        a = await start(bot_env(shared, tg, vk, "a"), tmp_path)
        await tg.wait_for(lambda: any(c["method"] == "getUpdates" for c in tg.calls()), WAIT_S)
        b = await start(bot_env(shared, tg, vk, "b"), tmp_path)
        try:
            # The applicant starts with A (the instance polling Telegram): two answers in.
            for text in ("/start", APPLICATION[0], APPLICATION[1]):
                update = tg.send_text(APPLICANT, text)
                await tg.wait_for(lambda u=update: all(p["update_id"] != u for p in tg.pending_updates()),
                                  WAIT_S)
            assert "Вопрос 3 из 7" in tg.texts_to(APPLICANT)[-1]

            # Kill A once both instances have been sending to Telegram for a while.
            await until_sent_by(pg_url, "b", "telegram", BOTH_FOR)
            a.kill()
            assert await a.wait() == -9
            at_kill = tg_got() + vk_got()
            assert at_kill < IN_TELEGRAM + IN_VK, "the kill must land mid-way"

            # The applicant's next answer waits for B to take over polling, then goes on.
            update = tg.send_text(APPLICANT, APPLICATION[2])
            await tg.wait_for(lambda: all(p["update_id"] != update for p in tg.pending_updates()), WAIT_S)
            await tg.wait_for(lambda: "Вопрос 4 из 7" in tg.texts_to(APPLICANT)[-1], WAIT_S)

            await tg.wait_for(lambda: tg_got() == IN_TELEGRAM and vk_got() == IN_VK, WAIT_S)
            assert b.returncode is None, "B is still serving"
        finally:
            for proc in (a, b):
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

        tg_counts = Counter(n for n in range(IN_TELEGRAM) for t in tg.texts_to(100_000 + n) if t == TEXT)
        vk_counts = Counter(n for n in range(IN_VK) for t in vk.texts_to(200_000 + n) if t == TEXT)
        assert set(vk_counts) == set(range(IN_VK)) and max(vk_counts.values()) == 1
        assert set(tg_counts) == set(range(IN_TELEGRAM))
        twice = [n for n, c in tg_counts.items() if c > 1]
        assert len(twice) <= PLATFORM_LIMITS["telegram"].max_inflight, twice
        assert tg.count_429 == 0
        assert vk.count_rate_errors == 0
