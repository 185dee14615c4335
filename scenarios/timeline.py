"""The programme's timeline in order: what `check-program` prints for a coordinator.

Reminders are shown when an intern in the programme's time zone gets them: the same
rules as handlers/internship/reminders.py plans (quiet hours move a reminder to the morning, the
application itself has no reminders, a deadline also has its morning and its overdue
check), so the printout never promises a message the bot will not send.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.local_time import MORNING_MARGIN, after_quiet_hours, before_event, local_morning_before
from scenarios.models import Programme, Stage, pick
from scenarios.timespec import parse_duration

WEEKDAYS = {"ru": ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
LABELS = {
    "ru": {"start": "начало программы", "event": "встреча", "opens": "открывается этап",
           "deadline": "срок этапа", "reminder": "напоминание", "before": "до",
           "questions": "вопросов", "prompts": "вопросов-подсказок", "materials": "материалов",
           "team": "работа команды", "person": "работа каждого", "minutes": "мин",
           "by_coordinator": "открывает координатор (/openstage)",
           "completion": "условия сертификата", "morning": "утро дня срока", "signal": "сигнал",
           "silence": "если интерн молчит", "silent_tutor": "тьютору, если интерн молчит",
           "overdue": "тьютору и интерну, если срок пропущен:",
           "local": "по времени каждого интерна",
           "local_note": "сроки «по времени каждого интерна» (local: true) наступают у каждого в его "
                         "часовом поясе; здесь они и их напоминания — для интерна в часовом поясе программы",
           "zone": "время — {zone}; тихие часы {start}–{end}: напоминания ждут утра "
                   "(у каждого интерна — в его часовом поясе)"},
    "en": {"start": "programme starts", "event": "event", "opens": "stage opens",
           "deadline": "stage deadline", "reminder": "reminder", "before": "before",
           "questions": "questions", "prompts": "prompting questions", "materials": "materials",
           "team": "team work", "person": "each intern's work", "minutes": "min",
           "by_coordinator": "opened by a coordinator (/openstage)",
           "completion": "certificate requires", "morning": "the morning of the deadline", "signal": "flag",
           "silence": "if the intern is silent for", "silent_tutor": "to the tutor if silent for",
           "overdue": "to the tutor and the intern if missed:",
           "local": "each intern's own time",
           "local_note": "deadlines in \"each intern's own time\" (local: true) come in each intern's time "
                         "zone; shown here, with their reminders, for an intern in the programme's zone",
           "zone": "times in {zone}; quiet hours {start}-{end}: reminders wait for the morning "
                   "(each intern's own time zone)"},
}


def timeline(programme: Programme, lang: str = "ru") -> list[tuple[datetime, str]]:
    """Every stage, event, deadline and reminder, in order; reminder lines are indented."""
    words = LABELS.get(lang, LABELS["en"])
    zone, quiet, rules = programme.zone, programme.quiet_hours, programme.reminders
    items: list[tuple[datetime, str]] = [(programme.start, words["start"])]

    def remind(at: datetime, what: str, title: str, kind: str = "reminder") -> None:
        items.append((at, f"  {words[kind]}: {what} «{title}»"))

    for event in programme.events:
        at = programme.moment(event.starts_at)
        title = pick(event.title, lang)
        items.append((at, f"{words['event']}: {title} ({event.duration_minutes} min) {event.link}"))
        for label in rules.before_event:
            offset = parse_duration(label)
            remind(before_event(at - offset, at, zone, quiet), f"{_dur(offset)} {words['before']}", title)
    for stage in programme.stages:
        title = pick(stage.title, lang)
        what = _contents(stage, words)
        opens = programme.moment(stage.opens_at) if stage.opens_at else None
        if opens is not None:
            line = f"{words['opens']}: {title} [{stage.id}]" + (f" — {what}" if what else "")
            items.append((opens, line))
        elif stage.kind != "application":
            items.append((programme.start, f"  {title} [{stage.id}]: {words['by_coordinator']}"))
        if not stage.deadline:
            continue
        deadline = programme.moment(stage.deadline)
        local = f" — {words['local']}" if stage.deadline_local else ""
        items.append((deadline, f"{words['deadline']}: {title} [{stage.id}]{local}"))
        if stage.kind == "application":
            continue  # applicants get no reminders: only interns do (handlers/internship/reminders.py)
        for label in rules.before_deadline:
            raw = deadline - parse_duration(label)
            due = after_quiet_hours(raw, zone, quiet)
            remind(due if due < deadline else raw, f"{_dur(parse_duration(label))} {words['before']}", title)
        if rules.deadline_morning:
            morning = local_morning_before(deadline, zone, rules.deadline_morning, MORNING_MARGIN)
            due = after_quiet_hours(morning, zone, quiet)
            remind(due if due < deadline else morning, words["morning"], title)
        if rules.overdue_after:
            remind(deadline + parse_duration(rules.overdue_after), words["overdue"], title, "signal")
        if rules.silence_after and opens is not None:
            nudge = after_quiet_hours(opens + parse_duration(rules.silence_after), zone, quiet)
            if nudge < deadline:
                remind(nudge, f"{words['silence']} {rules.silence_after}", title)
                told = opens + parse_duration(rules.silence_escalate_after or "0h")
                if rules.silence_escalate_after and told < deadline:  # later, the overdue flag speaks
                    remind(told, f"{words['silent_tutor']} {rules.silence_escalate_after}", title, "signal")
    return sorted(items, key=lambda item: item[0])


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
    words = LABELS.get(lang, LABELS["en"])
    quiet = programme.quiet_hours
    lines = [f"{pick(programme.title, lang)} — {programme.timezone}"]
    for at, text in timeline(programme, lang):
        local = at.astimezone(programme.zone)
        lines.append(f"{local:%Y-%m-%d} {days[local.weekday()]} {local:%H:%M}  {text}")
    lines.append(words["zone"].format(zone=programme.timezone, start=quiet.start, end=quiet.end))
    if any(stage.deadline_local for stage in programme.stages):
        lines.append(words["local_note"])
    if programme.completion:
        needed = ", ".join(pick(programme.stage(s).title, lang) for s in programme.completion)
        lines.append(f"{words['completion']}: {needed}")
    return "\n".join(lines)


def _dur(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 and hours >= 24 else f"{hours}h"
