"""Messenger settings: a webhook is never served without its secret (Telegram and MAX)."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_webhook_without_secret_is_refused_with_one_line() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET"):
        load_settings(_env_file=None, telegram_webhook_url="https://bot.example.org/tg")
    ok = load_settings(_env_file=None, telegram_webhook_url="https://bot.example.org/tg",
                       telegram_webhook_secret="abc")
    assert ok.telegram_webhook_secret == "abc" and "abc" not in repr(ok)


def test_webhook_secret_is_named_and_must_follow_telegrams_rule() -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(_env_file=None, telegram_webhook_url="https://bot.example.org/tg")
    assert str(missing.value).startswith("Setting TELEGRAM_WEBHOOK_SECRET:")
    with pytest.raises(SettingsError) as bad:
        load_settings(_env_file=None, telegram_webhook_url="https://bot.example.org/tg",
                      telegram_webhook_secret="has spaces & symbols")
    message = str(bad.value)
    assert message.startswith("Setting TELEGRAM_WEBHOOK_SECRET: must be 1-256 characters")
    assert "has spaces" not in message  # a secret is never echoed


def test_max_webhook_needs_a_secret_by_maxs_rule() -> None:
    with pytest.raises(SettingsError) as missing:
        load_settings(_env_file=None, max_webhook_url="https://bot.example.org/max")
    assert str(missing.value).startswith("Setting MAX_WEBHOOK_SECRET: MAX_WEBHOOK_URL is set")
    with pytest.raises(SettingsError) as short:
        load_settings(_env_file=None, max_webhook_url="https://bot.example.org/max",
                      max_webhook_secret="ab c")
    assert str(short.value).startswith("Setting MAX_WEBHOOK_SECRET: must be 5-256 characters")
    assert "ab c" not in str(short.value)
    ok = load_settings(_env_file=None, max_webhook_url="https://bot.example.org/max",
                       max_webhook_secret="s3cret-value", max_bot_token="max-token-0123456789abcdef")
    assert "s3cret-value" not in repr(ok) and "0123456789abcdef" not in repr(ok)
