"""The programme's timeline in order: what `check-program` prints for a coordinator."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.local_time import MORNING_MARGIN, after_quiet_hours, local_morning_before
from scenarios.models import Programme, Stage, pick

WEEKDAYS = {"ru": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
LABELS = {
    "ru": {"start": "начало программы", "event": "встреча", "opens": "открывается этап",
           "deadline": "срок этапа", "reminder": "напоминание", "before": "до",
           "questions": "вопросов", "prompts": "вопросов-подсказок", "materials": "материалов",
           "team": "работа команды", "person": "работа каждого", "minutes": "мин",
           "by_coordinator": "открывает координатор (/openstage)",
           "completion": "условия сертификата", "morning": "утро дня срока",
           "quiet": "тихие часы — придёт в"},
    "en": {"start": "programme starts", "event": "event", "opens": "stage opens",
           "deadline": "stage deadline", "reminder": "reminder", "before": "before",
           "questions": "questions", "prompts": "prompting questions", "materials": "materials",
           "team": "team work", "person": "each intern's work", "minutes": "min",
           "by_coordinator": "opened by a coordinator (/openstage)",
           "completion": "certificate requires", "morning": "the morning of the deadline",
           "quiet": "quiet hours — sent at"},
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
        what = _contents(stage, words)
        if stage.opens_at:
            line = f"{words['opens']}: {title} [{stage.id}]" + (f" — {what}" if what else "")
            items.append((programme.moment(stage.opens_at), line))
        elif stage.kind != "application":
            items.append((programme.start, f"  {title} [{stage.id}]: {words['by_coordinator']}"))
        if stage.deadline:
            at = programme.moment(stage.deadline)
            items.append((at, f"{words['deadline']}: {title} [{stage.id}]"))
            for offset in programme.reminder_offsets("deadline"):
                note = f"  {words['reminder']}: {_dur(offset)} {words['before']} «{title}»"
                items.append((at - offset, note + _quiet_note(programme, at - offset, at, words)))
            morning_at = programme.reminders.deadline_morning
            if morning_at:
                morning = local_morning_before(at, programme.zone, morning_at, MORNING_MARGIN)
                note = f"  {words['reminder']}: {words['morning']} «{title}»"
                items.append((morning, note + _quiet_note(programme, morning, at, words)))
    return sorted(items, key=lambda item: item[0])


def _quiet_note(programme: Programme, moment: datetime, deadline: datetime,
                words: dict[str, str]) -> str:
    """Deadline reminders wait out the quiet hours (as bot.reminders plans them): say when
    one planned for the night really arrives, in the programme's zone."""
    sent = after_quiet_hours(moment, programme.zone, programme.quiet_hours)
    if sent == moment or sent >= deadline:
        return ""
    return f" ({words['quiet']} {sent.astimezone(programme.zone):%H:%M})"


def _contents(stage: Stage, words: dict[str, str]) -> str:
    """What an opening brings, so a coordinator sees the whole practice in the timeline."""
    parts = []
    if stage.form is not None and stage.kind != "application":
        parts.append(f"{words['questions']}: {len(stage.form.questions)}")
    if stage.submission is not None:
        sub = stage.submission
        part = f"{words[sub.per]} ({', '.join(sub.accepts)})"
        if sub.video is not None:
            part += f", {sub.video.min_minutes:g}–{sub.video.max_minutes:g} {words['minutes']}"
        parts.append(part)
    if stage.prompts:
        parts.append(f"{words['prompts']}: {len(stage.prompts)}")
    if stage.materials:
        parts.append(f"{words['materials']}: {len(stage.materials)}")
    return "; ".join(parts)


def render_timeline(programme: Programme, lang: str = "ru") -> str:
    days = WEEKDAYS.get(lang, WEEKDAYS["en"])
    lines = [f"{pick(programme.title, lang)} — {programme.timezone}"]
    for at, text in timeline(programme, lang):
        local = at.astimezone(programme.zone)
        lines.append(f"{local:%Y-%m-%d} {days[local.weekday()]} {local:%H:%M}  {text}")
    if programme.completion:
        words = LABELS.get(lang, LABELS["en"])
        needed = ", ".join(pick(programme.stage(s).title, lang) for s in programme.completion)
        lines.append(f"{words['completion']}: {needed}")
    return "\n".join(lines)


def _dur(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 and hours >= 24 else f"{hours}h"
