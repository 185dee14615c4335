"""One person's updates in order, different people's at once: what every adapter needs.

WHY: a slow answer to one person must not hold up everybody else in the batch, yet two
messages of one person handled side by side could answer the second before the first
(or both against the same dialog state).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def each_in_order(
    items: Iterable[T], person: Callable[[T], Hashable], handle: Callable[[T], Awaitable[None]]
) -> None:
    """Handle a batch: each person's items one after another, the people concurrently."""
    by_person: dict[Hashable, list[T]] = {}
    for item in items:
        by_person.setdefault(person(item), []).append(item)

    async def in_order(batch: list[T]) -> None:
        for item in batch:
            await handle(item)

    await asyncio.gather(*(in_order(batch) for batch in by_person.values()))


class PersonLocks:
    """For webhooks, which may post several updates of one person at once."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, person: Hashable) -> AsyncIterator[None]:
        lock = self._locks.setdefault(person, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._locks.get(person) is lock:
                del self._locks[person]
