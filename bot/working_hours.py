"""Working time: the hours of a day outside the programme's quiet hours, in a person's zone.

"Take a question within 4 hours" means 4 hours in which the tutor can be expected
to read messages, so a question asked at 21:00 is not late at 06:00 next morning.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scenarios.models import QuietHours


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _quiet_window(local: datetime, quiet: QuietHours) -> tuple[datetime, datetime] | None:
    """The quiet window containing `local`, as local datetimes, or None when it is awake time."""
    start, end = _hm(quiet.start), _hm(quiet.end)
    if start == end:
        return None
    day = local.date()
    for offset in (-1, 0):
        begins = datetime.combine(day + timedelta(days=offset), start, local.tzinfo)
        ends = datetime.combine(begins.date() + timedelta(days=0 if end > start else 1),
                                end, local.tzinfo)
        if begins <= local < ends:
            return begins, ends
    return None


def _next_quiet_start(local: datetime, quiet: QuietHours) -> datetime:
    start = datetime.combine(local.date(), _hm(quiet.start), local.tzinfo)
    return start if start > local else start + timedelta(days=1)


def working_deadline(
    start: datetime, hours: float, zone: ZoneInfo, quiet: QuietHours
) -> datetime:
    """The moment `hours` of working time have passed since `start`."""
    left = timedelta(hours=hours)
    local = start.astimezone(zone)
    if _hm(quiet.start) == _hm(quiet.end):
        return start + left
    for _ in range(1000):  # at most a couple of iterations per day; a guard, not a limit
        window = _quiet_window(local, quiet)
        if window:
            local = window[1]
            continue
        awake_until = _next_quiet_start(local, quiet)
        # wall-clock arithmetic in UTC, so a DST change inside the day is counted right
        span = awake_until.astimezone(UTC) - local.astimezone(UTC)
        if left <= span:
            return local.astimezone(UTC) + left
        left -= span
        local = awake_until
    raise ValueError("working time does not converge")
