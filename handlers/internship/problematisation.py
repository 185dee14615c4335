"""After the first event: the intern's answers on problems and deficits go to the team's tutor.

Registered for form-bearing stages of kind 'event', so a programme can add such a
questionnaire after any event without code.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Reply
from bot.services import Services
from handlers.internship import completion_notice, menu
from scenarios.engine import shown
from scenarios.models import pick
from storage import persons, teams
from storage.forms import FormProgress


def register(s: Services) -> None:
    s.forms.on_submit["event"] = submitted


async def submitted(ctx: Ctx, progress: FormProgress) -> None:
    stage = ctx.services.programme.stage(progress.form_id)
    form = ctx.services.programme.form(progress.form_id)
    texts = ctx.services.texts
    team = await teams.team_of(ctx.conn, ctx.person.id)
    name = ctx.person.full_name or ctx.account.display_name or "—"

    def card(lang: str) -> Reply:
        lines = [texts.get(lang, "prob.card", title=pick(stage.title, lang), name=name,
                           team=team.name if team else "—")]
        for q in form.questions:
            lines.append(f"• {pick(q.prompt, lang)}\n{shown(texts, lang, q, progress.answers.get(q.id))}")
        return Reply("\n\n".join(lines))

    readers = [team.tutor_id] if team and team.tutor_id else await persons.persons_with_role(
        ctx.conn, "coordinator")
    for reader in readers:
        await ctx.notify(reader, f"form:{progress.form_id}:{ctx.person.id}:{reader}", card)
    await ctx.reply(ctx.t("prob.sent", title=pick(stage.title, ctx.lang)),
                    menu.rows(texts, ctx.lang))
    await completion_notice.after_change(ctx.conn, ctx.services, ctx.person.id, ctx.now, ctx.written)
