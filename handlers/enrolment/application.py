"""Enrolment: the application form, its submission, and the coordinators' decision.

/start leads a newcomer into the application; a submitted form becomes a pending
application that every coordinator is told about with approve/reject buttons (at once,
or in a digest: `digest.py`); /applications is `applications_list.py`.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button, Reply
from bot.router import described_commands, dialog_allowed
from bot.services import Services
from handlers.enrolment import digest
from handlers.internship import menu, route
from scenarios.engine import REVIEW
from scenarios.models import pick
from storage import applications, dialogs, forms, persons, stages, teams, tickets
from storage.dialogs import Dialog
from storage.forms import FormProgress

COORDINATOR = {"coordinator"}
REASON_DIALOG = "reject_reason"
FIX_DIALOG = "fix_reason"
LISTED = 20
"""What the bulk buttons of the old /applications list (`apb|...`, still in chats) act on."""


def register(s: Services) -> None:
    r = s.router
    r.command("start", start)
    r.command("help", help_)
    r.command("back", back)
    r.payload("app", decide_button, COORDINATOR)
    r.payload("apb", bulk_button, COORDINATOR)
    r.payload("apply", apply_button)
    r.payload("appfix", fix_button)
    r.dialog(REASON_DIALOG, reason_dialog)
    r.dialog(FIX_DIALOG, fix_dialog)
    s.forms.on_submit["application"] = submitted


def app_stage(ctx: Ctx) -> str:
    return ctx.services.programme.application.id


async def start(ctx: Ctx) -> None:
    if ctx.args:
        code = ctx.args[0]
        for prefix, handler in ctx.services.router.deep_links.items():
            if code.startswith(prefix):
                await handler(ctx)
                return
    programme = ctx.services.programme
    if ctx.has_role("coordinator") or ctx.has_role("tutor"):
        await help_(ctx)
        return
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    if dialog is not None and dialog.kind == "form":
        await ctx.reply(ctx.t("app.resume"))
        await ctx.services.forms.prompt(ctx, dialog.ref)
        return
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    if latest is not None and latest.status in ("pending", "approved"):
        await already_applied(ctx, latest.status)
        return
    intro = [ctx.t("app.welcome", title=pick(programme.title, ctx.lang))]
    if programme.invitation:
        intro.append(pick(programme.invitation, ctx.lang))
    if programme.application.announcement:
        intro.append(pick(programme.application.announcement, ctx.lang))
    await ctx.reply("\n\n".join(intro))
    await ctx.services.forms.start(ctx, app_stage(ctx))


async def apply_button(ctx: Ctx) -> None:
    """"Apply again" after a rejection."""
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    if latest is not None and latest.status in ("pending", "approved"):
        await already_applied(ctx, latest.status)
        return
    await ctx.services.forms.start(ctx, app_stage(ctx), restart=True)


async def already_applied(ctx: Ctx, status: str) -> None:
    """No second application; an approved intern is shown what to do now instead
    ("/start — start or continue": they continue)."""
    await ctx.reply(ctx.t(f"app.duplicate_{status}"))
    if status == "approved" and ctx.has_role("intern"):
        await menu.whats_next(ctx)
        await menu.show_keyboard(ctx)  # /start is where a lost keyboard is looked for


async def back(ctx: Ctx) -> None:
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    if dialog is None or dialog.kind != "form":
        await ctx.reply(ctx.t("app.nothing_to_go_back"))
        return
    await ctx.services.forms.back(ctx, dialog.ref)


async def help_(ctx: Ctx) -> None:
    """Always say where the person is and what to do next."""
    programme = ctx.services.programme
    lines = [ctx.t("help.intro", title=pick(programme.title, ctx.lang))]
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    in_form = dialog is not None and dialog.kind == "form"
    if dialog is not None and in_form:
        progress = await forms.get(ctx.conn, ctx.person.id, dialog.ref)
        total = len(programme.form(dialog.ref).questions)
        step = (progress.step if progress else 0) + 1
        key = "help.where_review" if progress is not None and progress.status == REVIEW else "help.where_form"
        lines.append(
            ctx.t(key, form=ctx.services.forms.title(ctx, dialog.ref), step=min(step, total), total=total)
        )
    elif ctx.has_role("coordinator"):
        count = await applications.count_pending(ctx.conn)
        lines.append(ctx.t("help.where_coordinator", pending=count))
    elif ctx.has_role("tutor"):
        names = ", ".join(t.name for t in await teams.teams_of_tutor(ctx.conn, ctx.person.id))
        open_tickets = len(await tickets.of_tutor(ctx.conn, ctx.person.id))
        lines.append(ctx.t("help.where_tutor", teams=names or "—", tickets=open_tickets))
    elif latest is None:
        lines.append(ctx.t("help.where_new"))
    else:
        lines.append(ctx.t(f"help.where_{latest.status}"))
    texts = ctx.services.texts
    names = described_commands(ctx.services.router, lambda key: texts.has(key, ctx.lang), ctx.roles)
    if names:
        listed = "\n".join(f"/{name} — {ctx.t(f'commands.{name}')}" for name in names)
        lines.append(ctx.t("help.commands", commands=listed))
    await ctx.reply("\n\n".join(lines))
    if dialog is not None and in_form:
        # The question itself comes last: it is what to do next, and its buttons are
        # the ones at hand (the console presses the newest message's buttons).
        await ctx.services.forms.prompt(ctx, dialog.ref)


async def submitted(ctx: Ctx, progress: FormProgress) -> None:
    """The application form was sent: record it and tell every coordinator."""
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    if latest is not None and latest.status in ("pending", "approved"):
        await ctx.reply(ctx.t(f"app.duplicate_{latest.status}"))
        return
    app_id = await applications.create(ctx.conn, ctx.person.id, progress.answers, ctx.now)
    await ctx.reply(ctx.t("app.submitted"))
    await digest.announce(ctx, app_id)


async def _listed(ctx: Ctx, last: int) -> list[int]:
    """The pending applications the coordinator saw: listed first, up to the last id shown."""
    return [a.id for a in await applications.pending(ctx.conn, LISTED) if a.id <= last]


async def bulk_button(ctx: Ctx) -> None:
    """The old list's `apb|ok|<last>` approves all listed; `apb|no|<last>` asks one reason for
    all of them. Kept for those buttons still in coordinators' chats; /applications now ticks."""
    if len(ctx.args) != 2 or ctx.args[0] not in ("ok", "no", "noreason") or not ctx.args[1].isdigit():
        await ctx.services.core.stale(ctx)
        return
    action, last = ctx.args[0], int(ctx.args[1])
    ids = await _listed(ctx, last)
    if not ids:
        await ctx.reply(ctx.t("app.none_pending"))
        return
    if action == "ok":
        done = [app_id for app_id in ids if await approve(ctx, app_id, quiet=True)]
        await ctx.reply(ctx.t("app.bulk_approved", count=len(done)))
    elif action == "no":
        await dialogs.put(ctx.conn, ctx.person.id, Dialog(REASON_DIALOG, f"bulk:{last}"), ctx.now)
        await ctx.reply(ctx.t("app.ask_reason_bulk", count=len(ids)),
                        [[Button(ctx.t("app.no_reason"), f"apb|noreason|{last}")]])
    else:
        await dialogs.clear(ctx.conn, ctx.person.id)
        done = [app_id for app_id in ids if await reject(ctx, app_id, None, quiet=True)]
        await ctx.reply(ctx.t("app.bulk_rejected", count=len(done)))


async def decide_button(ctx: Ctx) -> None:
    """`app|<id>|ok` approves; `app|<id>|no` asks for an optional reason, then rejects."""
    if len(ctx.args) != 2 or not ctx.args[0].isdigit():
        await ctx.services.core.stale(ctx)
        return
    app_id, action = int(ctx.args[0]), ctx.args[1]
    app = await applications.get(ctx.conn, app_id)
    if app is None:
        await ctx.services.core.stale(ctx)
        return
    if app.status != "pending" and action in ("ok", "no", "noreason"):
        await ctx.reply(ctx.t("app.already_decided", id=app_id, status=ctx.t(f"app.status.{app.status}")))
        return
    if action == "ok":
        await approve(ctx, app_id)
    elif action == "no":
        await dialogs.put(ctx.conn, ctx.person.id, Dialog(REASON_DIALOG, str(app_id)), ctx.now)
        await ctx.reply(
            ctx.t("app.ask_reason", id=app_id),
            [[Button(ctx.t("app.no_reason"), f"app|{app_id}|noreason")]],
        )
    elif action == "noreason":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await reject(ctx, app_id, None)
    elif action == "fix" and app.status != "withdrawn":
        await dialogs.put(ctx.conn, ctx.person.id, Dialog(FIX_DIALOG, str(app_id)), ctx.now)
        await ctx.reply(ctx.t("app.ask_fix", id=app_id))
    elif action == "fix":
        await ctx.reply(ctx.t("app.already_decided", id=app_id, status=ctx.t(f"app.status.{app.status}")))
    else:
        await ctx.services.core.stale(ctx)


async def reason_dialog(ctx: Ctx, dialog: Dialog) -> None:
    if not await dialog_allowed(ctx, COORDINATOR):
        return
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.incoming.file is not None:
        await ctx.reply(ctx.t("app.reason_text_only"))
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    if dialog.ref.startswith("bulk:"):
        listed = await _listed(ctx, int(dialog.ref[5:]))
        done = [app_id for app_id in listed if await reject(ctx, app_id, text[:1000], quiet=True)]
        await ctx.reply(ctx.t("app.bulk_rejected", count=len(done)))
        return
    await reject(ctx, int(dialog.ref), text[:1000])


async def fix_dialog(ctx: Ctx, dialog: Dialog) -> None:
    """The coordinator's note on what to correct; the application goes back to its author."""
    if not await dialog_allowed(ctx, COORDINATOR):
        return
    text = (ctx.incoming.text or "").strip()
    if not text or ctx.incoming.file is not None:
        await ctx.reply(ctx.t("app.fix_text_only"))
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    await return_for_fix(ctx, int(dialog.ref), text[:1000])


async def return_for_fix(ctx: Ctx, app_id: int, text: str, *, quiet: bool = False) -> bool:
    """Hand the application back to its author with the coordinator's note (the chat's
    «return for correction» and the panel's bulk return share it)."""
    if not await applications.reopen(ctx.conn, app_id, ctx.person.id, ctx.now, text):
        if not quiet:
            await ctx.reply(ctx.t("app.already_decided_plain", id=app_id))
        return False
    app = await applications.get(ctx.conn, app_id)
    assert app is not None
    stage = app_stage(ctx)
    await stages.set_status(ctx.conn, app.person_id, stage, "returned", ctx.now)
    form = ctx.services.programme.application.form
    assert form is not None
    await forms.save(ctx.conn, FormProgress(app.person_id, stage, REVIEW, len(form.questions) - 1,
                                            dict(app.answers)), ctx.now)
    if not quiet:
        await ctx.reply(ctx.t("app.fix_sent", id=app_id))
    texts = ctx.services.texts

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, "app.fix_request", note=text),
                     [[Button(texts.get(lang, "app.fix_open"), "appfix")]])

    await ctx.notify(app.person_id, f"app:{app_id}:fix", build)
    return True


async def fix_button(ctx: Ctx) -> None:
    """The intern opens their returned application at the summary, answers kept."""
    latest = await applications.latest_for(ctx.conn, ctx.person.id)
    progress = await forms.get(ctx.conn, ctx.person.id, app_stage(ctx))
    if latest is None or latest.status != "withdrawn" or progress is None or progress.status != REVIEW:
        await ctx.services.core.stale(ctx)
        return
    await dialogs.put(ctx.conn, ctx.person.id, Dialog("form", app_stage(ctx)), ctx.now)
    await ctx.services.forms.prompt(ctx, app_stage(ctx), progress)


async def approve(ctx: Ctx, app_id: int, *, quiet: bool = False) -> bool:
    """Approve and tell the intern; `quiet` leaves the coordinator's reply to a bulk summary."""
    if not await applications.decide(ctx.conn, app_id, "approved", ctx.person.id, ctx.now):
        if not quiet:
            await ctx.reply(ctx.t("app.already_decided_plain", id=app_id))
        return False
    app = await applications.get(ctx.conn, app_id)
    assert app is not None
    await persons.grant_role(ctx.conn, app.person_id, "intern", ctx.now)
    await stages.set_status(ctx.conn, app.person_id, app_stage(ctx), "accepted", ctx.now)
    if not quiet:
        await ctx.reply(ctx.t("app.approved_ok", id=app_id))
    programme = ctx.services.programme
    texts = ctx.services.texts
    # the entry diagnostic sets the route: offered in the same message (an intern who
    # skips it keeps the common route)
    diagnostic = programme.diagnostic
    sitting = await route.pending_sitting(ctx.conn, programme, app.person_id) if (
        diagnostic is not None and diagnostic.at == "approval") else None

    def build(lang: str) -> Reply:
        lines = [texts.get(lang, "app.approved", title=pick(programme.title, lang))]
        if programme.events:
            first = programme.events[0]
            lines.append(
                texts.get(lang, "app.first_event", title=pick(first.title, lang), link=first.link)
            )
        if sitting is None:
            return Reply("\n\n".join(lines), menu.rows(texts, lang))
        offer, button = route.offer_parts(ctx.services, sitting, lang)
        return Reply("\n\n".join([*lines, offer]), [[button], *menu.rows(texts, lang)])

    await ctx.notify(app.person_id, f"app:{app_id}:approved", build)
    await ctx.notify(app.person_id, f"app:{app_id}:keyboard", lambda lang: menu.keyboard_reply(texts, lang))
    return True


async def reject(ctx: Ctx, app_id: int, reason: str | None, *, quiet: bool = False) -> bool:
    if not await applications.decide(
        ctx.conn, app_id, "rejected", ctx.person.id, ctx.now, reason
    ):
        if not quiet:
            await ctx.reply(ctx.t("app.already_decided_plain", id=app_id))
        return False
    app = await applications.get(ctx.conn, app_id)
    assert app is not None
    await stages.set_status(ctx.conn, app.person_id, app_stage(ctx), "returned", ctx.now)
    if not quiet:
        await ctx.reply(ctx.t("app.rejected_ok", id=app_id))
    texts = ctx.services.texts

    def build(lang: str) -> Reply:
        text = texts.get(lang, "app.rejected")
        if reason:
            text += "\n\n" + texts.get(lang, "app.rejected_reason", reason=reason)
        return Reply(text, [[Button(texts.get(lang, "app.apply_again"), "apply")]])

    await ctx.notify(app.person_id, f"app:{app_id}:rejected", build)
    return True
