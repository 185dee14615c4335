"""Settings: names deployments rely on, and one clear line for a wrong value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import PACKAGE_ROOT, SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "VK_GROUP_TOKEN", "COORDINATORS", "DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(_env_file=None)
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.vk_api_url == "https://api.vk.com/method/"
    assert str(s.database_path) == "data/internbot.sqlite3"
    assert s.default_locale == "ru" and s.default_timezone == "Europe/Moscow"
    assert s.program_file.name == "default_programme.yaml"


def test_coordinators_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COORDINATORS", "tg:123, vk:456,max:789,console:alice")
    s = load_settings(_env_file=None)
    assert s.coordinators == [("telegram", "123"), ("vk", "456"), ("max", "789"), ("console", "alice")]
    assert s.is_coordinator("telegram", "123") and not s.is_coordinator("vk", "123")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("COORDINATORS", "telegram123", "Setting COORDINATORS: 'telegram123' is not platform:id"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "Setting DEFAULT_TIMEZONE: unknown time zone"),
        ("DEFAULT_LOCALE", "de", "Setting DEFAULT_LOCALE:"),
        ("LOG_LEVEL", "loud", "Setting LOG_LEVEL:"),
        ("TELEGRAM_API_URL", "ftp://x", "Setting TELEGRAM_API_URL: must start with http"),
        ("TELEGRAM_BOT_TOKEN", "SECRETabc", "Setting TELEGRAM_BOT_TOKEN: does not look like a bot token"),
        ("TELEGRAM_WEBHOOK_LISTEN", "8080", "Setting TELEGRAM_WEBHOOK_LISTEN: '8080' is not host:port"),
        ("TELEGRAM_WEBHOOK_URL", "bot.example.org", "Setting TELEGRAM_WEBHOOK_URL: must start with http"),
        ("TELEGRAM_WEBHOOK_URL", "http://bot.example.org/tg", "Setting TELEGRAM_WEBHOOK_URL: Telegram calls"),
        ("VK_API_VERSION", "latest", "Setting VK_API_VERSION: 'latest' is not a VK API version"),
        ("VK_GROUP_ID", "club1", "Setting VK_GROUP_ID:"),
        ("VK_REQUESTS_PER_S", "50", "Setting VK_REQUESTS_PER_S:"),
        ("MAX_BOT_TOKEN", "SECRET with a space", "Setting MAX_BOT_TOKEN: does not look like a MAX bot token"),
        ("MAX_API_URL", "platform-api.max.ru", "Setting MAX_API_URL: must start with http"),
        ("MAX_WEBHOOK_LISTEN", "8081", "Setting MAX_WEBHOOK_LISTEN: '8081' is not host:port"),
        ("MAX_REQUESTS_PER_S", "31", "Setting MAX_REQUESTS_PER_S:"),
        ("MAX_WEBHOOK_URL", "http://bot.example.org/max", "Setting MAX_WEBHOOK_URL: MAX calls webhooks"),
    ],
)
def test_wrong_value_is_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "SECRET" not in str(caught.value)  # a mistyped token is never echoed


@pytest.mark.parametrize(
    ("path", "reason"),
    [("no-such-dir-parent/x/bot.sqlite3", "Not a directory"), ("junk.sqlite3", "file is not a database")],
)
def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path, path: str, reason: str) -> None:
    (tmp_path / "junk.sqlite3").write_text("not a database", "utf-8")
    (tmp_path / "no-such-dir-parent").write_text("a file, so no folder can be made under it", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VK_"))}
    env["DATABASE_PATH"] = str(tmp_path / path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PACKAGE_ROOT, env=env,
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    [line] = [x for x in result.stderr.strip().splitlines() if " INFO " not in x]
    assert line.startswith("Setting DATABASE_PATH: cannot open ") and reason in line


def test_start_up_stops_with_the_line(tmp_path: object) -> None:
    env = {**os.environ, "DEFAULT_TIMEZONE": "Nowhere/Land"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=PACKAGE_ROOT, env=env,
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Setting DEFAULT_TIMEZONE: unknown time zone 'Nowhere/Land' (use e.g. Europe/Moscow)"
    ]
