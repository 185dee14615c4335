"""How many messages one coordinator gets while 300 interns apply within a minute.

Each intern walks the real application (bench_engine's script: /start, the answers, the
buttons it was sent) through the real Core and SQLite on a FakeClock, the interns spread
evenly over one minute of that clock. Then the clock passes the digest window
(`coordinators.application_digest_minutes`), the scheduler ticks, the outbox is
delivered, and the messages the coordinator received are counted. The same burst with
`new_applications: each` gives the count the digest saves.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_engine import APPLICATION, Intern
from bench.common import COORDINATOR, RecordingMessenger, bench_settings
from bot.app import App
from bot.clock import FakeClock
from bot.settings import BUNDLED_PROGRAM
from scenarios.loader import load_programme
from scenarios.models import CoordinatorNotices
from storage.db import fetchone

NAME = "applications"
INTERNS = 300
SPREAD = timedelta(minutes=1)


async def burst(interns: int, mode: str) -> dict[str, float]:
    """Messages to one coordinator from `interns` applications within SPREAD, until the
    digest window after the last of them has closed."""
    bundled = load_programme(BUNDLED_PROGRAM)
    rules = CoordinatorNotices(new_applications=mode,  # type: ignore[arg-type]
                               application_digest_minutes=bundled.coordinators.application_digest_minutes)
    programme = bundled.model_copy(update={"coordinators": rules})
    clock = FakeClock()
    with tempfile.TemporaryDirectory(prefix="bench-applications-") as folder:
        settings = bench_settings(Path(folder))
        app = await App(settings, clock=clock, programme=programme).start(background=False)
        messenger = RecordingMessenger()
        app.s.delivery.register(messenger)
        try:
            step = SPREAD / interns
            started = time.perf_counter()
            for number in range(interns):
                intern = Intern(number, app, messenger)
                for action in APPLICATION:
                    await app.core.handle(intern.incoming(action))
                clock.advance(step)
            elapsed = time.perf_counter() - started
            clock.advance(timedelta(minutes=rules.application_digest_minutes))
            await app.s.scheduler.tick()
            while await app.s.delivery.run_once():
                pass
            await _check(app, interns)
            return {"messages": messenger.count[COORDINATOR], "seconds": round(elapsed, 2)}
        finally:
            await app.stop()


async def _check(app: App, interns: int) -> None:
    """A count from a broken run is worthless: every application must be in, all sent."""
    async with app.s.db.read() as conn:
        pending = await fetchone(conn, "SELECT COUNT(*) AS n FROM applications WHERE status = 'pending'")
        unsent = await fetchone(conn, "SELECT COUNT(*) AS n FROM outbox WHERE status != 'sent'")
    assert pending is not None and unsent is not None
    if (pending["n"], unsent["n"]) != (interns, 0):
        raise AssertionError(f"expected {interns} pending applications and nothing unsent; "
                             f"got {pending['n']} and {unsent['n']} unsent")


async def run(interns: int = INTERNS) -> dict[str, object]:
    digest = await burst(interns, "digest")
    each = await burst(interns, "each")
    return {
        "coordinator_messages_300_applications": digest["messages"],
        "coordinator_messages_each_application": each["messages"],
        "applications_burst_interns": interns,
        "applications_burst_seconds": digest["seconds"],
    }
