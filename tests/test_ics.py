"""The calendar file: the right moment in UTC, the link, a reminder, and an update after a move."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar, Component

from bot.settings import BUNDLED_PROGRAM
from handlers.internship.ics import event_ics
from scenarios.loader import parse_programme
from scenarios.models import pick


def _event(data: bytes) -> tuple[Calendar, Component]:
    cal = Calendar.from_ical(data)
    (item,) = cal.walk("VEVENT")
    return cal, item


def test_event_file_opens_back_with_time_link_and_alarm() -> None:
    programme = parse_programme(BUNDLED_PROGRAM.read_text(encoding="utf-8"))
    event = programme.events[0]
    start = programme.moment(event.starts_at)
    issued = start - timedelta(days=3)
    cal, item = _event(event_ics(programme, event, start, "ru", issued))
    assert cal["method"] == "PUBLISH"
    assert item.decoded("dtstart") == start.astimezone(UTC)
    assert item.decoded("dtend") - item.decoded("dtstart") == timedelta(minutes=event.duration_minutes)
    assert item.decoded("dtstamp") == issued.astimezone(UTC)
    assert str(item["summary"]) == pick(event.title, "ru")
    assert event.link and str(item["url"]) == event.link and event.link in str(item["description"])
    (alarm,) = item.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(hours=-1)


def test_a_moved_event_updates_the_same_calendar_entry() -> None:
    programme = parse_programme(BUNDLED_PROGRAM.read_text(encoding="utf-8"))
    event = programme.events[0]
    start = programme.moment(event.starts_at)
    _, first = _event(event_ics(programme, event, start, "ru", start - timedelta(days=3)))
    moved = start + timedelta(days=1)
    _, second = _event(event_ics(programme, event, moved, "ru", start - timedelta(days=2)))
    assert str(second["uid"]) == str(first["uid"])
    assert int(second["sequence"]) > int(first["sequence"])
    assert second.decoded("dtstart") == moved.astimezone(UTC)
