"""`go|<stage>`: the intern starts (or resumes) the work of an open stage.

Every announcement, reminder and "what's next" answer carries this one button, so
there is a single place that decides what starting a stage means for its kind.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.local_time import local
from bot.services import Services
from handlers.internship import final_stage, homework, menu, route, timetable, video
from scenarios.models import pick
from scenarios.stage_work import is_video, later_stages, needs_work
from storage import openings, stages
from storage.stages import FINISHED

INTERN = {"intern"}


def register(s: Services) -> None:
    s.router.payload("go", go, INTERN)


async def go(ctx: Ctx) -> None:
    programme = ctx.services.programme
    known = {s.id: s for s in await route.my_route(ctx, later_stages(programme)) if needs_work(s)}
    if len(ctx.args) != 1 or ctx.args[0] not in known:
        await ctx.services.core.stale(ctx)
        return
    stage = known[ctx.args[0]]
    title = pick(stage.title, ctx.lang)
    if stage.id not in await openings.opened(ctx.conn):
        opens = await timetable.stage_opens(ctx.conn, programme, stage.id)
        when = local(opens, ctx.person.timezone, programme.timezone, ctx.lang) if opens else "—"
        await ctx.reply(ctx.t("stage.not_open_yet", title=title, when=when),
                        menu.rows(ctx.services.texts, ctx.lang))
        return
    if stage.kind == "final":
        await final_stage.start(ctx, stage)
    elif stage.submission is not None:
        await (video.start if is_video(stage) else homework.start)(ctx, stage)
    else:
        status = await stages.status(ctx.conn, ctx.person.id, stage.id)
        assert stage.form is not None
        if status in FINISHED and not stage.form.editable_after_submit:
            await ctx.reply(ctx.t("stage.form_already_sent", title=title),
                            menu.rows(ctx.services.texts, ctx.lang))
            return
        await ctx.services.forms.start(ctx, stage.id)
