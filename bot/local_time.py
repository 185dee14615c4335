"""Moments shown in the person's own time zone (the programme's when they gave none).

Interns live from Kaliningrad to Kamchatka: every time the bot shows is local, with
the zone named, so "17:00" never means two different things.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scenarios.timezones import zone_label

WEEKDAYS = {"ru": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def zone_of(timezone: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def local(moment: datetime, timezone: str | None, fallback: str, lang: str) -> str:
    """`пн 08.12.2026, 17:00 (Москва (МСК))`."""
    zone = zone_of(timezone, fallback)
    at = moment.astimezone(zone)
    day = WEEKDAYS.get(lang, WEEKDAYS["en"])[at.weekday()]
    return f"{day} {at:%d.%m.%Y, %H:%M} ({zone_label(zone.key, lang)})"


def quiet_until(
    moment: datetime, timezone: str | None, fallback: str, start: str, end: str
) -> datetime | None:
    """The end of the person's quiet hours if `moment` falls in them (local time), else None.

    A stage that opens at 19:00 in Moscow is 02:00 in Vladivostok: its announcement
    waits for the intern's morning instead of waking them.
    """
    zone = zone_of(timezone, fallback)
    at = moment.astimezone(zone)
    begins, ends = (time(*map(int, x.split(":"))) for x in (start, end))
    now = at.time()
    quiet = (begins <= now or now < ends) if begins > ends else (begins <= now < ends)
    if not quiet:
        return None
    wake = datetime.combine(at.date(), ends, tzinfo=zone)
    if wake <= at:
        wake += timedelta(days=1)
    return wake
