"""The video of the event an intern ran: a file or a link, its length checked.

The length comes from the messenger when it reports one, otherwise we ask. A video
outside the programme's range gets a clear message and, if the programme allows,
can still be sent after a confirmation; anything else keeps the intern at this step.
"""

from __future__ import annotations

from typing import Any

from bot.context import Ctx
from bot.messages import Button
from bot.services import Services
from handlers.internship import menu, review, route
from scenarios.models import Stage, VideoRules, pick
from scenarios.submission_input import in_range, parse_minutes, read_video
from scenarios.validation import Rejected
from storage import dialogs, submissions
from storage.dialogs import Dialog

INTERN = {"intern"}
DIALOG = "video"


def register(s: Services) -> None:
    s.router.dialog(DIALOG, on_message)
    s.router.payload("vid", on_button, INTERN)


def rules_of(stage: Stage) -> VideoRules:
    assert stage.submission is not None
    return stage.submission.video or VideoRules()


async def start(ctx: Ctx, stage: Stage) -> None:
    owner, _ = await review.owner_of(ctx, stage)  # a team video (`per: team`) is the team's
    latest = await submissions.latest(ctx.conn, stage.id, owner)
    title = pick(stage.title, ctx.lang)
    if latest is not None and latest.status == "accepted":
        await ctx.reply(ctx.t("vid.already_accepted", title=title), menu.rows(ctx.services.texts, ctx.lang))
        return
    rules = rules_of(stage)
    lines = [ctx.t("vid.start", min=f"{rules.min_minutes:g}", max=f"{rules.max_minutes:g}")]
    if latest is not None and latest.status == "returned":
        lines.append(ctx.t("hw.returned_before", comment=latest.comment or "—"))
    await _put(ctx, stage.id, {"step": "file"})
    await ctx.reply("\n\n".join(lines), [[Button(ctx.t("common.cancel"), "vid|cancel")]])


async def _put(ctx: Ctx, stage_id: str, data: dict[str, Any]) -> None:
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(DIALOG, stage_id, data), ctx.now)


def _cancel(ctx: Ctx) -> list[list[Button]]:
    return [[Button(ctx.t("common.cancel"), "vid|cancel")]]


async def on_message(ctx: Ctx, dialog: Dialog) -> None:
    stage = await route.my_stage(ctx, dialog.ref)
    assert stage.submission is not None
    step = dialog.data.get("step", "file")
    if step == "minutes":
        minutes = parse_minutes(ctx.incoming.text or "") if ctx.incoming.file is None else None
        if minutes is None:
            await ctx.reply(ctx.t("vid.error_minutes"), _cancel(ctx))
            return
        await _check(ctx, stage, dialog.data["item"], minutes)
        return
    if step == "confirm":
        await ctx.reply(ctx.t("form.use_buttons"), _confirm_buttons(ctx))
        return
    outcome = read_video(ctx.incoming, stage.submission)
    if isinstance(outcome, Rejected):
        await ctx.reply(ctx.t(f"sub.error.{outcome.key}", **outcome.params), _cancel(ctx))
        return
    if outcome.minutes is None:
        await _put(ctx, stage.id, {"step": "minutes", "item": outcome.value})
        await ctx.reply(ctx.t("vid.ask_minutes"), _cancel(ctx))
        return
    await _check(ctx, stage, outcome.value, outcome.minutes)


def _confirm_buttons(ctx: Ctx) -> list[list[Button]]:
    return [[Button(ctx.t("vid.send_anyway"), "vid|yes")],
            [Button(ctx.t("vid.send_other"), "vid|again")],
            [Button(ctx.t("common.cancel"), "vid|cancel")]]


async def _check(ctx: Ctx, stage: Stage, item: dict[str, Any], minutes: float) -> None:
    rules = rules_of(stage)
    if in_range(minutes, rules):
        await dialogs.clear(ctx.conn, ctx.person.id)
        await review.send_for_review(ctx, stage, [item], minutes)
        return
    params = {"minutes": f"{minutes:g}", "min": f"{rules.min_minutes:g}", "max": f"{rules.max_minutes:g}"}
    if rules.allow_out_of_range:
        await _put(ctx, stage.id, {"step": "confirm", "item": item, "minutes": minutes})
        await ctx.reply(ctx.t("vid.out_of_range_allowed", **params), _confirm_buttons(ctx))
    else:
        await _put(ctx, stage.id, {"step": "file"})
        await ctx.reply(ctx.t("vid.out_of_range", **params), _cancel(ctx))


async def on_button(ctx: Ctx) -> None:
    """`vid|yes` sends an out-of-range video; `vid|again` asks for another; `vid|cancel`."""
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    action = ctx.args[0] if len(ctx.args) == 1 else ""
    if dialog is None or dialog.kind != DIALOG or action not in ("yes", "again", "cancel"):
        await ctx.services.core.stale(ctx)
        return
    stage = await route.my_stage(ctx, dialog.ref)
    if action == "cancel":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("hw.cancelled"), menu.rows(ctx.services.texts, ctx.lang))
    elif dialog.data.get("step") != "confirm":
        await ctx.services.core.stale(ctx)
    elif action == "yes":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await review.send_for_review(ctx, stage, [dialog.data["item"]], dialog.data["minutes"])
    else:
        await _put(ctx, stage.id, {"step": "file"})
        await ctx.reply(ctx.t("vid.send_another_prompt"), _cancel(ctx))
