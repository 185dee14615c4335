"""`python -m bot run` as a real process on the console, with no configuration at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
