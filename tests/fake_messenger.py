"""An in-process messenger for delivery tests: records calls, fails on cue, deduplicates by idem.

It stands for a remote server: `accepted` is what recipients really got (repeats of
the same idem dropped, as VK does with random_id), `calls` every attempt.
"""

from __future__ import annotations

from collections import deque

from bot.messages import DeliveryError, Reply


class FakeMessenger:
    def __init__(
        self, platform: str = "telegram", *, batch: int = 0, rate_per_s: float | None = None
    ) -> None:
        self.platform = platform
        if rate_per_s is not None:
            self.rate_per_s = rate_per_s
        if batch:
            self.max_batch = batch
            self.send_batch = self._send_batch
        self.calls: list[tuple[str, ...]] = []
        self.accepted: dict[tuple[str, int | None], str] = {}
        self.failures: deque[BaseException] = deque()
        """Raised one by one by the next calls, before anything is accepted."""
        self.blocked: set[str] = set()
        self.crash_after_accepting: BaseException | None = None

    def texts_to(self, chat_ref: str) -> list[str]:
        return [text for (chat, _), text in self.accepted.items() if chat == chat_ref]

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        self.calls.append((chat_ref,))
        if self.failures:
            raise self.failures.popleft()
        if chat_ref in self.blocked:
            raise DeliveryError("Forbidden: bot was blocked by the user", permanent=True)
        self.accepted.setdefault((chat_ref, idem), reply.text)
        if self.crash_after_accepting is not None:
            crash, self.crash_after_accepting = self.crash_after_accepting, None
            raise crash
        return f"m{len(self.accepted)}"

    async def _send_batch(
        self, chat_refs: list[str], reply: Reply, *, idem: int | None = None
    ) -> dict[str, str | DeliveryError]:
        self.calls.append(tuple(chat_refs))
        if self.failures:
            raise self.failures.popleft()
        results: dict[str, str | DeliveryError] = {}
        for chat in chat_refs:
            if chat in self.blocked:
                results[chat] = DeliveryError("user blocked the community", permanent=True)
            else:
                self.accepted.setdefault((chat, idem), reply.text)
                results[chat] = f"m{len(self.accepted)}"
        return results
