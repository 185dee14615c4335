"""Shared machinery for the local fake API servers used by end-to-end tests.

Why: the Telegram and VK fakes need the same things — an aiohttp app bound to an
ephemeral port on 127.0.0.1, a log of every API call, event-driven waiting (so tests
never sleep blindly), injectable faults/delays and sliding-window rate accounting.
Keeping it in one place keeps both fakes behaving identically.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import web

LOOPBACK_HOST = "127.0.0.1"


def is_loopback_host(host: str | None) -> bool:
    """Tell whether ``host`` is a loopback name/address; why: fakes never leave the box."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def ensure_loopback_url(url: str) -> None:
    """Raise ``ValueError`` for any URL whose host is not loopback (network guard)."""
    host = urlsplit(url).hostname
    if not is_loopback_host(host):
        msg = f"refusing to contact non-loopback host {host!r} from a test fake"
        raise ValueError(msg)


class SlidingWindow:
    """Counts events of the last ``window`` seconds; why: rate limits and rps stats."""

    def __init__(self, window: float = 1.0) -> None:
        self.window = window
        self._times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()

    def count(self, now: float) -> int:
        """Number of events still inside the window at ``now``."""
        self._trim(now)
        return len(self._times)

    def add(self, now: float) -> int:
        """Register an event and return the new in-window count."""
        self._trim(now)
        self._times.append(now)
        return len(self._times)

    def free_in(self, now: float) -> float:
        """Seconds until the oldest event leaves the window (0 if the window is empty)."""
        self._trim(now)
        if not self._times:
            return 0.0
        return max(0.0, self.window - (now - self._times[0]))


@dataclass
class Rule:
    """One injected fault or delay, consumed ``times`` times; ``data`` says what to do."""

    times: int
    data: dict[str, Any]
    skip: int = 0
    """Calls to let through before the rule starts firing (e.g. fail the 2nd part only)."""


class RuleBook:
    """Per-method queues of one-shot rules; ``"*"`` matches every method."""

    def __init__(self) -> None:
        self._rules: dict[str, deque[Rule]] = {}

    def add(self, method: str, times: int, *, skip: int = 0, **data: Any) -> None:
        """Queue a rule that fires on the ``times`` calls of ``method`` after ``skip`` calls."""
        if times < 1 or skip < 0:
            msg = "times must be >= 1 and skip >= 0"
            raise ValueError(msg)
        self._rules.setdefault(method, deque()).append(Rule(times=times, data=data, skip=skip))

    def pop(self, method: str) -> dict[str, Any] | None:
        """Consume one firing of the first rule for ``method`` (or ``"*"``), if any."""
        for key in (method, "*"):
            queue = self._rules.get(key)
            if queue:
                rule = queue[0]
                if rule.skip > 0:
                    rule.skip -= 1
                    return None
                rule.times -= 1
                if rule.times <= 0:
                    queue.popleft()
                return rule.data
        return None

    def clear(self) -> None:
        """Forget all pending rules."""
        self._rules.clear()


class FakeServerBase:
    """Lifecycle, call log and waiting helpers common to both fakes."""

    #: aiohttp's default 1 MiB body limit is too small for document uploads.
    client_max_size = 64 * 1024 * 1024

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.app = web.Application(client_max_size=self.client_max_size)
        self._setup_routes(self.app)

    # -- lifecycle -------------------------------------------------------------------
    def _setup_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def port(self) -> int:
        """The ephemeral port; only valid after :meth:`start`."""
        if self._port is None:
            msg = "server is not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        return f"http://{LOOPBACK_HOST}:{self.port}"

    async def start(self) -> None:
        """Bind to an ephemeral loopback port and start serving."""
        if self._runner is not None:
            return
        self._closing = False
        # Short shutdown timeout: long-poll handlers are woken on stop anyway.
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK_HOST, 0)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Wake every long poll, then shut the server down."""
        self._closing = True
        self._notify()
        await self._on_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_stop(self) -> None:
        """Hook for subclasses to release their own resources."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- signalling ------------------------------------------------------------------
    def _notify(self) -> None:
        """Wake everyone waiting for a change (new call recorded or update queued)."""
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    def poke(self) -> None:
        """Re-check every ``wait_for`` now: for conditions that change outside the fake."""
        self._notify()

    async def _wait_change(self, timeout: float) -> bool:
        """Wait for the next change at most ``timeout`` s; return False on timeout."""
        if timeout <= 0:
            return False
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    # -- recording -------------------------------------------------------------------
    def _record(
        self,
        method: str,
        params: dict[str, Any],
        *,
        time: float,
        ok: bool,
        status: int = 200,
        error: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "method": method,
            "params": params,
            "time": time,
            "ok": ok,
            "status": status,
            "error": error,
            **extra,
        }
        self.sent.append(entry)
        self._notify()
        return entry

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls (all, or of one method), each with method/params/time/ok."""
        if method is None:
            return list(self.sent)
        return [c for c in self.sent if c["method"] == method]

    def clear_log(self) -> None:
        """Forget recorded calls (e.g. between phases of a long scenario test)."""
        self.sent.clear()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy, re-checking on every recorded change.

        Returns the truthy value; raises ``TimeoutError`` listing the last calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                tail = [(c["method"], c["params"], c["ok"]) for c in self.sent[-5:]]
                msg = f"condition not met within {timeout}s; last calls: {tail!r}"
                raise TimeoutError(msg)
            await self._wait_change(remaining)
