"""vk_api exceptions -> `DeliveryError`: what the outbox should do about a failed send."""

from __future__ import annotations

import requests
from vk_api.exceptions import ApiError, ApiHttpError

from bot.messages import DeliveryError

GONE = {
    7: "no permission",
    900: "the user blacklisted the community",
    901: "the user has not allowed messages from the community",
    902: "the user's privacy settings forbid messages",
    936: "the user's contact was not found",
    18: "the user was deleted or banned",
}
"""Error codes after which retrying can never help: the person is unreachable."""
RETRY_AFTER = {6: 1.0, 9: 60.0, 29: 300.0}
"""Rate errors: too many per second, flood control, method rate limit."""


def from_code(code: int, message: str) -> DeliveryError:
    if code in GONE:
        return DeliveryError(f"vk: [{code}] {GONE[code]}", permanent=True)
    if code in RETRY_AFTER:
        return DeliveryError(f"vk: [{code}] {message}", retry_after=RETRY_AFTER[code])
    return DeliveryError(f"vk: [{code}] {message}")


def delivery_error(exc: BaseException) -> DeliveryError:
    if isinstance(exc, ApiError):
        return from_code(exc.code, str(exc.error.get("error_msg", "")))
    if isinstance(exc, ApiHttpError):
        return DeliveryError(f"vk: HTTP {exc.response.status_code}")
    if isinstance(exc, requests.RequestException | ValueError | OSError):
        return DeliveryError(f"vk: network: {type(exc).__name__}")
    return DeliveryError(f"vk: {type(exc).__name__}: {exc}")
