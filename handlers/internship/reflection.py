"""The reflection survey: the form engine asks, this thanks the intern and counts completion.

Results are aggregated for the coordinators' reports by storage/survey.py `aggregate`.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.services import Services
from handlers.internship import completion_notice, menu
from scenarios.models import pick
from storage.forms import FormProgress


def register(s: Services) -> None:
    s.forms.on_submit["form"] = submitted


async def submitted(ctx: Ctx, progress: FormProgress) -> None:
    title = pick(ctx.services.programme.stage(progress.form_id).title, ctx.lang)
    await ctx.reply(ctx.t("reflection.thanks", title=title), menu.rows(ctx.services.texts, ctx.lang))
    await completion_notice.after_change(ctx.conn, ctx.services, ctx.person.id, ctx.now, ctx.written)
