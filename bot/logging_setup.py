"""Logging that never prints tokens: secrets are masked in every record."""

from __future__ import annotations

import logging
import re

from bot.settings import Settings

_TOKEN_IN_URL = re.compile(r"(/bot)(\d+:[A-Za-z0-9_-]{20,})")
_VK_TOKEN = re.compile(r"(access_token=)[^&\s]+")


class SecretFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _VK_TOKEN.sub(r"\1***", _TOKEN_IN_URL.sub(r"\1***", message))
        for secret in self.secrets:
            clean = clean.replace(secret, "***")
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(
        SecretFilter(
            [settings.telegram_bot_token, settings.vk_group_token, settings.telegram_webhook_secret]
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # APScheduler logs every tick at INFO ("Running job ... executed successfully"):
    # every 15 s that buries the console chat and real events in production logs.
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
