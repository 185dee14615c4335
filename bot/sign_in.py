"""Who a messenger vouches for when its Mini App opens the panel: the neutral answer.

The checks themselves belong to the messengers (Telegram's init data in
messengers/telegram, VK's launch parameters in messengers/vk); the panel only receives
`SignInCheck` functions from the entry point, so it never imports a messenger library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SignedUser:
    platform: str
    user_ref: str
    signed_at: datetime | None
    """When the messenger signed the data; the panel refuses it once too old."""
    language_code: str | None = None
    display_name: str | None = None


class BadSignature(ValueError):
    """The data was not signed by the messenger with our key (or is malformed)."""


SignInCheck = Callable[[str], SignedUser]
"""Raw signed data as the page posted it -> who it vouches for; raises BadSignature."""
