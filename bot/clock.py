"""Time as a dependency, so that reminders and deadlines are testable without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current moment as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def to_iso(moment: datetime) -> str:
    """Store UTC in one sortable text form, so SQL comparisons on timestamps work.

    `2026-09-01T09:00:00.000000Z`; written with isoformat, not strftime: every update
    stores several of these, and strftime costs about twice as much."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_iso(text: str) -> datetime:
    """The stored form back; fromisoformat is forty times faster than strptime, which
    mattered where rows are read by the thousand (the outbox, the scheduler)."""
    if not text.endswith("Z"):
        raise ValueError(f"not a stored UTC moment: {text!r}")
    return datetime.fromisoformat(text)
