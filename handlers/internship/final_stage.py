"""The final stage: the case of materials (sent with the announcement) and the certificate details.

The name and e-mail we already hold are shown for a one-tap confirmation; "change"
opens the stage's form (prefilled), which copies the answers back onto the person.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from handlers.internship import completion_notice, menu
from scenarios.models import Stage, pick
from storage import forms, openings, stages
from storage.forms import FormProgress

INTERN = {"intern"}


def register(s: Services) -> None:
    s.router.payload("fin", on_button, INTERN)
    s.forms.on_submit["final"] = submitted


def _prefilled(ctx: Ctx, stage: Stage) -> dict[str, str]:
    """The form's answers taken from the person (store_as names the field)."""
    assert stage.form is not None
    known = {"full_name": ctx.person.full_name, "email": ctx.person.email}
    return {q.id: known[q.store_as] for q in stage.form.questions
            if known.get(q.store_as)}


async def start(ctx: Ctx, stage: Stage) -> None:
    assert stage.form is not None
    answers = _prefilled(ctx, stage)
    if len(answers) < len(stage.form.questions):
        await ctx.services.forms.start(ctx, stage.id, restart=True)
        return
    status = await stages.status(ctx.conn, ctx.person.id, stage.id)
    lines = [ctx.t("final.check", name=ctx.person.full_name, email=ctx.person.email)]
    if status == "submitted":
        lines.insert(0, ctx.t("final.already_confirmed"))
    await ctx.reply("\n\n".join(lines), [
        [Button(ctx.t("final.correct"), f"fin|{stage.id}|ok")],
        [Button(ctx.t("final.change"), f"fin|{stage.id}|edit")],
    ])


async def on_button(ctx: Ctx) -> None:
    """`fin|<stage>|ok` confirms the details as they are; `fin|<stage>|edit` opens the form."""
    finals = {s.id: s for s in ctx.services.programme.stages if s.kind == "final" and s.form}
    if len(ctx.args) != 2 or ctx.args[0] not in finals or ctx.args[1] not in ("ok", "edit"):
        await ctx.services.core.stale(ctx)
        return
    stage = finals[ctx.args[0]]
    if stage.id not in await openings.opened(ctx.conn):
        await ctx.services.core.stale(ctx)
        return
    answers = _prefilled(ctx, stage)
    progress = FormProgress(ctx.person.id, stage.id, answers=dict(answers))
    if ctx.args[1] == "edit":
        await forms.save(ctx.conn, progress, ctx.now)
        await ctx.services.forms.start(ctx, stage.id)
        return
    assert stage.form is not None
    if len(answers) < len(stage.form.questions):
        await ctx.services.core.stale(ctx)
        return
    progress.status = "submitted"
    await forms.save(ctx.conn, progress, ctx.now)
    await stages.set_status(ctx.conn, ctx.person.id, stage.id, "submitted", ctx.now)
    await submitted(ctx, progress)


async def submitted(ctx: Ctx, progress: FormProgress) -> None:
    stage = ctx.services.programme.stage(progress.form_id)
    assert stage.form is not None
    by_field = {q.store_as: progress.answers.get(q.id) for q in stage.form.questions if q.store_as}
    await ctx.reply(
        ctx.t("final.recorded", title=pick(stage.title, ctx.lang),
              name=by_field.get("full_name") or "—", email=by_field.get("email") or "—"),
        menu.rows(ctx.services.texts, ctx.lang),
    )
    await completion_notice.after_change(ctx.conn, ctx.services, ctx.person.id, ctx.now, ctx.written)
