"""New applications reach coordinators as a digest, so 300 interns applying in a minute are
two messages to a coordinator, not 300.

The first application after a quiet spell comes at once with its card, and opens a window
(`coordinators.application_digest_minutes` in the programme). Applications arriving while
it is open are held as rows; when it closes, the scheduler job sends each coordinator one
message counting those still pending, with a button to the review list (one held
application comes as its own card instead: a count of one is less useful than the card).
A digest that went out keeps the next window going, so a steady stream is one message a
window. With `new_applications: each` every application comes as its card, as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import Ctx, notify
from bot.messages import Button, Reply
from bot.services import Services
from handlers.enrolment import application_card
from handlers.enrolment.application_card import CardBuilder
from storage import application_digests, applications, persons
from storage.application_digests import Window
from storage.connection import Connection


def register(s: Services) -> None:
    s.scheduler.add("application_digest", close_due)


async def announce(ctx: Ctx, app_id: int) -> None:
    """Tell the coordinators of a new application now, or hold it for the window's digest."""
    rules = ctx.services.programme.coordinators
    if rules.new_applications == "digest":
        window = await _window_for(ctx.conn, ctx.now, timedelta(minutes=rules.application_digest_minutes))
        if window is not None:
            await application_digests.hold(ctx.conn, window, app_id)
            return
    build = await application_card.card(ctx.conn, ctx.services, app_id)
    for coordinator in await persons.persons_with_role(ctx.conn, "coordinator"):
        await ctx.notify(coordinator, f"app:{app_id}:new:{coordinator}", build)


async def _window_for(conn: Connection, now: datetime, span: timedelta) -> int | None:
    """The open window a new application waits in; None when it should be told at once
    (a window then opens from now)."""
    last = await application_digests.latest(conn)
    if last is not None and now < last.closes_at:
        return last.id
    if last is not None:
        told_at = await _digest_time(conn, last)
        if told_at is not None and now < told_at + span:
            # Coordinators were just told (or are being told) of a digest: still not quiet.
            return await application_digests.open_window(conn, told_at, told_at + span)
    await application_digests.open_window(conn, now, now + span)
    return None


async def _digest_time(conn: Connection, window: Window) -> datetime | None:
    """When the window's digest went (or goes, if the job has not run yet) out; None if it
    had nothing to say, so the spell after it was quiet."""
    if window.sent_at is not None:
        return window.sent_at if window.sent_count else None
    return window.closes_at if await application_digests.waiting(conn, window.id) else None


async def close_due(s: Services, now: datetime) -> int:
    """Scheduler job: send the digest of every window that has closed; returns messages written."""
    written = 0
    async with s.db.transaction() as conn:
        for window in await application_digests.due(conn, now):
            written += await _close(conn, s, window, now)
    return written


async def _close(conn: Connection, s: Services, window: Window, now: datetime) -> int:
    ids = await application_digests.waiting(conn, window.id)
    if not await application_digests.mark_sent(conn, window.id, now, len(ids)):
        return 0
    if not ids:
        return 0
    coordinators = await persons.persons_with_role(conn, "coordinator")
    if len(ids) == 1:
        build = await application_card.card(conn, s, ids[0])
        keys = {c: f"app:{ids[0]}:new:{c}" for c in coordinators}
    else:
        build = _digest(s, len(ids), await applications.count_pending(conn))
        keys = {c: f"appdigest:{window.id}:{c}" for c in coordinators}
    sent = 0
    for coordinator, key in keys.items():
        sent += await notify(conn, s, coordinator, key, build, now=now)
    return sent


def _digest(s: Services, count: int, pending: int) -> CardBuilder:
    texts = s.texts

    def build(lang: str) -> Reply:
        text = texts.get(lang, "digest.new", count=count, pending=pending)
        return Reply(text, [[Button(texts.get(lang, "digest.review"), "apl|p|0")]])

    return build
