"""A person's local time: their time zone, quiet hours, and dates written for people.

Reminders are planned in UTC but must land at sensible local hours: a person in
Vladivostok should not get a 48-hour deadline reminder at 4 a.m. because the
programme lives in Moscow time. every time the bot shows is local, with the zone
named, so "17:00" never means two different things.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import Texts
from scenarios.models import QuietHours
from scenarios.timezones import zone_label

WEEKDAYS = {"ru": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def zone_of(timezone: str | None, fallback: str) -> ZoneInfo:
    """The person's zone, else the default one (settings), never an exception."""
    for name in (timezone, fallback):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    local = moment.astimezone(zone).time()
    start, end = _clock(quiet.start), _clock(quiet.end)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def after_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`moment`, or the end of the quiet hours it falls into (the local morning)."""
    if not in_quiet_hours(moment, zone, quiet):
        return moment
    local = moment.astimezone(zone)
    end = _clock(quiet.end)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(moment.tzinfo)


def before_event(moment: datetime, event_start: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """An event reminder waits for the morning only if the morning still comes before the event."""
    later = after_quiet_hours(moment, zone, quiet)
    return later if later < event_start else moment


MORNING_MARGIN = timedelta(hours=1)
"""The "deadline morning" reminder is moved a day earlier when the deadline is this close."""


def local_morning_before(deadline: datetime, zone: ZoneInfo, at: str, margin: timedelta) -> datetime:
    """`at` o'clock on the deadline's local day, or the day before if that is too close."""
    local = deadline.astimezone(zone)
    morning = datetime.combine(local.date(), _clock(at), tzinfo=zone)
    if morning > deadline - margin:
        morning -= timedelta(days=1)
    return morning.astimezone(deadline.tzinfo)


def spoken(texts: Texts, lang: str, moment: datetime, zone: ZoneInfo) -> str:
    """`вторник, 8 декабря, 17:00` in the reader's zone and language."""
    local = moment.astimezone(zone)
    months = texts.get(lang, "when.months").split(",")
    weekdays = texts.get(lang, "when.weekdays").split(",")
    return texts.get(
        lang, "when.format", weekday=weekdays[local.weekday()].strip(), day=local.day,
        month=months[local.month - 1].strip(), time=local.strftime("%H:%M"),
    )


def local(moment: datetime, timezone: str | None, fallback: str, lang: str) -> str:
    """`пн 08.12.2026, 17:00 (Москва (МСК))`."""
    zone = zone_of(timezone, fallback)
    at = moment.astimezone(zone)
    day = WEEKDAYS.get(lang, WEEKDAYS["en"])[at.weekday()]
    return f"{day} {at:%d.%m.%Y, %H:%M} ({zone_label(zone.key, lang)})"


def quiet_until(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime | None:
    """The end of the person's quiet hours if `moment` falls in them, else None.

    A stage that opens at 19:00 in Moscow is 02:00 in Vladivostok: its announcement
    waits for the intern's morning instead of waking them.
    """
    later = after_quiet_hours(moment, zone, quiet)
    return later if later != moment else None
