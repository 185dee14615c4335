"""The MAX adapter's own request window: MAX counts a request when it arrives, anywhere
between our start and our end, so a request keeps its place until a window after it ended."""

from __future__ import annotations

import asyncio

from messengers.max.adapter import RequestWindow


class Time:
    """Injected monotonic time; sleeping moves it on (nothing really waits)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


async def test_a_slow_request_keeps_its_place_until_a_window_after_it_ended() -> None:
    time = Time()
    window = RequestWindow(1, window=1.0, monotonic=time.monotonic, sleep=time.sleep)
    arrived = asyncio.Event()
    starts: list[float] = []

    async def slow() -> None:
        async with window.call():
            starts.append(time.now)
            await arrived.wait()  # on the way for a long time (a busy loop, the network)

    async def next_one() -> None:
        async with window.call():
            starts.append(time.now)

    first = asyncio.create_task(slow())
    await asyncio.sleep(0)
    time.now = 5.0  # long past a window after the first one *started*
    second = asyncio.create_task(next_one())
    for _ in range(5):
        await asyncio.sleep(0)
    assert starts == [0.0], "a request went out while the one before it might still arrive"
    time.now = 6.0
    arrived.set()  # the slow one ends at 6.0
    await asyncio.gather(first, second)
    assert starts == [0.0, 7.0]


async def test_requests_within_the_cap_go_at_once_and_the_next_waits_for_the_oldest() -> None:
    time = Time()
    window = RequestWindow(3, window=1.0, monotonic=time.monotonic, sleep=time.sleep)
    starts: list[float] = []
    for _ in range(4):
        async with window.call():
            starts.append(time.now)
        time.now += 0.1
    assert starts == [0.0, 0.1, 0.2, 1.0]  # the 4th: a window after the 1st ended


async def test_an_upload_holds_two_places() -> None:
    time = Time()
    window = RequestWindow(2, window=1.0, monotonic=time.monotonic, sleep=time.sleep)
    async with window.call(2):
        pass
    async with window.call():
        assert time.now == 1.0
