"""Per-person placeholders of a broadcast, rendered in a jinja2 sandbox.

A coordinator's text is untrusted template code: the sandbox keeps it from reaching
Python internals, StrictUndefined turns a typo into an error instead of an empty
gap, and the unknown names are found before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from bot.people import name
from handlers.internship import timetable
from scenarios.models import Programme, pick
from storage import persons, stages, teams

KNOWN = (
    "name", "team", "tutor", "next_deadline", "next_stage", "next_event", "event_time",
    "event_link", "programme",
)
TIME_FORMAT = "%d.%m.%Y %H:%M"
MAX_RENDERED = 4000
"""Telegram takes 4,096 characters per message; a loop in a template must not exceed it."""

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class PlaceholderError(ValueError):
    """The template cannot be used; the message is shown to the coordinator as is."""


def unknown_names(body: str) -> list[str]:
    """Names used in the text that no recipient has; raises on a syntax error."""
    try:
        used = meta.find_undeclared_variables(_env.parse(body))
    except TemplateSyntaxError as exc:
        raise PlaceholderError(f"{exc.message} (line {exc.lineno})") from exc
    return sorted(used - set(KNOWN))


def render(body: str, values: dict[str, Any]) -> str:
    try:
        return _env.from_string(body).render(**values).strip()[:MAX_RENDERED]
    except TemplateError as exc:
        raise PlaceholderError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Plan:
    """Effective deadlines and event starts, read once per broadcast, not per person."""

    deadlines: list[tuple[datetime, str]]
    events: list[tuple[datetime, str]]


async def plan(conn: aiosqlite.Connection, programme: Programme) -> Plan:
    deadlines = []
    for stage in programme.stages[1:]:
        moment = await timetable.stage_deadline(conn, programme, stage.id)
        if moment is not None:
            deadlines.append((moment, stage.id))
    events = [(await timetable.event_start(conn, programme, e.id), e.id) for e in programme.events]
    return Plan(sorted(deadlines), sorted(events))


async def values_for(
    conn: aiosqlite.Connection, programme: Programme, when: Plan, person_id: int, now: datetime,
    lang: str,
) -> dict[str, str]:
    """What each placeholder means for one person, times in their own time zone."""
    person = await persons.get_person(conn, person_id)
    zone = ZoneInfo(person.timezone or programme.timezone)
    team = await teams.team_of(conn, person_id)
    done = await stages.statuses_of(conn, person_id)
    deadline = next(
        ((m, s) for m, s in when.deadlines if m > now and done.get(s) not in stages.FINISHED), None
    )
    event = next(((m, e) for m, e in when.events if m > now), None)
    link = programme.event(event[1]).link if event else ""
    return {
        "name": await name(conn, person_id),
        "team": team.name if team else "—",
        "tutor": await name(conn, team.tutor_id) if team and team.tutor_id else "—",
        "next_deadline": deadline[0].astimezone(zone).strftime(TIME_FORMAT) if deadline else "—",
        "next_stage": pick(programme.stage(deadline[1]).title, lang) if deadline else "—",
        "next_event": pick(programme.event(event[1]).title, lang) if event else "—",
        "event_time": event[0].astimezone(zone).strftime(TIME_FORMAT) if event else "—",
        "event_link": link or "—",
        "programme": pick(programme.title, lang),
    }
