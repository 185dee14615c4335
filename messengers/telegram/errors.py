"""aiogram exceptions -> `DeliveryError`: what the outbox should do about a failed send.

Permanent means the person cannot be reached (blocked the bot, deleted the account,
never started a chat): the outbox marks them unreachable and tells coordinators
instead of retrying forever. Everything else is retried with backoff.
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from bot.messages import DeliveryError

_GONE = (
    "chat not found",
    "user is deactivated",
    "bot was blocked",
    "peer_id_invalid",
    "bot can't initiate conversation",
    "user not found",
)


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, TelegramRetryAfter):
        return DeliveryError(f"telegram: flood control, retry after {exc.retry_after}s",
                             retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return DeliveryError(f"telegram: {exc.message}", permanent=True)
    if isinstance(exc, TelegramBadRequest) and any(s in exc.message.lower() for s in _GONE):
        return DeliveryError(f"telegram: {exc.message}", permanent=True)
    if isinstance(exc, TelegramNetworkError | aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return DeliveryError(f"telegram: network: {exc}")
    if isinstance(exc, TelegramAPIError):
        return DeliveryError(f"telegram: {exc.message}")
    return DeliveryError(f"telegram: {type(exc).__name__}: {exc}")
