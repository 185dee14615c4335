"""Messenger settings: a webhook is never served without its secret."""

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
