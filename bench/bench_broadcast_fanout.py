"""A coordinator's personalised broadcast to 10,000 interns: how long the database is held.

The cohort comes from bench/population.py. The coordinator composes
"{{ name }}, {{ team }}, {{ next_deadline }}, {{ event_link }}" through the real core,
chooses "all interns" and confirms; the confirming update writes the first batch, then
the scheduler job writes the rest batch by batch. What matters to everyone else is
the longest single transaction (an update waits at most that long for the database)
and how fast personalised rows are written. Delivery is not part of it: that is the
rate-limited outbox's figure.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import COORDINATOR, PLATFORM, start_app
from bench.population import seed
from bot.messages import Incoming
from handlers.coordination import broadcasts
from storage import outbox

NAME = "broadcast_fanout"
PERSONS = 10_000
BODY = "{{ name }}, команда «{{ team }}»: ближайший срок — {{ next_deadline }}. Встреча: {{ event_link }}"


async def run(persons: int = PERSONS) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        await asyncio.to_thread(seed, path / "bench.sqlite3", persons)  # seed runs its own loop
        app, _ = await start_app(path)
        try:
            return await _measure(app, persons)
        finally:
            await app.stop()


async def _measure(app, persons: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    updates = iter(range(1, 1_000_000))

    async def coordinator(text: str | None = None, payload: str | None = None) -> float:
        started = time.perf_counter()
        await app.core.handle(Incoming(PLATFORM, COORDINATOR, COORDINATOR, text=text, payload=payload,
                                       update_ref=f"b{next(updates)}"))
        return time.perf_counter() - started

    await coordinator("/broadcast")
    await coordinator(BODY)
    preview_s = await coordinator(payload="bc|1|a|all")
    confirm_s = await coordinator(payload="bc|1|now")

    longest = 0.0
    original = broadcasts.fan_out

    async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal longest
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            longest = max(longest, time.perf_counter() - started)

    broadcasts.fan_out = timed  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        batches = await broadcasts.fan_out_due(app.s, app.s.clock.now())
        fanout_s = time.perf_counter() - started
    finally:
        broadcasts.fan_out = original  # type: ignore[assignment]
    async with app.s.db.read() as conn:
        written = sum((await outbox.status_counts(conn, "bc:1:")).values())
    interns = persons - persons // 50
    if written != interns:
        raise AssertionError(f"{written} rows written for {interns} interns")
    return {
        "broadcast_confirm_ms_10k": round(confirm_s * 1000, 1),
        "broadcast_batch_max_ms": round(max(longest, confirm_s) * 1000, 1),
        "broadcast_rows_per_s": round((written - broadcasts.BATCH) / fanout_s) if fanout_s else None,
        "broadcast_preview_ms": round(preview_s * 1000, 1),
        "broadcast_rows": written,
        "broadcast_batches": batches + 1,
    }
