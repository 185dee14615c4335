"""`/mydata` shows a person what the bot stores about them; `/forget` asks to erase it.

Erasure waits for a coordinator's confirmation (a certificate may still be due), is
raised once as an attention item, and on confirmation anonymises the person
(storage/erasure.py); exports and reports skip deleted people.
"""

from __future__ import annotations

import json

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.people import name
from bot.services import Services
from handlers.internship.menu import status_text
from handlers.tickets import staff
from scenarios.engine import shown
from scenarios.models import pick
from storage import applications, attention, erasure, persons, stages, teams
from storage.db import fetchall, fetchone

COORDINATOR = {"coordinator"}
KIND = "forget"


def register(s: Services) -> None:
    s.router.command("mydata", my_data)
    s.router.command("forget", forget)
    s.router.payload("fg", forget_button)
    s.router.payload("fgc", decide_button, COORDINATOR)


async def my_data(ctx: Ctx) -> None:
    p = ctx.person
    dash = "—"
    lines = [ctx.t("mydata.title"),
             ctx.t("mydata.person", name=p.full_name or dash, email=p.email or dash,
                   timezone=p.timezone or dash, locale=p.locale or dash)]
    for account in await persons.accounts_of(ctx.conn, p.id):
        lines.append(ctx.t("mydata.account", platform=account.platform,
                           shown=account.display_name or account.user_ref))
    if ctx.roles:
        held = ", ".join(ctx.t(f"invite.role.{r}") for r in sorted(ctx.roles))
        lines.append(ctx.t("mydata.roles", roles=held))
    team = await teams.team_of(ctx.conn, p.id)
    if team:
        lines.append(ctx.t("mydata.team", team=team.name))
    app = await applications.latest_for(ctx.conn, p.id)
    form = ctx.services.programme.application.form
    if app is not None and form is not None:
        lines.append(ctx.t("mydata.application", status=ctx.t(f"app.status.{app.status}")))
        for q in form.questions:
            if q.id in app.answers:
                label = pick(q.prompt, ctx.lang).split("?")[0].split(".")[0]
                lines.append(f"   • {label}: {shown(ctx.services.texts, ctx.lang, q, app.answers[q.id])}")
    programme = ctx.services.programme
    stage_ids = {s.id for s in programme.stages}
    for stage_id, status in sorted((await stages.statuses_of(ctx.conn, p.id)).items()):
        kind = programme.stage(stage_id).kind if stage_id in stage_ids else ""
        title = pick(programme.stage(stage_id).title, ctx.lang) if stage_id in stage_ids else stage_id
        # the chat's wording, which needs no agreement with the stage's title (/progress says the same)
        shown_status = status_text(ctx.services.texts, ctx.lang, kind, status)
        lines.append(ctx.t("mydata.stage", stage=title, status=shown_status))
    for row in await fetchall(ctx.conn, "SELECT form_id, answers FROM form_progress WHERE person_id = ?"
                              " ORDER BY started_at", (p.id,)):
        if row["form_id"] == programme.application.id:
            continue  # shown above with the application
        title = pick(programme.stage(row["form_id"]).title, ctx.lang) if row["form_id"] in stage_ids else (
            row["form_id"])
        lines.append(ctx.t("mydata.form", form=title, count=len(json.loads(row["answers"]))))
    sent = await fetchone(ctx.conn, "SELECT COUNT(*) AS n FROM outbox WHERE person_id = ?", (p.id,))
    lines.append(ctx.t("mydata.messages", count=sent["n"] if sent else 0))
    lines.append(ctx.t("mydata.forget_hint"))
    await ctx.reply("\n".join(lines))


async def forget(ctx: Ctx) -> None:
    await ctx.reply(ctx.t("mydata.forget_confirm"), [[
        Button(ctx.t("mydata.forget_yes"), "fg|ask"), Button(ctx.t("common.cancel"), "fg|keep"),
    ]])


async def forget_button(ctx: Ctx) -> None:
    if ctx.args == ["keep"]:
        await ctx.reply(ctx.t("mydata.kept"))
        return
    if ctx.args != ["ask"]:
        await ctx.services.core.stale(ctx)
        return
    who = await name(ctx.conn, ctx.person.id)
    if not await attention.raise_once(ctx.conn, ctx.person.id, KIND, "", "", ctx.now):
        await ctx.reply(ctx.t("mydata.already_asked"))
        return
    await ctx.reply(ctx.t("mydata.asked"))
    texts = ctx.services.texts
    pid = ctx.person.id

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, "mydata.coordinator_card", name=who, id=pid), [[
            Button(texts.get(lang, "mydata.erase"), f"fgc|{pid}|ok"),
            Button(texts.get(lang, "mydata.decline"), f"fgc|{pid}|no"),
        ]])

    for coordinator in await persons.persons_with_role(ctx.conn, "coordinator"):
        if coordinator != pid:
            await ctx.notify(coordinator, f"fg:{pid}:{coordinator}:{ctx.now.timestamp():.0f}", build)


async def decide_button(ctx: Ctx) -> None:
    """`fgc|<person>|ok` erases, `fgc|<person>|no` declines; only an open request."""
    if len(ctx.args) != 2 or not ctx.args[0].isdigit() or ctx.args[1] not in ("ok", "no"):
        await ctx.services.core.stale(ctx)
        return
    pid, action = int(ctx.args[0]), ctx.args[1]
    if not [i for i in await attention.open_items(ctx.conn, {pid}) if i.kind == KIND]:
        await ctx.reply(ctx.t("mydata.already_handled"))
        return
    if pid == ctx.person.id:
        await ctx.reply(ctx.t("mydata.not_own"))
        return
    who = await name(ctx.conn, pid)
    await attention.resolve(ctx.conn, pid, KIND, "", ctx.now)
    texts = ctx.services.texts
    stamp = f"{ctx.now.timestamp():.0f}"
    if action == "no":
        await ctx.notify(pid, f"fg:{pid}:declined:{stamp}",
                         lambda lang: Reply(texts.get(lang, "mydata.declined")))
        await ctx.reply(ctx.t("mydata.declined_ok", name=who))
        return
    goodbye = f"fg:{pid}:erased"
    await ctx.notify(pid, goodbye, lambda lang: Reply(texts.get(lang, "mydata.erased")))
    await erasure.erase(ctx.conn, pid, ctx.now, keep_outbox_key=goodbye)
    # a tutor's questions must not wait for someone who is gone (after the erasure, so the
    # coordinators' cards no longer name them)
    await staff.tutor_removed(ctx, pid)
    await ctx.reply(ctx.t("mydata.erased_ok", id=pid))
