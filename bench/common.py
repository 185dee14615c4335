"""Pieces every benchmark shares: an in-process messenger, an App on a temp file, statistics."""

from __future__ import annotations

import gc
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app import App
from bot.heap import freeze_startup
from bot.messages import Reply
from bot.settings import Settings

PLATFORM = "bench"
COORDINATOR = "coord"


class RecordingMessenger:
    """A messenger that accepts everything at once and keeps only what a simulated user reads.

    It keeps the last reply per chat (so an intern can press its buttons) and a count,
    never the whole transcript, so it does not distort memory figures.
    """

    rate_per_s: float | None = None
    """In-process: no messenger's rate limit applies (bench_broadcast measures those)."""
    per_chat_interval = 0.0

    def __init__(self, platform: str = PLATFORM) -> None:
        self.platform = platform
        self.last: dict[str, Reply] = {}
        self.count: Counter[str] = Counter()
        self.sent = 0

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        self.last[chat_ref] = reply
        self.count[chat_ref] += 1
        self.sent += 1
        return str(self.sent)


def bench_settings(folder: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_path": folder / "bench.sqlite3",
        "coordinators": [(PLATFORM, COORDINATOR)],
        "default_locale": "ru",
        "log_level": "WARNING",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


async def start_app(
    folder: Path, *, background: bool = False, **overrides: object
) -> tuple[App, RecordingMessenger]:
    """`overrides` are settings (e.g. `database_url`): the same workload on another setup."""
    app = await App(bench_settings(folder, **overrides)).start(background=background)
    messenger = RecordingMessenger()
    app.s.delivery.register(messenger)
    return app, messenger


@contextmanager
def startup_heap_frozen() -> Iterator[None]:
    """The started app's heap frozen as `python -m bot run` freezes it (bot/heap.py), for
    latency figures of the bot as deployed; thawed after, so that the next benchmark in
    this process starts from an ordinary heap."""
    freeze_startup()
    try:
        yield
    finally:
        gc.unfreeze()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the inclusive method; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def rss_mb() -> float:
    """Resident memory of this process now (VmRSS), in MiB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """The highest resident memory this process has had (VmHWM), in MiB."""
    return _status_kb("VmHWM") / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")
