"""Per-person placeholders of a broadcast, rendered in a jinja2 sandbox.

A coordinator's text is untrusted template code: the sandbox keeps it from reaching
Python internals, StrictUndefined turns a typo into an error instead of an empty
gap, and the unknown names are found before anything is sent.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, Template, TemplateAssertionError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from bot.people import names
from handlers.internship import timetable
from scenarios.models import Programme, pick
from storage import stages
from storage.connection import Connection
from storage.db import fetchall

KNOWN = (
    "name", "team", "tutor", "next_deadline", "next_stage", "next_event", "event_time",
    "event_link", "programme",
)
TIME_FORMAT = "%d.%m.%Y %H:%M"
EMPTY = "—"
"""What a placeholder shows when the person has no such thing (no team, no tutor...)."""
MAX_RENDERED = 4000
"""Telegram takes 4,096 characters per message; a loop in a template must not exceed it."""

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class PlaceholderError(ValueError):
    """The template cannot be used. `key` names the explanation in the coordinator's own
    words (`bc.tpl.<key>` in the locales) and `params` fill it: jinja2's own message is
    written for programmers and never shown."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


_PAIRS = (("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_FILTER = re.compile(r"No filter named '([^']+)'")
_TAG = re.compile(r"unknown tag '([^']+)'")
_BLOCK = re.compile(r"block that needs to be closed is '([^']+)'")


def _fragment(text: str, limit: int = 24) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[:limit].rstrip() + "…"


def _unclosed(body: str) -> PlaceholderError | None:
    """A `{{` (or `{%`, `{#`) with no closing pair before the next opening or the end."""
    for opening, closing in _PAIRS:
        start = body.find(opening)
        while start != -1:
            after = start + len(opening)
            end, following = body.find(closing, after), body.find(opening, after)
            if end == -1 or (following != -1 and following < end):
                return PlaceholderError(
                    "unclosed", opening=opening, closing=closing,
                    line=body.count("\n", 0, start) + 1,
                    fragment=opening + _fragment(body[after:]),
                )
            start = body.find(opening, end + len(closing))
    return None


def _explain(body: str, exc: TemplateSyntaxError) -> PlaceholderError:
    line = exc.lineno or 1
    if isinstance(exc, TemplateAssertionError) and (found := _FILTER.search(exc.message or "")):
        return PlaceholderError("filter", filter=found.group(1), line=line)
    if (unclosed := _unclosed(body)) is not None:
        return unclosed
    message = exc.message or ""
    if (found := _TAG.search(message)) is not None:
        return PlaceholderError("tag", tag=found.group(1), line=line)
    if (found := _BLOCK.search(message)) is not None:
        return PlaceholderError("block", tag=found.group(1), line=line)
    if re.search(r"\{\{\s*\}\}", body):
        return PlaceholderError("empty", line=line)
    lines = body.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return PlaceholderError("syntax", line=line, fragment=_fragment(shown, 60))


def unknown_names(body: str) -> list[str]:
    """Names used in the text that no recipient has; raises on a syntax error."""
    return sorted(used_names(body) - set(KNOWN))


def used_names(body: str) -> set[str]:
    """The placeholders a text uses; PlaceholderError (explained) when it does not parse."""
    try:
        return set(meta.find_undeclared_variables(_env.parse(body)))
    except TemplateSyntaxError as exc:
        raise _explain(body, exc) from exc


def suggestion(name: str) -> str:
    """The known placeholder a typo most likely meant (`tutr` -> `tutor`), or ''."""
    close = difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.6)
    return close[0] if close else ""


def check(body: str) -> None:
    """Everything that can be found before an audience is chosen: the syntax, unknown
    names, and a dry run on sample values (a dotted name, a call, a division by zero)."""
    unknown = unknown_names(body)
    if unknown:
        raise PlaceholderError(
            "unknown", names=", ".join("{{ " + n + " }}" for n in unknown), many=len(unknown) > 1,
            hint=suggestion(unknown[0]), known=", ".join(KNOWN),
        )
    render(body, {name: "x" for name in KNOWN})


@functools.lru_cache(maxsize=32)
def _compiled(body: str) -> Template:
    """One compilation per text, not per recipient: a broadcast renders it thousands of times."""
    return _env.from_string(body)


def render(body: str, values: dict[str, Any]) -> str:
    try:
        return _compiled(body).render(**values).strip()[:MAX_RENDERED]
    except TemplateSyntaxError as exc:
        raise _explain(body, exc) from exc
    except Exception as exc:  # untrusted template code: any failure is the text's, not ours
        raise PlaceholderError("render") from exc


def empty_names(values: dict[str, str], used: set[str]) -> list[str]:
    """The placeholders of `used` that would show the empty mark for this person."""
    return [n for n in KNOWN if n in used and values.get(n) == EMPTY]


@dataclass(frozen=True, slots=True)
class Plan:
    """Effective deadlines and event starts, read once per broadcast, not per person."""

    deadlines: list[tuple[datetime, str]]
    events: list[tuple[datetime, str]]


async def plan(conn: Connection, programme: Programme) -> Plan:
    deadlines = []
    for stage in programme.stages[1:]:
        moment = await timetable.stage_deadline(conn, programme, stage.id)
        if moment is not None:
            deadlines.append((moment, stage.id))
    events = [(await timetable.event_start(conn, programme, e.id), e.id) for e in programme.events]
    return Plan(sorted(deadlines), sorted(events))


async def values_for(
    conn: Connection, programme: Programme, when: Plan, person_id: int, now: datetime,
    lang: str,
) -> dict[str, str]:
    """What each placeholder means for one person, times in their own time zone."""
    values, _ = (await values_for_many(conn, programme, when, [person_id], now, lang))[person_id]
    return values


CHUNK = 500
"""Persons read per query: SQLite's limit on bound parameters is far above it."""


async def values_for_many(
    conn: Connection, programme: Programme, when: Plan, person_ids: list[int], now: datetime,
    default_lang: str,
) -> dict[int, tuple[dict[str, str], str]]:
    """Every person's values and language, read with a few queries per 500 people.

    WHY in bulk: a preview of a broadcast to 10,000 people renders for each of them while
    the update holds the database; six queries a person made that a second's stall for
    every other chat, the outbox and the scheduler.
    """
    found: dict[int, tuple[dict[str, str], str]] = {}
    event = next(((m, e) for m, e in when.events if m > now), None)
    link = programme.event(event[1]).link if event else ""
    for start in range(0, len(person_ids), CHUNK):
        chunk = list(dict.fromkeys(person_ids[start:start + CHUNK]))
        marks = ",".join("?" * len(chunk))
        people = {r["id"]: r for r in await fetchall(
            conn, f"SELECT id, timezone, locale FROM persons WHERE id IN ({marks})", chunk)}
        team_rows = await fetchall(
            conn, "SELECT m.person_id, t.name, t.tutor_id FROM team_members m"
            f" JOIN teams t ON t.id = m.team_id WHERE m.person_id IN ({marks})", chunk)
        team_of = {r["person_id"]: (r["name"], r["tutor_id"]) for r in team_rows}
        done: dict[int, dict[str, str]] = {}
        for r in await fetchall(
            conn, f"SELECT person_id, stage_id, status FROM stage_status WHERE person_id IN ({marks})", chunk
        ):
            done.setdefault(r["person_id"], {})[r["stage_id"]] = r["status"]
        tutors = {tutor for _, tutor in team_of.values() if tutor}
        named = await names(conn, set(chunk) | tutors)
        for pid in chunk:
            if pid not in people:
                raise KeyError(pid)
            row = people[pid]
            lang = row["locale"] or default_lang
            zone = ZoneInfo(row["timezone"] or programme.timezone)
            mine = sorted((timetable.personal(programme, s, m, zone), s) for m, s in when.deadlines)
            statuses = done.get(pid, {})
            deadline = next(
                ((m, s) for m, s in mine if m > now and statuses.get(s) not in stages.FINISHED), None
            )
            team = team_of.get(pid)
            found[pid] = ({
                "name": named[pid],
                "team": team[0] if team else EMPTY,
                "tutor": named[team[1]] if team and team[1] else EMPTY,
                "next_deadline": deadline[0].astimezone(zone).strftime(TIME_FORMAT) if deadline else EMPTY,
                "next_stage": pick(programme.stage(deadline[1]).title, lang) if deadline else EMPTY,
                "next_event": pick(programme.event(event[1]).title, lang) if event else EMPTY,
                "event_time": event[0].astimezone(zone).strftime(TIME_FORMAT) if event else EMPTY,
                "event_link": link or EMPTY,
                "programme": pick(programme.title, lang),
            }, lang)
    return found
