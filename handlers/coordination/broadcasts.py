"""Broadcasts: compose with placeholders, choose an audience, preview, send now or later.

Each recipient's message is an outbox row keyed `bc:<id>:<person>`. A send-now
writes the first batch in the confirming update; a scheduler job writes the rest (and
a scheduled broadcast once its time comes) batch by batch, and another job reports
delivered / failed / unreachable to the author once all are written and none pending.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Ctx, notify
from bot.keyboards import grid
from bot.local_time import quiet_until, zone_of
from bot.messages import Button, Reply
from bot.router import dialog_allowed
from bot.services import Services
from handlers.coordination import audiences, broadcast_preview, placeholders
from scenarios.models import pick
from scenarios.stage_work import survey_stage
from storage import broadcasts, dialogs, flags, outbox, teams
from storage import reminders as reminder_store
from storage.broadcasts import Broadcast
from storage.connection import Connection
from storage.dialogs import Dialog

COORDINATOR = {"coordinator"}
log = logging.getLogger(__name__)

TEXT_DIALOG = "bc_text"
WHEN_DIALOG = "bc_when"
MAX_BODY = 3500
BATCH = 500
"""Messages written per transaction: about 0.2 s of the database, so people's updates
are never held up long by a broadcast to thousands."""
TIME_INPUTS = ("%d.%m.%Y %H:%M", "%d.%m %H:%M", "%Y-%m-%d %H:%M", "%H:%M")


def register(s: Services) -> None:
    s.router.command("broadcast", compose, COORDINATOR)
    s.router.command("broadcasts", list_broadcasts, COORDINATOR)
    s.router.payload("bc", broadcast_button, COORDINATOR)
    s.router.dialog(TEXT_DIALOG, text_dialog)
    s.router.dialog(WHEN_DIALOG, when_dialog)
    s.scheduler.add("broadcast_fanout", fan_out_due)
    s.scheduler.add("broadcast_reports", report_finished)


def _known() -> str:
    return ", ".join("{{ " + k + " }}" for k in placeholders.KNOWN)


async def compose(ctx: Ctx) -> None:
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(TEXT_DIALOG), ctx.now)
    await ctx.reply(ctx.t("bc.ask_text", known=_known()),
                    [[Button(ctx.t("common.cancel"), "bc|0|x")]])


async def text_dialog(ctx: Ctx, dialog: Dialog) -> None:
    """The text is checked before it is kept: a wrong placeholder keeps the dialogue open."""
    if not await dialog_allowed(ctx, COORDINATOR):
        return
    body = (ctx.incoming.text or "").strip()
    if not body or ctx.incoming.file is not None:
        await ctx.reply(ctx.t("bc.text_only"))
        return
    if len(body) > MAX_BODY:
        await ctx.reply(ctx.t("bc.too_long", max=MAX_BODY, length=len(body)))
        return
    try:
        placeholders.check(body)
    except placeholders.PlaceholderError as exc:
        await template_trouble(ctx, exc, body)
        return
    await dialogs.clear(ctx.conn, ctx.person.id)
    broadcast_id = await broadcasts.create(ctx.conn, ctx.person.id, body, ctx.now)
    await audience_menu(ctx, broadcast_id)


async def template_trouble(ctx: Ctx, exc: placeholders.PlaceholderError, body: str) -> None:
    """Explain a template mistake in the coordinator's words and keep the dialogue open,
    their text sent back as is (one message, easy to copy and fix)."""
    await dialogs.put(ctx.conn, ctx.person.id, Dialog(TEXT_DIALOG), ctx.now)
    await ctx.reply(ctx.t(f"bc.tpl.{exc.key}", **exc.params) + "\n\n" + ctx.t("bc.tpl.fix", known=_known()),
                    [[Button(ctx.t("common.cancel"), "bc|0|x")]])
    await ctx.reply(body)


async def audience_menu(ctx: Ctx, broadcast_id: int) -> None:
    b = f"bc|{broadcast_id}"
    rows = [
        [Button(ctx.t("bc.aud.all"), f"{b}|a|all"), Button(ctx.t("bc.aud.tutors"), f"{b}|a|tutors")],
        [Button(ctx.t("bc.aud.stage"), f"{b}|stages"), Button(ctx.t("bc.aud.team"), f"{b}|teams")],
        [Button(ctx.t("bc.aud.missing"), f"{b}|missing"), Button(ctx.t("bc.aud.platform"), f"{b}|plats")],
    ]
    if survey_stage(ctx.services.programme):
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
    if draft.status == "queued" and action == "x":
        await broadcasts.cancel(ctx.conn, draft.id)
        await ctx.reply(ctx.t("bc.cancelled_queued", id=draft.id, written=draft.recipients))
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
        ] + _back_or_cancel(ctx, b))
    elif action == "teams":
        all_teams = await teams.all_teams(ctx.conn)
        if not all_teams:
            await ctx.reply(ctx.t("bc.no_teams"), _back_or_cancel(ctx, b))
            return
        choices = [Button(t.name, f"{b}|a|team:{t.id}") for t in all_teams]
        await ctx.reply(ctx.t("bc.pick_team"), grid(choices, 3) + _back_or_cancel(ctx, b))
    elif action == "plats":
        await ctx.reply(ctx.t("bc.pick_platform"), [
            [Button(ctx.t(f"bc.platform.{p}") if ctx.services.texts.has(f"bc.platform.{p}") else p,
                    f"{b}|a|platform:{p}")]
            for p in await audiences.platforms(ctx.conn)
        ] + _back_or_cancel(ctx, b))
    elif action == "a" and audiences.valid(arg, programme):
        await broadcasts.update_draft(ctx.conn, draft.id, audience=arg)
        await preview(ctx, draft.id)
    elif action == "at" and draft.audience:
        await dialogs.put(ctx.conn, ctx.person.id, Dialog(WHEN_DIALOG, str(draft.id)), ctx.now)
        await ctx.reply(ctx.t("bc.ask_when", zone=_zone(ctx).key),
                        [[Button(ctx.t("common.cancel"), f"{b}|x")]])
    elif action in ("now", "go", "urgent") and draft.audience:
        await send(ctx, draft, scheduled=action == "go", urgent=action == "urgent")
    else:
        await ctx.services.core.stale(ctx)


def _back_or_cancel(ctx: Ctx, b: str) -> list[list[Button]]:
    return [[Button(ctx.t("common.back"), f"{b}|aud"), Button(ctx.t("common.cancel"), f"{b}|x")]]


def _zone(ctx: Ctx) -> ZoneInfo:
    return ZoneInfo(ctx.person.timezone or ctx.services.programme.timezone)


async def render_for(
    conn: Connection, services: Services, body: str, recipients: list[int], now: datetime
) -> dict[int, str]:
    """Each recipient's text in their language; PlaceholderError when the template fails."""
    programme = services.programme
    when = await placeholders.plan(conn, programme)
    everyone = await placeholders.values_for_many(conn, programme, when, recipients, now,
                                                  services.texts.default)
    return {pid: placeholders.render(body, everyone[pid][0]) for pid in recipients}


async def preview(ctx: Ctx, broadcast_id: int) -> None:
    """The first recipient's text, and what the other recipients would meet (see
    broadcast_preview): empty placeholders with an example, a pause, quiet hours."""
    draft = await broadcasts.get(ctx.conn, broadcast_id)
    assert draft is not None
    recipients = await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience)
    b = f"bc|{draft.id}"
    if not recipients:
        await ctx.reply(ctx.t("bc.nobody"), [[Button(ctx.t("bc.change_audience"), f"{b}|aud")],
                                             [Button(ctx.t("common.cancel"), f"{b}|x")]])
        return
    try:
        found = await broadcast_preview.analyse(ctx.conn, ctx.services, draft.body, recipients,
                                                ctx.now, ctx.now)
    except placeholders.PlaceholderError as exc:
        await _render_failed(ctx, draft, exc)
        return
    notes = broadcast_preview.notes(ctx.services, ctx.lang, found, _zone(ctx))
    text = ctx.t("bc.preview", count=len(recipients), text=found.sample)
    await ctx.reply(text + (f"\n\n{notes}" if notes else ""), [
        [Button(ctx.t("bc.send_now", count=len(recipients)), f"{b}|now")],
        [Button(ctx.t("bc.send_urgent"), f"{b}|urgent")],
        [Button(ctx.t("bc.send_later"), f"{b}|at"), Button(ctx.t("bc.change_audience"), f"{b}|aud")],
        [Button(ctx.t("common.cancel"), f"{b}|x")],
    ])


async def _render_failed(ctx: Ctx, draft: Broadcast, exc: placeholders.PlaceholderError) -> None:
    """A text that fails only with real data: the draft is dropped, nothing was written,
    and the coordinator is back at the text with theirs to fix."""
    await broadcasts.cancel(ctx.conn, draft.id)
    await template_trouble(ctx, exc, draft.body)


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
    if not await dialog_allowed(ctx, COORDINATOR):
        return
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
    recipients = await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience)
    count = len(recipients)
    shown = moment.astimezone(zone).strftime(placeholders.TIME_FORMAT)
    try:
        found = await broadcast_preview.analyse(ctx.conn, ctx.services, draft.body, recipients,
                                                moment, ctx.now)
        notes = broadcast_preview.notes(ctx.services, ctx.lang, found, zone, scheduled=True)
    except placeholders.PlaceholderError:
        notes = ""  # the preview showed it already; sending will say so again
    await ctx.reply(ctx.t("bc.confirm_at", count=count, when=shown) + (f"\n\n{notes}" if notes else ""), [
        [Button(ctx.t("bc.confirm"), f"bc|{draft.id}|go")],
        [Button(ctx.t("common.cancel"), f"bc|{draft.id}|x")],
    ])


async def send(ctx: Ctx, draft: Broadcast, *, scheduled: bool, urgent: bool = False) -> None:
    """Confirm: a send-now writes its first batch at once, the scheduler job the rest."""
    recipients = await audiences.resolve(ctx.conn, ctx.services.programme, draft.audience)
    if not recipients:
        await ctx.reply(ctx.t("bc.nobody"))
        return
    try:  # the whole first batch renders before anything is written
        first = await render_for(ctx.conn, ctx.services, draft.body, recipients[:BATCH], ctx.now)
    except placeholders.PlaceholderError as exc:
        await _render_failed(ctx, draft, exc)
        return
    send_at = draft.send_at if scheduled else None
    if not await broadcasts.queue(ctx.conn, draft.id, send_at, urgent=urgent):
        await ctx.reply(ctx.t("bc.already_queued", id=draft.id))
        return
    if send_at is not None:
        shown = send_at.astimezone(_zone(ctx)).strftime(placeholders.TIME_FORMAT)
        await ctx.reply(ctx.t("bc.scheduled", id=draft.id, count=len(recipients), when=shown),
                        [[Button(ctx.t("bc.cancel_scheduled"), f"bc|{draft.id}|x")]])
        return
    queued = await broadcasts.get(ctx.conn, draft.id)
    assert queued is not None
    await fan_out(ctx.conn, ctx.services, queued, ctx.now, first)
    ctx.services.delivery.wake()
    quiet = ctx.services.programme.quiet_hours
    paused = "\n\n" + ctx.t("bc.pv.paused") if await flags.get(ctx.conn, flags.PAUSED) == "1" else ""
    await ctx.reply(ctx.t("bc.queued_urgent" if urgent else "bc.queued", id=draft.id,
                          count=len(recipients), start=quiet.start, end=quiet.end) + paused)


async def fan_out(
    conn: Connection, services: Services, item: Broadcast, now: datetime,
    rendered: dict[int, str] | None = None,
) -> bool:
    """Write the next batch of a broadcast's messages; True when none is left to write.

    The audience is read again each batch, in person-id order after the cursor, so a
    restart continues where it stopped and the idempotency keys prevent any double.
    """
    recipients = await audiences.resolve(conn, services.programme, item.audience)
    batch = [p for p in recipients if p > item.cursor][:BATCH]
    zones = await reminder_store.zones(conn, batch) if not item.urgent else {}
    quiet, fallback = services.programme.quiet_hours, services.programme.timezone
    written = 0
    for pid in batch:
        try:
            text = (rendered or {}).get(pid) or (await render_for(conn, services, item.body, [pid], now))[pid]
        except placeholders.PlaceholderError:
            log.warning("broadcast %s: could not render for person %s", item.id, pid)
            continue
        wait = None if item.urgent else quiet_until(now, zone_of(zones.get(pid), fallback), quiet)
        if await notify(conn, services, pid, f"bc:{item.id}:{pid}", lambda _lang, text=text: Reply(text),
                        now=now, kind="broadcast", not_before=wait):
            written += 1
    finished = len(batch) < BATCH
    await broadcasts.advance(conn, item.id, batch[-1] if batch else item.cursor, written, finished)
    return finished


async def fan_out_due(services: Services, now: datetime) -> int:
    """Scheduler job: write due broadcasts batch by batch, one transaction per batch, so
    updates from people are handled in between."""
    async with services.db.read() as conn:
        due = [b.id for b in await broadcasts.due(conn, now)]
    batches = 0
    for broadcast_id in due:
        finished = False
        while not finished:
            async with services.db.transaction() as conn:
                item = await broadcasts.get(conn, broadcast_id)
                if item is None or item.status != "queued":
                    break
                finished = await fan_out(conn, services, item, now)
            batches += 1
            services.delivery.wake()
    return batches


async def list_broadcasts(ctx: Ctx) -> None:
    """`/broadcasts`: the latest ones with their state; a scheduled one can be cancelled."""
    items = await broadcasts.recent(ctx.conn)
    if not items:
        await ctx.reply(ctx.t("bc.none_yet"))
        return
    zone = _zone(ctx)
    lines, buttons = [ctx.t("bc.list_title")], []
    for item in items:
        counts = await outbox.status_counts(ctx.conn, f"bc:{item.id}:")
        when = item.send_at.astimezone(zone).strftime(placeholders.TIME_FORMAT) if item.send_at else ""
        lines.append(ctx.t("bc.list_line", id=item.id, status=ctx.t(f"bc.status.{item.status}"),
                           when=when, sent=counts.get("sent", 0), total=item.recipients,
                           text=item.body[:40]))
        if item.status == "queued":
            buttons.append([Button(ctx.t("bc.cancel_one", id=item.id), f"bc|{item.id}|x")])
    await ctx.reply("\n".join(lines), buttons)


async def report_finished(services: Services, now: datetime) -> int:
    """Scheduler job: once no message of a broadcast is pending, tell its author the result."""
    reported = 0
    texts = services.texts
    async with services.db.transaction() as conn:
        for item in await broadcasts.unreported(conn):
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
                    cancelled=counts.get("cancelled", 0),
                ))

            await notify(conn, services, item.author_id, f"bcr:{item.id}", build, now=now)
    return reported

