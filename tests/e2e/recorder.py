"""Stands in for the core in adapter tests: what the adapter hands over is the point."""

from __future__ import annotations

from bot.messages import Incoming


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> None:
        self.seen.append(incoming)
