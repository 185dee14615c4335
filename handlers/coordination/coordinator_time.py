"""Moments written short for a coordinator, in the coordinator's own zone: `9 дек 01:00`,
and a spread of moments as one range: `9 дек 01:00–08:00`.

A reminder planned for interns in eleven time zones happens at eleven moments; a
coordinator wants one line that says from when to when, in their own time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Texts


def short(texts: Texts, lang: str, moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    months = [m.strip() for m in texts.get(lang, "coord.months_short").split(",")]
    return f"{local.day} {months[local.month - 1]} {local:%H:%M}"


def span(texts: Texts, lang: str, first: datetime, last: datetime, zone: ZoneInfo) -> str:
    """One moment, a range within a day (`9 дек 01:00–08:00`) or across days."""
    start, end = first.astimezone(zone), last.astimezone(zone)
    if (start.date(), start.hour, start.minute) == (end.date(), end.hour, end.minute):
        return short(texts, lang, first, zone)
    if start.date() == end.date():
        return f"{short(texts, lang, first, zone)}–{end:%H:%M}"
    return f"{short(texts, lang, first, zone)} – {short(texts, lang, last, zone)}"
