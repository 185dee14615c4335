"""Collecting a submission (team homework): texts, files and links, then "send to the tutor".

Teachers send what they manage to send, in as many messages as they like; the draft
lives in the dialog state, so a restart keeps it. One submission per team: any member
sends it, the whole team sees it and its status.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from handlers.internship import menu, review, route
from scenarios.models import Stage, pick
from scenarios.submission_input import read_work
from scenarios.validation import Rejected
from storage import dialogs, submissions, teams
from storage.dialogs import Dialog

INTERN = {"intern"}
DIALOG = "homework"
MAX_ITEMS = 20


def register(s: Services) -> None:
    s.router.dialog(DIALOG, on_message)
    s.router.payload("hw", on_button, INTERN)


async def start(ctx: Ctx, stage: Stage) -> None:
    assert stage.submission is not None
    team = await teams.team_of(ctx.conn, ctx.person.id)
    if stage.submission.per == "team" and team is None:
        await ctx.reply(ctx.t("hw.no_team"), menu.rows(ctx.services.texts, ctx.lang))
        return
    owner, _ = await review.owner_of(ctx, stage)
    latest = await submissions.latest(ctx.conn, stage.id, owner)
    title = pick(stage.title, ctx.lang)
    if latest is not None and latest.status == "accepted":
        await ctx.reply(ctx.t("hw.already_accepted", title=title), menu.rows(ctx.services.texts, ctx.lang))
        return
    lines = [ctx.t("hw.start", title=title)]
    if stage.instructions:
        lines.append(pick(stage.instructions, ctx.lang))
    if latest is not None and latest.status == "submitted":
        lines.append(ctx.t("hw.replaces", version=latest.version))
        lines.append(review.describe(ctx.services.texts, ctx.lang, latest))
    if latest is not None and latest.status == "returned":
        lines.append(ctx.t("hw.returned_before", comment=latest.comment or "—"))
    items = await draft_items(ctx, stage.id)
    if items:  # "Submit" pressed again (menu, announcement): the draft so far is kept
        lines.append(ctx.t("hw.draft_kept", count=len(items)))
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(DIALOG, stage.id, {"items": items}), ctx.now)
    await ctx.reply("\n\n".join(lines), _draft_buttons(ctx, len(items)))


async def draft_items(ctx: Ctx, stage_id: str) -> list[object]:
    """What the person has already put into this stage's unsent draft, if they are in it."""
    current = await dialogs.get(ctx.conn, ctx.person.id)
    if current is None or current.kind != DIALOG or current.ref != stage_id:
        return []
    return list(current.data.get("items", []))


def _draft_buttons(ctx: Ctx, count: int) -> list[list[Button]]:
    rows = [[Button(ctx.t("hw.send", count=count), "hw|send")]] if count else []
    return [*rows, [Button(ctx.t("common.cancel"), "hw|cancel")]]


async def on_message(ctx: Ctx, dialog: Dialog) -> None:
    stage = await route.my_stage(ctx, dialog.ref)
    assert stage.submission is not None
    items = list(dialog.data.get("items", []))
    outcome = read_work(ctx.incoming, stage.submission)
    if isinstance(outcome, Rejected):
        await ctx.reply(ctx.t(f"sub.error.{outcome.key}", **outcome.params),
                        _draft_buttons(ctx, len(items)))
        return
    if len(items) >= MAX_ITEMS:
        await ctx.reply(ctx.t("hw.too_many", max=MAX_ITEMS), _draft_buttons(ctx, len(items)))
        return
    items.append(outcome.value)
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(DIALOG, stage.id, {"items": items}), ctx.now)
    await ctx.reply(ctx.t("hw.added", count=len(items)), _draft_buttons(ctx, len(items)))


async def on_button(ctx: Ctx) -> None:
    """`hw|send` and `hw|cancel` act on the draft the person is writing, if any."""
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    if dialog is None or dialog.kind != DIALOG or ctx.args not in (["send"], ["cancel"]):
        await ctx.services.core.stale(ctx)
        return
    if ctx.args == ["cancel"]:
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("hw.cancelled"), menu.rows(ctx.services.texts, ctx.lang))
        return
    items = dialog.data.get("items", [])
    if not items:
        await ctx.reply(ctx.t("hw.empty"), _draft_buttons(ctx, 0))
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    await review.send_for_review(ctx, await route.my_stage(ctx, dialog.ref), items, None)
