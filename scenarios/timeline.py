"""The programme's timeline in order: what `check-program` prints for a coordinator."""

from __future__ import annotations

from datetime import datetime, timedelta

from scenarios.models import Programme, pick

WEEKDAYS = {"ru": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
LABELS = {
    "ru": {"start": "начало программы", "event": "встреча", "opens": "открывается этап",
           "deadline": "срок этапа", "reminder": "напоминание", "before": "до"},
    "en": {"start": "programme starts", "event": "event", "opens": "stage opens",
           "deadline": "stage deadline", "reminder": "reminder", "before": "before"},
}


def timeline(programme: Programme, lang: str = "ru") -> list[tuple[datetime, str]]:
    words = LABELS.get(lang, LABELS["en"])
    items: list[tuple[datetime, str]] = [(programme.start, words["start"])]
    for event in programme.events:
        at = programme.moment(event.starts_at)
        title = pick(event.title, lang)
        items.append((at, f"{words['event']}: {title} ({event.duration_minutes} min) {event.link}"))
        for offset in programme.reminder_offsets("event"):
            items.append((at - offset, f"  {words['reminder']}: {_dur(offset)} {words['before']} «{title}»"))
    for stage in programme.stages:
        title = pick(stage.title, lang)
        if stage.opens_at:
            items.append((programme.moment(stage.opens_at), f"{words['opens']}: {title} [{stage.id}]"))
        if stage.deadline:
            at = programme.moment(stage.deadline)
            items.append((at, f"{words['deadline']}: {title} [{stage.id}]"))
            for offset in programme.reminder_offsets("deadline"):
                note = f"  {words['reminder']}: {_dur(offset)} {words['before']} «{title}»"
                items.append((at - offset, note))
    return sorted(items, key=lambda item: item[0])


def render_timeline(programme: Programme, lang: str = "ru") -> str:
    days = WEEKDAYS.get(lang, WEEKDAYS["en"])
    lines = [f"{pick(programme.title, lang)} — {programme.timezone}"]
    for at, text in timeline(programme, lang):
        local = at.astimezone(programme.zone)
        lines.append(f"{local:%Y-%m-%d} {days[local.weekday()]} {local:%H:%M}  {text}")
    return "\n".join(lines)


def _dur(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 and hours >= 24 else f"{hours}h"
