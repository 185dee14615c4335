"""`python -m bot run` as a real process with Telegram, VK and MAX at once, against the fakes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from tests.conftest import APPLICATION
from tests.e2e.max import TOKEN as MAX_TOKEN
from tests.e2e.telegram import TOKEN as TG_TOKEN
from tests.e2e.vk import GROUP_ID
from tests.e2e.vk import TOKEN as VK_TOKEN
from tests.fakes.max_server import FakeMaxServer
from tests.fakes.telegram_server import FakeTelegramServer
from tests.fakes.vk_server import FakeVkServer

INTERN, COORDINATOR, MAX_PERSON = 2002, 1001, 4004


def _button(tg: FakeTelegramServer, chat: int, index: int = 0) -> str:
    return [b["text"] for row in tg.buttons(chat) for b in row][index]


async def test_one_process_serves_telegram_vk_and_max_and_stops_cleanly(tmp_path: Path) -> None:
    async with (
        FakeTelegramServer() as tg, FakeVkServer(group_id=GROUP_ID, token=VK_TOKEN) as vk,
        FakeMaxServer(token=MAX_TOKEN) as mx,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_"))}
        env.update(
            DATABASE_PATH=str(tmp_path / "bot.sqlite3"), COORDINATORS=f"vk:{COORDINATOR}",
            TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_API_URL=tg.base_url,
            VK_GROUP_TOKEN=VK_TOKEN, VK_API_URL=vk.base_url, VK_GROUP_ID=str(GROUP_ID),
            MAX_BOT_TOKEN=MAX_TOKEN, MAX_API_URL=mx.base_url,
        )
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            async def say(text: str) -> None:
                update_id = tg.send_text(INTERN, text)
                await tg.wait_for(lambda: all(u["update_id"] != update_id for u in tg.pending_updates()), 20)

            async def press(label: str) -> None:
                query = tg.press_button_text(INTERN, label)
                update = next(u for u in tg.updates if u.get("callback_query", {}).get("id") == query)
                await tg.wait_for(lambda: update not in tg.pending_updates(), 20)

            await say("/start")
            for answer in APPLICATION:
                await say(answer)
            await press("Москва (МСК)")
            await press(_button(tg, INTERN))  # consent
            await press(_button(tg, INTERN))  # submit
            # The VK coordinator hears of it from the same process and database, and approves.
            await vk.wait_for(lambda: any("Новая заявка №1" in t for t in vk.texts_to(COORDINATOR)), 20)
            await vk.wait_for(lambda: vk.lp_requests > 0, 20)
            vk.press_button_label(COORDINATOR, "✅ Одобрить")
            await tg.wait_for(lambda: any("одобрена" in t for t in tg.texts_to(INTERN)), 20)

            # A MAX person starts the bot in the same process and database.
            started = mx.bot_started(MAX_PERSON)
            await mx.wait_for(lambda: mx.confirmed_marker >= started, 20)
            assert "Цифровая педагогическая интернатура" in mx.texts_to(MAX_PERSON)[0]

            # SIGTERM while an update is in hand: its (slow) reply still goes out, then exit 0.
            tg.delay_next("sendMessage", 1.0)
            in_hand = tg.send_text(INTERN, "/help")
            await tg.wait_for(lambda: any(
                c["method"] == "getUpdates" and any(u["update_id"] == in_hand for u in c.get("result") or [])
                for c in tg.calls()), 20)
            replies_before = len(tg.texts_to(INTERN))
            bot.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(bot.communicate(), 30)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
        log = err.decode()
        assert bot.returncode == 0, log
        assert "started: telegram, vk, max" in log and "stopped" in log
        assert len(tg.texts_to(INTERN)) > replies_before  # the update in hand was answered
        assert tg.pending_updates() == []  # ...and confirmed to Telegram
        assert TG_TOKEN not in log and VK_TOKEN not in log and MAX_TOKEN not in log
        assert not [answer for answer in APPLICATION if answer in log]  # no personal data either
        with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
            statuses = dict(db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
            saved_ts = db.execute("SELECT value FROM adapter_state WHERE key = 'vk.longpoll_ts'").fetchone()
            marker = db.execute("SELECT value FROM adapter_state WHERE key = 'max.marker'").fetchone()
        assert set(statuses) == {"sent"}, statuses  # marked sent: the reply was confirmed before exit
        assert saved_ts is not None  # VK resumes from here next time
        assert marker is not None and int(marker[0]) >= started  # ...and MAX from its marker


async def test_a_rejected_token_stops_the_process_with_a_clear_line(tmp_path: Path) -> None:
    async with FakeTelegramServer(token="1:RIGHT") as tg:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_"))}
        env.update(DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
                   TELEGRAM_BOT_TOKEN="1:WRONG", TELEGRAM_API_URL=tg.base_url)
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(bot.communicate(), 30)
    log = err.decode()
    assert bot.returncode == 1, log
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log and "1:WRONG" not in log
    assert tg.calls("deleteWebhook")[0]["status"] == 401


async def test_a_rejected_max_token_stops_the_process_with_a_clear_line(tmp_path: Path) -> None:
    async with FakeMaxServer(token="max-right-token-0123456789") as mx:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_", "MAX_"))}
        env.update(DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
                   MAX_BOT_TOKEN="max-WRONG-token-0123456789", MAX_API_URL=mx.base_url)
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(bot.communicate(), 30)
    log = err.decode()
    assert bot.returncode == 1, log
    assert "MAX rejected MAX_BOT_TOKEN" in log and "max-WRONG-token" not in log
