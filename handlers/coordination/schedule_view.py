"""`/schedule`: what the reminders will do next, in the coordinator's own time.

A reminder planned for 214 interns in eleven zones is one line with its spread and its
count («за 48 ч до срока …: 9 дек 01:00–08:00 по вашему времени, 214 человек»). The
totals under the list are counted from the same rows as the lines, and the queue is the
reminder messages already written, so the figures always agree with the list.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.local_time import zone_of
from handlers.coordination import coordinator_time
from scenarios.models import pick
from scenarios.timezones import zone_label
from storage import flags, outbox
from storage import reminders as reminder_store
from storage.reminders import Line

LIMIT = 12
"""Lines shown; the rest are summed up as "later", so nothing goes uncounted."""


def _title(ctx: Ctx, line: Line) -> str:
    programme = ctx.services.programme
    try:
        found = programme.event(line.ref) if line.kind == "event" else programme.stage(line.ref)
    except KeyError:
        return line.ref
    return pick(found.title, ctx.lang)


def _slot(ctx: Ctx, slot: str) -> str:
    """`48h` -> `48 ч`, `2d` -> `2 дн.`, `30m` -> `30 мин` (also `1d 12h`)."""
    units = {"d": ctx.t("coord.unit.d"), "h": ctx.t("coord.unit.h"), "m": ctx.t("coord.unit.m")}
    parts = [f"{part[:-1]} {units[part[-1]]}" if part[-1:] in units and part[:-1].isdigit() else part
             for part in slot.split()]
    return " ".join(parts)


async def show(ctx: Ctx) -> None:
    zone = zone_of(ctx.person.timezone, ctx.services.settings.default_timezone)
    texts, lang = ctx.services.texts, ctx.lang
    lines = [ctx.t("coord.sched.title", zone=zone_label(zone.key, lang))]
    planned = await reminder_store.planned_lines(ctx.conn)
    shown, later = planned[:LIMIT], planned[LIMIT:]
    for line in shown:
        kind = "morning" if line.kind == "deadline" and line.slot == "morning" else line.kind
        lines.append(ctx.t(
            f"coord.sched.line_{kind}", title=_title(ctx, line), slot=_slot(ctx, line.slot),
            when=coordinator_time.span(texts, lang, line.first_due, line.last_due, zone),
            spread=line.first_due != line.last_due, people=line.people,
            morning=ctx.services.programme.reminders.deadline_morning or "",
        ))
    if not planned:
        lines.append(ctx.t("coord.sched.nothing"))
    total = sum(line.people for line in planned)
    in_list = sum(line.people for line in shown)
    lines.append("")
    lines.append(ctx.t("coord.sched.total", total=total, shown=in_list, later=total - in_list,
                       later_lines=len(later)))
    counts = await outbox.status_counts(ctx.conn, reminder_store.KEY_PREFIX)
    held = await outbox.held_count(ctx.conn, reminder_store.KEY_PREFIX, ctx.now)
    paused = await flags.get(ctx.conn, flags.PAUSED) == "1"
    lines.append(ctx.t("coord.sched.delivery", paused=paused,
                       waiting=counts.get("pending", 0) + counts.get("sending", 0), until_morning=held,
                       sent=counts.get("sent", 0),
                       failed=counts.get("failed", 0) + counts.get("unreachable", 0),
                       dropped=counts.get("cancelled", 0)))
    await ctx.reply("\n".join(lines))
