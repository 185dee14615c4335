"""aiosqlite's API with every statement run right away on the event loop's thread.

WHY: aiosqlite sends each call to a worker thread and back. On the 2-core target a
round trip costs about 66 µs while our statements (indexed look-ups of one person's
rows) take 1-50 µs, so an update of ~12 statements spent 80 % of its time handing
work between threads and the engine peaked near 900 updates/s. Run inline, the same
engine does about 4x that (see docs/performance.md, `make bench`).

The price, accepted on purpose: a statement holds the event loop while it runs. Our
single connection behind `Database`'s lock already serialises all database work, so
only non-database work (messenger I/O) waits, for microseconds; a busy wait on a
lock held by ANOTHER process waits at most `busy_timeout`. Long jobs (broadcasts,
exports) still let others in: every `YIELD_EVERY` statements the loop gets a turn.

Relies on aiosqlite's `_execute`/`_connect` hooks (every Connection and Cursor method
goes through `_execute`), so pyproject pins the aiosqlite minor version and
tests/test_inline_sqlite.py fails loudly if an upgrade changes them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite

YIELD_EVERY = 64


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._calls = 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        self._calls += 1
        if self._calls % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()  # no worker thread to start

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(path: str, **kwargs: Any) -> InlineConnection:
    """Like `aiosqlite.connect`, without the worker thread."""
    return InlineConnection(lambda: sqlite3.connect(path, **kwargs))
