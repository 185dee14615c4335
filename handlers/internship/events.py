"""Online events: the list in local time, the conference link, an .ics file, "I won't attend".

Before every event the interns need its link in one obvious place; the calendar file
saves them from copying times by hand, and the tutor learns who will be missing.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import to_iso
from bot.context import Ctx
from bot.local_time import local
from bot.messages import Button, OutFile, Reply
from bot.services import Services
from handlers.internship import menu, timetable
from handlers.internship.ics import event_ics
from scenarios.models import pick
from storage import absences, teams

MEMBERS = {"intern", "tutor", "coordinator"}


def register(s: Services) -> None:
    s.router.command("events", show_events, MEMBERS)
    s.router.payload("ev", on_button, MEMBERS)
    s.router.command("absences", list_absences, {"coordinator"})


async def show_events(ctx: Ctx) -> None:
    """One message per upcoming event with its buttons; past events in one line."""
    programme = ctx.services.programme
    past: list[str] = []
    upcoming = 0
    for event in programme.events:
        start = await timetable.event_start(ctx.conn, programme, event.id)
        title = pick(event.title, ctx.lang)
        if start + timedelta(minutes=event.duration_minutes) <= ctx.now:
            past.append(title)
            continue
        upcoming += 1
        when = local(start, ctx.person.timezone, programme.timezone, ctx.lang)
        lines = [ctx.t("events.card", title=title, when=when, minutes=event.duration_minutes)]
        if event.description:
            lines.append(pick(event.description, ctx.lang))
        if event.link:
            lines.append(ctx.t("events.link", link=event.link))
        rows: list[list[Button]] = []
        if event.link:
            rows.append([Button(ctx.t("events.join"), url=event.link)])
        rows.append([Button(ctx.t("events.calendar"), f"ev|ics|{event.id}")])
        if ctx.has_role("intern") and start > ctx.now:
            if await absences.is_absent(ctx.conn, ctx.person.id, event.id):
                lines.append(ctx.t("events.you_said_absent"))
                rows.append([Button(ctx.t("events.will_attend"), f"ev|undo|{event.id}")])
            else:
                rows.append([Button(ctx.t("events.wont_attend"), f"ev|skip|{event.id}")])
        await ctx.reply("\n\n".join(lines), rows)
    if past:
        await ctx.reply(ctx.t("events.past", titles="; ".join(past)))
    if not upcoming:
        await ctx.reply(ctx.t("events.none_upcoming"))
    if ctx.has_role("intern"):
        await ctx.reply(ctx.t("menu.title"), menu.rows(ctx.services.texts, ctx.lang))


async def on_button(ctx: Ctx) -> None:
    """`ev|list`, `ev|ics|<event>`, `ev|skip|<event>`, `ev|undo|<event>`."""
    programme = ctx.services.programme
    if ctx.args == ["list"]:
        await show_events(ctx)
        return
    event_ids = {e.id for e in programme.events}
    if len(ctx.args) != 2 or ctx.args[1] not in event_ids or ctx.args[0] not in ("ics", "skip", "undo"):
        await ctx.services.core.stale(ctx)
        return
    action, event_id = ctx.args
    event = programme.event(event_id)
    start = await timetable.event_start(ctx.conn, programme, event_id)
    if action == "ics":
        data = event_ics(programme, event, start, ctx.lang, ctx.now)
        await ctx.reply(
            ctx.t("events.ics_sent", title=pick(event.title, ctx.lang)),
            file=OutFile(f"{event_id}.ics", data=data, mime="text/calendar"),
        )
        return
    if not ctx.has_role("intern"):
        await ctx.services.core.refuse(ctx, frozenset({"intern"}))
        return
    if start <= ctx.now:
        await ctx.reply(ctx.t("events.already_started", title=pick(event.title, ctx.lang)))
        return
    if action == "skip":
        await absences.mark(ctx.conn, ctx.person.id, event_id, ctx.now)
        await ctx.reply(ctx.t("events.absent_noted", title=pick(event.title, ctx.lang)),
                        menu.rows(ctx.services.texts, ctx.lang))
        await _tell_tutor(ctx, event_id, "events.tutor_absent")
    else:
        if await absences.unmark(ctx.conn, ctx.person.id, event_id):
            await _tell_tutor(ctx, event_id, "events.tutor_attends")
        await ctx.reply(ctx.t("events.attend_noted", title=pick(event.title, ctx.lang)),
                        menu.rows(ctx.services.texts, ctx.lang))


async def _tell_tutor(ctx: Ctx, event_id: str, key: str) -> None:
    team = await teams.team_of(ctx.conn, ctx.person.id)
    if team is None or team.tutor_id is None:
        return
    texts, event = ctx.services.texts, ctx.services.programme.event(event_id)
    name = ctx.person.full_name or ctx.account.display_name or "—"

    def build(lang: str) -> Reply:
        return Reply(texts.get(lang, key, name=name, team=team.name, title=pick(event.title, lang)))

    stamp = to_iso(ctx.now)
    await ctx.notify(team.tutor_id, f"absent:{event_id}:{ctx.person.id}:{key}:{stamp}", build)


async def list_absences(ctx: Ctx) -> None:
    rows = await absences.absent(ctx.conn)
    if not rows:
        await ctx.reply(ctx.t("events.no_absences"))
        return
    programme = ctx.services.programme
    lines = [ctx.t("events.absences_title")]
    for event_id, _, name, team in rows:
        title = pick(programme.event(event_id).title, ctx.lang) if event_id in {
            e.id for e in programme.events} else event_id
        lines.append(f"• {title}: {name or '—'} ({team or '—'})")
    await ctx.reply("\n".join(lines))
