"""Moments and durations as a coordinator writes them in the programme file.

A moment is either a local date-time (`2026-10-06 18:00`) in the programme's time
zone, or an offset from the programme start (`start+6d 18:00`, `start+14d`), so a
coordinator can re-run an internship by changing one date.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_OFFSET = re.compile(r"^\s*start\s*\+\s*(\d+)\s*d(?:\s+(\d{1,2}):(\d{2}))?\s*$")
_LOCAL = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def parse_duration(text: str) -> timedelta:
    """`24h`, `2d`, `1d 12h`, `30m` -> timedelta."""
    match = _DURATION.match(str(text))
    if not match or not any(match.groups()):
        raise ValueError(f"'{text}' is not a duration like 24h, 2d, 30m or 1d 12h")
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def format_duration(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    days, rest = divmod(total, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p) or "0m"


def parse_local(text: str) -> datetime:
    for fmt in _LOCAL:
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date like 2026-10-06 18:00")


def validate_moment(text: str) -> str:
    """Check the text now, so a typo is reported at load time with its line."""
    if not _OFFSET.match(text):
        parse_local(text)
    return text


def resolve_moment(text: str, start: datetime, zone: ZoneInfo) -> datetime:
    """Turn a programme moment into an aware datetime (store it as UTC)."""
    match = _OFFSET.match(text)
    if match:
        days, hh, mm = match.groups()
        local_start = start.astimezone(zone)
        day = local_start.date() + timedelta(days=int(days))
        at = time(int(hh), int(mm)) if hh else local_start.timetz().replace(tzinfo=None)
        return datetime.combine(day, at).replace(tzinfo=zone)
    return parse_local(text).replace(tzinfo=zone)


def same_wall_clock(moment: datetime, home: ZoneInfo, zone: ZoneInfo) -> datetime:
    """The moment that shows in `zone` the date and time `moment` shows in `home`.

    A local deadline («до 23:00 по вашему времени») is written once, in the programme's
    zone; each intern's own moment is that wall-clock time read in their zone, so 23:00
    in Moscow becomes 23:00 in Vladivostok (seven hours earlier), not 06:00 next day.
    """
    wall = moment.astimezone(home).replace(tzinfo=None)
    return wall.replace(tzinfo=zone)
