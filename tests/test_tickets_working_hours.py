"""Working time outside quiet hours, in a given zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.local_time import after_quiet_hours
from bot.working_hours import working_deadline
from scenarios.models import QuietHours

MSK = ZoneInfo("Europe/Moscow")
QUIET = QuietHours(start="22:00", end="08:00")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 9, day, hour, minute, tzinfo=UTC)


def test_daytime_hours_count_as_they_are() -> None:
    assert working_deadline(utc(1, 9), 4, MSK, QUIET) == utc(1, 13)


def test_evening_question_continues_after_the_night() -> None:
    # 20:00 Moscow: 2 h until 22:00, the remaining 2 h from 08:00 -> 10:00 Moscow
    assert working_deadline(utc(1, 17), 4, MSK, QUIET) == utc(2, 7)


def test_night_question_starts_counting_in_the_morning() -> None:
    assert working_deadline(utc(1, 23), 4, MSK, QUIET) == utc(2, 9)  # 02:00 -> 12:00 Moscow


def test_long_spans_cover_several_days() -> None:
    # 14 working hours a day: 30 hours from 08:00 Moscow on day 1 -> day 3, 10:00 Moscow
    assert working_deadline(utc(1, 5), 30, MSK, QUIET) == utc(3, 7)


def test_quiet_hours_within_one_day_and_none() -> None:
    lunch = QuietHours(start="13:00", end="14:00")
    assert working_deadline(utc(1, 9), 2, MSK, lunch) == utc(1, 12)  # 12:00 -> 15:00 Moscow
    assert working_deadline(utc(1, 9), 2, MSK, QuietHours(start="00:00", end="00:00")) == utc(1, 11)


def test_next_awake() -> None:
    assert after_quiet_hours(utc(1, 12), MSK, QUIET) == utc(1, 12)
    assert after_quiet_hours(utc(1, 20), MSK, QUIET) == utc(2, 5)  # 23:00 -> 08:00 Moscow
    assert after_quiet_hours(utc(2, 2), MSK, QUIET) == utc(2, 5)  # 05:00 -> 08:00 Moscow
