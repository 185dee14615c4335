"""`python -m bot run` as a real process on the console, with no configuration at all."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PACKAGE_ROOT

SCRIPT = "\n".join([
    "/start",
    ":sticker",
    "Иванова Мария Петровна",
    "maria@example.ru",
    "Школа 5",
    "Учитель",
    "Казань",
    "2",
    "1",
    "1",
    ":as alice",
    "1",
    ":quit",
]) + "\n"


def test_console_run_applies_and_approves(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_"))}
    env.update(DATABASE_PATH=str(tmp_path / "bot.sqlite3"), COORDINATORS="console:alice")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PACKAGE_ROOT, env=env, input=SCRIPT,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Стикер" in out
    assert "📝 Новая заявка №1" in out
    assert "🤖 → alice" in out
    assert "Заявка №1 одобрена" in out
    assert out.index("🎉 Ваша заявка") > out.index("Заявка №1 одобрена")
    assert (tmp_path / "bot.sqlite3").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_stops_the_console_while_it_waits_for_a_line(tmp_path: Path, sig: int) -> None:
    """Ctrl-C in the terminal (or SIGTERM) ends the bot without waiting for the next Enter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_"))}
    env["DATABASE_PATH"] = str(tmp_path / "bot.sqlite3")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=PACKAGE_ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert bot.stdin is not None and bot.stdout is not None
    try:
        bot.stdin.write(b"/start\n")  # the terminal stays open: nobody types after this
        await bot.stdin.drain()
        out = b""
        while "Вопрос 1 из 7".encode() not in out:
            line = await asyncio.wait_for(bot.stdout.readline(), 60)
            assert line, "the console ended before answering"
            out += line
        bot.send_signal(sig)
        await asyncio.wait_for(bot.wait(), 15)  # stdin still open: no end of input to help
        assert bot.stderr is not None
        err = await bot.stderr.read()
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
    assert bot.returncode == 0, err.decode()
    assert "stopped" in err.decode()
