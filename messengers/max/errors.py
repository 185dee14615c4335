"""maxapi exceptions -> `DeliveryError`: what the outbox should do about a failed send.

Permanent means the person cannot be reached (blocked the bot, no such dialog) or the
message itself is wrong (a 400 would fail again): the outbox stops retrying and, for
an unreachable person, tells the coordinators. Everything else is retried.
"""

from __future__ import annotations

import asyncio

import aiohttp
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed

from bot.messages import DeliveryError

RATE_LIMIT_WAIT = 1.0
"""MAX's 429 says no Retry-After: the rate window is one second."""
_GONE = ("chat.denied", "chat.not.found", "user.not.found", "dialog.not.found", "bot.blocked")


def _code(exc: MaxApiError) -> str:
    return str(exc.raw.get("code", "")) if isinstance(exc.raw, dict) else ""


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, MaxApiError):
        code = _code(exc)
        if exc.code == 429 or code == "too.many.requests":
            return DeliveryError("max: too many requests", retry_after=RATE_LIMIT_WAIT)
        if exc.code in (403, 404) or code in _GONE:
            return DeliveryError(f"max: {exc.code} {code}", permanent=True)
        if code == "attachment.not.ready" or exc.code >= 500:
            return DeliveryError(f"max: {exc.code} {code}")
        if 400 <= exc.code < 500:
            return DeliveryError(f"max: {exc.code} {code}", permanent=True)
        return DeliveryError(f"max: {exc.code} {code}")
    if isinstance(exc, InvalidToken):
        # the whole adapter is refused: keep the messages for when the token is fixed
        return DeliveryError("max: the platform refused MAX_BOT_TOKEN")
    if isinstance(exc, MaxConnection | MaxUploadFileFailed | aiohttp.ClientError | asyncio.TimeoutError
                  | OSError):
        return DeliveryError(f"max: network: {type(exc).__name__}")
    return DeliveryError(f"max: {type(exc).__name__}: {exc}")
