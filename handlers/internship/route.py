"""One intern's route, read from their level: the stages on it, each in their level's words,
and whether a diagnostic sitting waits for them.

Every part of the internship that speaks to one intern (announcements, "what's next",
deadlines, reminders, starting a stage's work) asks here, so they follow the same route.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.services import Services
from scenarios.diagnostic import END, START
from scenarios.models import Programme, Stage, pick
from scenarios.routes import on_route, personal
from storage import forms, levels, stages
from storage.connection import Connection
from storage.forms import FormProgress

SITTING = {START: "start", END: "end"}
"""Button words of the two sittings (`dg|go|start`, `dg|go|end`)."""


async def level(conn: Connection, person_id: int) -> str | None:
    return await levels.level_of(conn, person_id)


async def stage_for(conn: Connection, programme: Programme, person_id: int,
                    stage: Stage) -> Stage | None:
    """The stage as this intern sees it, or None when it is not on their route."""
    mine = await level(conn, person_id)
    if not on_route(programme, stage, mine):
        return None
    return personal(programme, stage, mine)


async def my_stage(ctx: Ctx, stage_id: str) -> Stage:
    """The stage in the words and requirements of the intern's level (the stage itself
    when it is not on their route: the caller has already let them in)."""
    programme = ctx.services.programme
    stage = programme.stage(stage_id)
    return await stage_for(ctx.conn, programme, ctx.person.id, stage) or stage


async def my_route(ctx: Ctx, chosen: list[Stage]) -> list[Stage]:
    """The stages of `chosen` on this intern's route, in their level's words."""
    programme = ctx.services.programme
    mine = await level(ctx.conn, ctx.person.id)
    return [personal(programme, s, mine) for s in chosen if on_route(programme, s, mine)]


async def sitting_of(conn: Connection, person_id: int, which: str) -> FormProgress | None:
    return await forms.get(conn, person_id, which)


async def pending_sitting(conn: Connection, programme: Programme, person_id: int) -> str | None:
    """The sitting offered to this intern and not yet sent: the entry one once it is due
    (after approval, or with its stage), the exit one once its stage reached them."""
    diagnostic = programme.diagnostic
    if diagnostic is None:
        return None
    row = await levels.get(conn, person_id)
    statuses = await stages.statuses_of(conn, person_id)
    if diagnostic.again_at and statuses.get(diagnostic.again_at) and (row is None or row.end_level is None):
        return END
    due = diagnostic.at == "approval" or bool(statuses.get(diagnostic.at))
    if due and (row is None or row.start_level is None):
        return START
    return None


def offer_parts(services: Services, which: str, lang: str) -> tuple[str, Button]:
    """The words that offer a sitting and its button: the approval message carries them
    (one message, not two), a stage's announcement is followed by them."""
    texts, diagnostic = services.texts, services.programme.diagnostic
    assert diagnostic is not None
    lines = [texts.get(lang, f"levels.offer_{SITTING[which]}", title=pick(diagnostic.title, lang),
                       count=len(diagnostic.questions_of(which)))]
    if which == START and diagnostic.intro:
        lines.append(pick(diagnostic.intro, lang))
    return "\n\n".join(lines), Button(texts.get(lang, "levels.take"), f"dg|go|{SITTING[which]}")


def sitting_offer(services: Services, which: str) -> tuple[str, Callable[[str], Reply]]:
    """The message that offers a sitting on its own: a key suffix for the outbox and the builder."""

    def build(lang: str) -> Reply:
        text, button = offer_parts(services, which, lang)
        return Reply(text, [[button]])

    return f"diag:{SITTING[which]}", build


async def level_line(ctx: Ctx) -> str | None:
    """"Your level: …" (and where the exit sitting put them), for the intern's progress."""
    diagnostic = ctx.services.programme.diagnostic
    row = await levels.get(ctx.conn, ctx.person.id) if diagnostic else None
    if diagnostic is None or row is None or row.level is None:
        return None
    current = diagnostic.level(row.level)
    line = ctx.t("levels.yours", level=pick(current.name, ctx.lang) if current else row.level)
    end = diagnostic.level(row.end_level)
    if end is not None:
        line += "\n" + ctx.t("levels.yours_end", level=pick(end.name, ctx.lang))
    return line
