"""The diagnostic in the chat: the entry sitting sets an intern's level and route, the exit
sitting (at the final stage) shows how far they came.

It is a form of the engine like any other (resumable, back and edit, its options as
buttons, bad input answered); only the ending is its own: the score becomes a level,
and the intern reads which level and what it means. The entry sitting is taken once (a
coordinator changes a level, never a retake); the exit one likewise.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.services import Services
from handlers.internship import menu, route
from scenarios.diagnostic import END, START, Diagnostic
from scenarios.models import pick
from storage import levels
from storage.forms import FormProgress

INTERN = {"intern"}
WHICH = {"start": START, "end": END}


def register(s: Services) -> None:
    if s.programme.diagnostic is None:
        return
    s.router.command("diagnostic", command, INTERN)
    s.router.payload("dg", on_button, INTERN)
    s.forms.on_submit[START] = submitted_start
    s.forms.on_submit[END] = submitted_end


def _diagnostic(ctx: Ctx) -> Diagnostic:
    diagnostic = ctx.services.programme.diagnostic
    assert diagnostic is not None
    return diagnostic


async def command(ctx: Ctx) -> None:
    """/diagnostic: the sitting that waits, else what the sittings said."""
    which = await route.pending_sitting(ctx.conn, ctx.services.programme, ctx.person.id)
    if which is not None:
        await ctx.services.forms.start(ctx, which)
        return
    await show_result(ctx)


async def on_button(ctx: Ctx) -> None:
    """`dg|go|start` / `dg|go|end`: take a sitting (once, and only when it is due)."""
    if len(ctx.args) != 2 or ctx.args[0] != "go" or ctx.args[1] not in WHICH:
        await ctx.services.core.stale(ctx)
        return
    which = WHICH[ctx.args[1]]
    pending = await route.pending_sitting(ctx.conn, ctx.services.programme, ctx.person.id)
    if pending == which:
        await ctx.services.forms.start(ctx, which)
        return
    row = await levels.get(ctx.conn, ctx.person.id)
    taken = row is not None and (row.start_level if which == START else row.end_level) is not None
    key = "levels.already_taken" if taken else "levels.not_yet"
    await ctx.reply(ctx.t(key, title=pick(_diagnostic(ctx).title, ctx.lang)),
                    menu.rows(ctx.services.texts, ctx.lang))


async def show_result(ctx: Ctx) -> None:
    diagnostic = _diagnostic(ctx)
    row = await levels.get(ctx.conn, ctx.person.id)
    if row is None or row.level is None:
        await ctx.reply(ctx.t("levels.none_yet", title=pick(diagnostic.title, ctx.lang)),
                        menu.rows(ctx.services.texts, ctx.lang))
        return
    level = diagnostic.level(row.level)
    lines = [ctx.t("levels.yours", level=pick(level.name, ctx.lang) if level else row.level)]
    if level is not None:
        lines.append(pick(level.description, ctx.lang))
    end = diagnostic.level(row.end_level)
    if end is not None:
        lines.append(ctx.t("levels.yours_end", level=pick(end.name, ctx.lang)))
    await ctx.reply("\n\n".join(lines), menu.rows(ctx.services.texts, ctx.lang))


async def submitted_start(ctx: Ctx, progress: FormProgress) -> None:
    diagnostic = _diagnostic(ctx)
    score = diagnostic.score(START, progress.answers)
    level = diagnostic.level_for(score)
    await levels.record_start(ctx.conn, ctx.person.id, level.id, score, ctx.now)
    _, most = diagnostic.score_range(START)
    lines = [ctx.t("levels.result", level=pick(level.name, ctx.lang), score=score, most=most),
             pick(level.description, ctx.lang), ctx.t("levels.route_note")]
    await ctx.reply("\n\n".join(lines), menu.rows(ctx.services.texts, ctx.lang))


async def submitted_end(ctx: Ctx, progress: FormProgress) -> None:
    diagnostic = _diagnostic(ctx)
    score = diagnostic.score(END, progress.answers)
    level = diagnostic.level_for(score)
    await levels.record_end(ctx.conn, ctx.person.id, level.id, score, ctx.now)
    row = await levels.get(ctx.conn, ctx.person.id)
    start = diagnostic.level(row.start_level if row else None)
    _, most = diagnostic.score_range(END)
    lines = [ctx.t("levels.result_end", level=pick(level.name, ctx.lang), score=score, most=most)]
    if start is not None and row is not None:
        was, now = diagnostic.rank(start.id), diagnostic.rank(level.id)
        trend = "up" if (now or 0) > (was or 0) else ("same" if now == was else "down")
        lines.append(ctx.t(f"levels.change_{trend}", start=pick(start.name, ctx.lang),
                           end=pick(level.name, ctx.lang), start_score=row.start_score, score=score))
    lines.append(pick(level.description, ctx.lang))
    await ctx.reply("\n\n".join(lines), menu.rows(ctx.services.texts, ctx.lang))

