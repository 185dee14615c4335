"""Moments shown in the person's own time zone (the programme's when they gave none).

Interns live from Kaliningrad to Kamchatka: every time the bot shows is local, with
the zone named, so "17:00" never means two different things.
"""

from __future__ import annotations

from datetime import datetime
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
