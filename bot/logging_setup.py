"""Logging that never prints tokens or e-mail addresses, whatever library wrote the line.

Masking happens on the finished line, traceback included: an exception's message
(a URL with the bot token in it, a validation error quoting what a person typed) is
as much a part of the log as the message itself.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from bot.settings import Settings

_TOKEN_IN_URL = re.compile(r"(/bot)(\d+:[A-Za-z0-9_-]{20,})")
_VK_TOKEN = re.compile(r"(access_token=)[^&\s'\"]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
"""The personal datum the bot keeps most (certificates go there); names cannot be told apart."""


class SecretFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = sorted((s for s in secrets if s), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = _VK_TOKEN.sub(r"\1***", _TOKEN_IN_URL.sub(r"\1***", text))
        return _EMAIL.sub("***@***", text)


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(SecretFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
        [settings.telegram_bot_token, settings.vk_group_token, settings.telegram_webhook_secret,
         settings.max_bot_token, settings.max_webhook_secret,
         urlsplit(settings.database_url).password or ""],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # APScheduler logs every tick at INFO ("Running job ... executed successfully"):
    # every 15 s that buries the console chat and real events in production logs.
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
    # backoff (inside the MAX client) logs every 5xx it gives up on at ERROR, although the
    # outbox retries that message and says so itself: one event, one line.
    logging.getLogger("backoff").setLevel(max(root.level, logging.CRITICAL))
