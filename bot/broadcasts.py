"""Broadcasts: compose with placeholders, choose an audience, preview, send now or later.

Each recipient's message is an outbox row keyed `bc:<id>:<person>`; the delivery
loop sends them (honouring `not_before` for a scheduled send) and a scheduler job
reports delivered / failed / unreachable to the author once none is pending.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import audiences, placeholders
from bot.context import Ctx, notify
from bot.messages import Button, Reply
from bot.services import Services
from scenarios.models import pick
from storage import broadcasts, dialogs, outbox, persons, teams
from storage.broadcasts import Broadcast
from storage.dialogs import Dialog

COORDINATOR = {"coordinator"}
TEXT_DIALOG = "bc_text"
WHEN_DIALOG = "bc_when"
MAX_BODY = 3500
TIME_INPUTS = ("%d.%m.%Y %H:%M", "%d.%m %H:%M", "%Y-%m-%d %H:%M", "%H:%M")


def register(s: Services) -> None:
    s.router.command("broadcast", compose, COORDINATOR)
    s.router.payload("bc", broadcast_button, COORDINATOR)
    s.router.dialog(TEXT_DIALOG, text_dialog)
    s.router.dialog(WHEN_DIALOG, when_dialog)
    s.scheduler.add("broadcast_reports", report_finished)


def _known() -> str:
    return ", ".join("{{ " + k + " }}" for k in placeholders.KNOWN)


async def compose(ctx: Ctx) -> None:
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(TEXT_DIALOG), ctx.now)
    await ctx.reply(ctx.t("bc.ask_text", known=_known()),
                    [[Button(ctx.t("common.cancel"), "bc|0|x")]])


async def text_dialog(ctx: Ctx, dialog: Dialog) -> None:
    """The text is checked before it is kept: a wrong placeholder keeps the dialogue open."""
    body = (ctx.incoming.text or "").strip()
    if not body or ctx.incoming.file is not None:
        await ctx.reply(ctx.t("bc.text_only"))
        return
    if len(body) > MAX_BODY:
        await ctx.reply(ctx.t("bc.too_long", max=MAX_BODY, length=len(body)))
        return
    try:
        unknown = placeholders.unknown_names(body)
    except placeholders.PlaceholderError as exc:
        await ctx.reply(ctx.t("bc.syntax_error", error=str(exc), known=_known()))
        return
    if unknown:
        await ctx.reply(ctx.t("bc.unknown_placeholder",
                              names=", ".join("{{ " + n + " }}" for n in unknown), known=_known()))
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    broadcast_id = await broadcasts.create(ctx.conn, ctx.person.id, body, ctx.now)
    await audience_menu(ctx, broadcast_id)


async def audience_menu(ctx: Ctx, broadcast_id: int) -> None:
    b = f"bc|{broadcast_id}"
    rows = [
        [Button(ctx.t("bc.aud.all"), f"{b}|a|all"), Button(ctx.t("bc.aud.tutors"), f"{b}|a|tutors")],
        [Button(ctx.t("bc.aud.stage"), f"{b}|stages"), Button(ctx.t("bc.aud.team"), f"{b}|teams")],
        [Button(ctx.t("bc.aud.missing"), f"{b}|missing"), Button(ctx.t("bc.aud.platform"), f"{b}|plats")],
    ]
    if audiences.survey_stage(ctx.services.programme):
        rows.append([Button(ctx.t("bc.aud.survey"), f"{b}|a|survey")])
    rows.append([Button(ctx.t("common.cancel"), f"{b}|x")])
    await ctx.reply(ctx.t("bc.choose_audience"), rows)


async def broadcast_button(ctx: Ctx) -> None:
    """`bc|<id>|<action>[|arg]`; only the author's own drafts can be changed."""
    if len(ctx.args) < 2 or not ctx.args[0].isdigit():
        await ctx.services.core.stale(ctx)
        return
    action, arg = ctx.args[1], "|".join(ctx.args[2:])
    if action == "x" and ctx.args[0] == "0":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("bc.cancelled"))
        return
    draft = await broadcasts.get(ctx.conn, int(ctx.args[0]))
    if draft is None or draft.author_id != ctx.person.id:
        await ctx.services.core.stale(ctx)
        return
    if draft.status != "draft":
        await ctx.reply(ctx.t(f"bc.already_{draft.status}", id=draft.id))
        return
    programme = ctx.services.programme
    b = f"bc|{draft.id}"
    if action == "x":
        await broadcasts.cancel(ctx.conn, draft.id)
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.reply(ctx.t("bc.cancelled"))
    elif action == "aud":
        await audience_menu(ctx, draft.id)
    elif action == "stages" or action == "missing":
        kind = "stage" if action == "stages" else "missing"
        stages = programme.stages[1:]
        await ctx.reply(ctx.t(f"bc.pick_{kind}"), [
            [Button(pick(s.title, ctx.lang), f"{b}|a|{kind}:{s.id}")] for s in stages
        ])
    elif action == "teams":
        all_teams = await teams.all_teams(ctx.conn)
        if not all_teams:
            await ctx.reply(ctx.t("bc.no_teams"))
            return
        await ctx.reply(ctx.t("bc.pick_team"),
                        [[Button(t.name, f"{b}|a|team:{t.id}")] for t in all_teams[:40]])
    elif action == "plats":
        await ctx.reply(ctx.t("bc.pick_platform"), [
            [Button(ctx.t(f"bc.platform.{p}") if ctx.services.texts.has(f"bc.platform.{p}") else p,
                    f"{b}|a|platform:{p}")]
            for p in await audiences.platforms(ctx.conn)
        ])
    elif action == "a" and audiences.valid(arg, programme):
        await broadcasts.update_draft(ctx.conn, draft.id, audience=arg)
        await preview(ctx, draft.id)
    elif action == "at" and draft.audience:
        await dialogs.put(ctx.conn, ctx.person.id, Dialog(WHEN_DIALOG, str(draft.id)), ctx.now)
        await ctx.reply(ctx.t("bc.ask_when", zone=_zone(ctx).key),
                        [[Button(ctx.t("common.cancel"), f"{b}|x")]])
    elif action in ("now", "go") and draft.audience:
        await send(ctx, draft, scheduled=action == "go")
    else:
        await ctx.services.core.stale(ctx)


def _zone(ctx: Ctx) -> ZoneInfo:
    return ZoneInfo(ctx.person.timezone or ctx.services.programme.timezone)


async def _rendered(ctx: Ctx, draft: Broadcast, recipients: list[int]) -> dict[int, str]:
    """Every recipient's text, or PlaceholderError before anything is written."""
    programme = ctx.services.programme
    when = await placeholders.plan(ctx.conn, programme)
    texts: dict[int, str] = {}
    for pid in recipients:
        person = await persons.get_person(ctx.conn, pid)
        lang = person.locale or ctx.services.texts.default
        values = await placeholders.values_for(ctx.conn, programme, when, pid, ctx.now, lang)
        texts[pid] = placeholders.render(draft.body, values)
    return texts


async def preview(ctx: Ctx, broadcast_id: int) -> None:
    draft = await broadcasts.get(ctx.conn, broadcast_id)
    assert draft is not None
    recipients = await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience)
    b = f"bc|{draft.id}"
    if not recipients:
        await ctx.reply(ctx.t("bc.nobody"), [[Button(ctx.t("bc.change_audience"), f"{b}|aud")],
                                             [Button(ctx.t("common.cancel"), f"{b}|x")]])
        return
    try:
        sample = (await _rendered(ctx, draft, recipients[:1]))[recipients[0]]
    except placeholders.PlaceholderError as exc:
        await ctx.reply(ctx.t("bc.render_error", error=str(exc)))
        return
    await ctx.reply(ctx.t("bc.preview", count=len(recipients), text=sample), [
        [Button(ctx.t("bc.send_now", count=len(recipients)), f"{b}|now")],
        [Button(ctx.t("bc.send_later"), f"{b}|at"), Button(ctx.t("bc.change_audience"), f"{b}|aud")],
        [Button(ctx.t("common.cancel"), f"{b}|x")],
    ])


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    local_now = now.astimezone(zone)
    for fmt in TIME_INPUTS:
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if "%Y" not in fmt:
            parsed = parsed.replace(year=local_now.year)
        if "%d" not in fmt:
            parsed = parsed.replace(month=local_now.month, day=local_now.day)
        return parsed.replace(tzinfo=zone)
    return None


async def when_dialog(ctx: Ctx, dialog: Dialog) -> None:
    draft = await broadcasts.get(ctx.conn, int(dialog.ref))
    if draft is None or draft.status != "draft":
        await dialogs.clear(ctx.conn, ctx.person.id)
        await ctx.services.core.stale(ctx)
        return
    zone = _zone(ctx)
    moment = parse_when(ctx.incoming.text or "", ctx.now, zone)
    if moment is None:
        await ctx.reply(ctx.t("bc.bad_when", zone=zone.key))
        return
    if moment <= ctx.now:
        await ctx.reply(ctx.t("bc.when_past"))
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    await broadcasts.update_draft(ctx.conn, draft.id, send_at=moment)
    count = len(await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience))
    shown = moment.astimezone(zone).strftime(placeholders.TIME_FORMAT)
    await ctx.reply(ctx.t("bc.confirm_at", count=count, when=shown), [
        [Button(ctx.t("bc.confirm"), f"bc|{draft.id}|go")],
        [Button(ctx.t("common.cancel"), f"bc|{draft.id}|x")],
    ])


async def send(ctx: Ctx, draft: Broadcast, *, scheduled: bool) -> None:
    """Render for everyone first, then queue all rows and the status in one transaction."""
    recipients = await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience)
    if not recipients:
        await ctx.reply(ctx.t("bc.nobody"))
        return
    try:
        rendered = await _rendered(ctx, draft, recipients)
    except placeholders.PlaceholderError as exc:
        await ctx.reply(ctx.t("bc.render_error", error=str(exc)))
        return
    not_before = draft.send_at if scheduled else None
    if not await broadcasts.queue(ctx.conn, draft.id, len(recipients)):
        await ctx.reply(ctx.t("bc.already_queued", id=draft.id))
        return
    for pid, text in rendered.items():
        await notify(ctx.conn, ctx.services, pid, f"bc:{draft.id}:{pid}",
                     lambda _lang, text=text: Reply(text), now=ctx.now, kind="broadcast",
                     not_before=not_before)
    ctx.services.delivery.wake()
    if not_before is not None:
        shown = not_before.astimezone(_zone(ctx)).strftime(placeholders.TIME_FORMAT)
        await ctx.reply(ctx.t("bc.scheduled", id=draft.id, count=len(rendered), when=shown))
    else:
        await ctx.reply(ctx.t("bc.queued", id=draft.id, count=len(rendered)))


async def report_finished(services: Services, now: datetime) -> int:
    """Scheduler job: once no message of a broadcast is pending, tell its author the result."""
    reported = 0
    texts = services.texts
    async with services.db.transaction() as conn:
        for item in await broadcasts.unreported(conn):
            if item.send_at is not None and item.send_at > now:
                continue
            counts = await outbox.status_counts(conn, f"bc:{item.id}:")
            if counts.get("pending", 0) or counts.get("sending", 0):
                continue
            await broadcasts.mark_done(conn, item.id, now)
            reported += 1
            if item.author_id is None:
                continue

            def build(lang: str, item: Broadcast = item, counts: dict[str, int] = counts) -> Reply:
                return Reply(texts.get(
                    lang, "bc.report", id=item.id, total=item.recipients,
                    sent=counts.get("sent", 0), failed=counts.get("failed", 0),
                    unreachable=counts.get("unreachable", 0),
                    skipped=item.recipients - sum(counts.values()),
                ))

            await notify(conn, services, item.author_id, f"bcr:{item.id}", build, now=now)
    return reported

