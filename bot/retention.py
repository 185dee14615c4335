"""The scheduler job that applies OUTBOX_RETENTION_DAYS (see storage/retention.py for why).

It looks once an hour, not every tick: message bodies are days old before they go, so an
hour's slack costs nothing, and a large backlog is worked off a batch per look.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage import retention

if TYPE_CHECKING:
    from bot.services import Services

EVERY = timedelta(hours=1)


class Retention:
    def __init__(self) -> None:
        self._next: datetime | None = None

    async def __call__(self, services: Services, now: datetime) -> int:
        days = services.settings.outbox_retention_days
        if days <= 0 or (self._next is not None and now < self._next):
            return 0
        async with services.db.transaction() as conn:
            done = await retention.blank_old_bodies(conn, before=retention.cutoff(now, days))
        # a full batch means more is waiting: look again on the next tick
        self._next = now if done >= retention.BATCH else now + EVERY
        return 0  # blanking sends nothing: the delivery loop need not wake
