"""An event as an `.ics` calendar file, so an intern can add it to any calendar app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from scenarios.models import Event as ProgrammeEvent
from scenarios.models import Programme, pick


def event_ics(
    programme: Programme, event: ProgrammeEvent, start: datetime, lang: str, issued: datetime
) -> bytes:
    """One VEVENT in UTC with the conference link and a reminder an hour before.

    The UID stays the same for an event and SEQUENCE grows with the time the file is
    issued, so opening a newer file after a coordinator moved the event updates the entry
    already in the calendar instead of adding a second one or being ignored as older.
    """
    cal = Calendar()
    cal.add("prodid", "-//internship-bot//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    item = Event()
    start = start.astimezone(UTC)
    item.add("uid", f"{programme.id}-{event.id}@internship-bot")
    item.add("sequence", int(issued.timestamp()) // 60)
    item.add("summary", pick(event.title, lang))
    item.add("dtstart", start)
    item.add("dtend", start + timedelta(minutes=event.duration_minutes))
    item.add("dtstamp", issued.astimezone(UTC))
    description = pick(event.description, lang)
    if event.link:
        item.add("url", event.link)
        item.add("location", event.link)
        description = f"{description}\n{event.link}".strip()
    if description:
        item.add("description", description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", pick(event.title, lang))
    alarm.add("trigger", timedelta(hours=-1))
    item.add_component(alarm)
    cal.add_component(item)
    return cal.to_ical()
