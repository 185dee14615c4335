"""A deadline written for whoever reads it, when it may be local (`local: true`).

A fixed deadline is one moment, shown in the reader's own zone like every time the bot
shows. A local one is a wall-clock time with a moment per time zone, so the words must
say whose clock it is: the intern reads it «по вашему времени»; a tutor or coordinator
reading about one intern reads that intern's time «по времени интерна» (and their own
equivalent when it differs, so they know when to expect the work); a coordinator looking
at the whole cohort reads the wall-clock time «по времени каждого интерна».
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Texts
from bot.local_time import WEEKDAYS, local, spoken
from handlers.internship.timetable import intern_zone
from scenarios.models import Programme, Stage
from scenarios.timezones import zone_label


def for_intern(
    texts: Texts, lang: str, stage: Stage, moment: datetime, timezone: str | None, programme: Programme,
) -> str:
    """`пн 14.12.2026, 23:00 по вашему времени (Владивосток (МСК+7))` for a local deadline,
    the usual `пн 14.12.2026, 23:00 (Москва (МСК))` for a fixed one (menu, announcement)."""
    if not stage.deadline_local:
        return local(moment, timezone, programme.timezone, lang)
    zone = intern_zone(programme, timezone)
    at = moment.astimezone(zone)
    day = WEEKDAYS.get(lang, WEEKDAYS["en"])[at.weekday()]
    return texts.get(lang, "deadline.yours", when=f"{day} {at:%d.%m.%Y, %H:%M}",
                     zone=zone_label(zone.key, lang))


def about_intern(
    texts: Texts, lang: str, stage: Stage, moment: datetime, intern: ZoneInfo, reader: ZoneInfo,
) -> str:
    """A deadline of one intern for a tutor or coordinator: the reader's time for a fixed
    deadline; for a local one the intern's wall-clock time, whose it is, and the reader's
    own equivalent if their clock shows another time."""
    if not stage.deadline_local:
        return spoken(texts, lang, moment, reader)
    theirs, yours = spoken(texts, lang, moment, intern), spoken(texts, lang, moment, reader)
    return texts.get(lang, "deadline.interns", when=theirs, zone=zone_label(intern.key, lang),
                     yours=yours if yours != theirs else "")


def for_everyone(texts: Texts, lang: str, moment: datetime, programme: Programme) -> str:
    """A local deadline for the whole cohort (a coordinator's /move): the wall-clock time.

    `moment` is the deadline as written (its wall-clock time in the programme's zone)."""
    return texts.get(lang, "deadline.each_intern", when=spoken(texts, lang, moment, programme.zone))
