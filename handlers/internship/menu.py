"""The intern's menu, always one tap away: what's next, deadlines, events, a tutor, progress.

Teachers "want everything in two words": each answer is short, in the intern's own
time zone, and ends with the menu again, so nobody is left wondering what to do.
"""

from __future__ import annotations

from datetime import datetime

from bot import people
from bot.context import Ctx
from bot.i18n import LANGUAGES, Texts
from bot.local_time import local
from bot.messages import Button, Reply
from bot.router import Handler
from bot.services import Services
from handlers.internship import local_deadlines, route, timetable
from scenarios.models import Stage, pick
from scenarios.stage_work import action_key, later_stages, needs_work
from storage import dialogs, openings, stages, teams
from storage.completion import completion
from storage.stages import FINISHED

INTERN = {"intern"}


def register(s: Services) -> None:
    s.router.command("menu", show, INTERN)
    s.router.payload("menu", on_button, INTERN)
    for lang in LANGUAGES:
        for row in rows(s.texts, lang):
            for key in row:
                s.router.key(key.label, key.payload)
    original = s.router.commands.get("help")
    if original is not None:
        s.router.command("help", _with_menu(original.handler), None)


def status_text(texts: Texts, lang: str, kind: str, status: str) -> str:
    """A stage's status after its title: the stage kind's own wording where it has one.

    The title's gender is unknown (it is the programme's data), so the wordings need no
    agreement with it; an application is "approved", a work "waits for the tutor".
    """
    return texts.first(lang, [f"myprogress.status_of.{kind}.{status}", f"myprogress.status.{status}"])


def rows(texts: Texts, lang: str) -> list[list[Button]]:
    def b(key: str, payload: str) -> Button:
        return Button(texts.get(lang, f"menu.{key}"), payload)

    return [
        [b("next", "menu|next"), b("deadlines", "menu|deadlines")],
        [b("events", "ev|list"), b("ask", "ask")],
        [b("progress", "menu|progress")],
    ]


def keyboard_reply(texts: Texts, lang: str) -> Reply:
    """The menu as a keyboard that stays under the input field: on a phone it is always
    one tap away, even when the message with the inline menu has scrolled out of sight."""
    return Reply(texts.get(lang, "menu.keyboard_note"), keyboard=rows(texts, lang))


async def show_keyboard(ctx: Ctx) -> None:
    await ctx.reply(ctx.t("menu.keyboard_note"), keyboard=rows(ctx.services.texts, ctx.lang))


def _with_menu(help_handler: Handler) -> Handler:
    """/help (and the answer to an idle message) ends, for interns outside a form, with
    what to do now and the menu: the help text itself cannot know which stage is open or
    what waits. In a form its question comes last instead (/menu still works)."""

    async def help_with_menu(ctx: Ctx) -> None:
        await help_handler(ctx)
        dialog = await dialogs.get(ctx.conn, ctx.person.id)
        in_form = dialog is not None and dialog.kind == "form"
        if ctx.has_role("intern") and not in_form:
            await whats_next(ctx)

    return help_with_menu


async def show(ctx: Ctx) -> None:
    await ctx.reply(ctx.t("menu.title"), rows(ctx.services.texts, ctx.lang))


async def on_button(ctx: Ctx) -> None:
    actions = {"next": whats_next, "deadlines": deadlines, "progress": progress}
    action = actions.get(ctx.args[0]) if len(ctx.args) == 1 else None
    if action is None:
        await ctx.services.core.stale(ctx)
        return
    await action(ctx)


def _when(ctx: Ctx, moment: datetime) -> str:
    return local(moment, ctx.person.timezone, ctx.services.programme.timezone, ctx.lang)


async def _deadline(ctx: Ctx, stage: Stage) -> tuple[datetime | None, str]:
    """The intern's own deadline of a stage (a local one follows their clock) and its words."""
    programme = ctx.services.programme
    zone = timetable.intern_zone(programme, ctx.person.timezone)
    moment = await timetable.stage_deadline(ctx.conn, programme, stage.id, zone)
    if moment is None:
        return None, ""
    words = local_deadlines.for_intern(ctx.services.texts, ctx.lang, stage, moment, ctx.person.timezone,
                                       programme)
    return moment, words


async def whats_next(ctx: Ctx) -> None:
    """What to do now (with the button that starts it), what waits for review, what comes next."""
    programme = ctx.services.programme
    opened = await openings.opened(ctx.conn)
    statuses = await stages.statuses_of(ctx.conn, ctx.person.id)
    lines: list[str] = []
    buttons: list[list[Button]] = []
    dialog = await dialogs.get(ctx.conn, ctx.person.id)
    draft = dialog.data.get("items", []) if dialog and dialog.kind == "homework" else []
    for stage in await in_timeline(ctx, await route.my_route(ctx, later_stages(programme))):
        status = statuses.get(stage.id)
        title = pick(stage.title, ctx.lang)
        if stage.id not in opened or not needs_work(stage):
            continue
        if status not in FINISHED:
            _, when = await _deadline(ctx, stage)
            key = "menu.todo_returned" if status == "returned" else "menu.todo"
            lines.append(ctx.t(key, title=title, deadline=when))
            if draft and dialog is not None and dialog.ref == stage.id:
                lines.append(ctx.t("menu.draft", count=len(draft)))
                buttons.append([Button(ctx.t("hw.send", count=len(draft)), "hw|send")])
            label = f"{ctx.t(action_key(stage))}: {title}"
            buttons.append([Button(label[:60], f"go|{stage.id}")])
        elif status == "submitted" and stage.submission is not None:
            lines.append(ctx.t("menu.waiting_review", title=title))
    upcoming = await _upcoming(ctx, opened)
    if upcoming is not None:
        lines.append(ctx.t("menu.upcoming", what=upcoming[1], when=_when(ctx, upcoming[0])))
    # a diagnostic sitting due: after the timeline, with its own button
    which = await route.pending_sitting(ctx.conn, programme, ctx.person.id)
    if which is not None and programme.diagnostic is not None:
        title = pick(programme.diagnostic.title, ctx.lang)
        lines.append(ctx.t(f"levels.todo_{route.SITTING[which]}", title=title))
        buttons.append([Button(ctx.t("levels.take"), f"dg|go|{route.SITTING[which]}")])
    if not lines:
        lines.append(ctx.t("menu.nothing_now"))
    await ctx.reply("\n\n".join(lines), buttons + rows(ctx.services.texts, ctx.lang))


async def in_timeline(ctx: Ctx, chosen: list[Stage]) -> list[Stage]:
    """Stages in the order of the timeline, as they stand now (a moved deadline moves its
    stage): by deadline, else opening, else meeting; the programme's order breaks ties."""
    programme = ctx.services.programme
    keyed: list[tuple[datetime, int, Stage]] = []
    for index, stage in enumerate(chosen):
        moment = (await timetable.stage_deadline(ctx.conn, programme, stage.id)
                  or await timetable.stage_opens(ctx.conn, programme, stage.id)
                  or (await timetable.event_start(ctx.conn, programme, stage.event) if stage.event else None)
                  or datetime.max.replace(tzinfo=ctx.now.tzinfo))
        keyed.append((moment, index, stage))
    return [stage for _, _, stage in sorted(keyed, key=lambda item: (item[0], item[1]))]


async def _upcoming(ctx: Ctx, opened: dict[str, datetime]) -> tuple[datetime, str] | None:
    """The nearest future event or stage opening."""
    programme = ctx.services.programme
    items: list[tuple[datetime, str]] = []
    for event in programme.events:
        at = await timetable.event_start(ctx.conn, programme, event.id)
        if at > ctx.now:
            items.append((at, pick(event.title, ctx.lang)))
    for stage in await route.my_route(ctx, later_stages(programme)):
        at = await timetable.stage_opens(ctx.conn, programme, stage.id)
        if stage.id not in opened and at is not None and at > ctx.now:
            items.append((at, ctx.t("menu.stage_opens", title=pick(stage.title, ctx.lang))))
    return min(items, key=lambda item: item[0]) if items else None


async def deadlines(ctx: Ctx) -> None:
    programme = ctx.services.programme
    statuses = await stages.statuses_of(ctx.conn, ctx.person.id)
    lines = [ctx.t("menu.deadlines_title")]
    for stage in await route.my_route(ctx, later_stages(programme)):
        deadline, when = await _deadline(ctx, stage)
        if deadline is None or not needs_work(stage):
            continue
        status = statuses.get(stage.id) or "not_open"
        mark = "✅" if status in FINISHED else ("⚠️" if deadline < ctx.now else "•")
        lines.append(ctx.t("menu.deadline_line", mark=mark, title=pick(stage.title, ctx.lang),
                           when=when, status=status_text(ctx.services.texts, ctx.lang, stage.kind, status)))
    await ctx.reply("\n".join(lines), rows(ctx.services.texts, ctx.lang))


async def progress(ctx: Ctx) -> None:
    """Every stage with its status, the team and tutor, and what the certificate still needs."""
    programme = ctx.services.programme
    statuses = await stages.statuses_of(ctx.conn, ctx.person.id)
    lines = [ctx.t("myprogress.title")]
    team = await teams.team_of(ctx.conn, ctx.person.id)
    if team is not None:
        # the same name /myteam and the team announcement give (full name, else messenger name)
        tutor = (await people.names(ctx.conn, [team.tutor_id]))[team.tutor_id] if team.tutor_id else "—"
        lines.append(ctx.t("myprogress.team", team=team.name, tutor=tutor))
    level = await route.level_line(ctx)
    if level:
        lines.append(level)
    for stage in await route.my_route(ctx, list(programme.stages)):
        status = statuses.get(stage.id) or "not_open"
        shown = status_text(ctx.services.texts, ctx.lang, stage.kind, status)
        lines.append(f"• {pick(stage.title, ctx.lang)}: {shown}")
    state = await completion(ctx.conn, programme, ctx.person.id)
    if state.complete:
        lines.append(ctx.t("myprogress.all_done"))
    else:
        missing = ", ".join(pick(programme.stage(s).title, ctx.lang) for s in state.missing)
        lines.append(ctx.t("myprogress.missing", done=len(state.done),
                           total=len(state.done) + len(state.missing), missing=missing))
    await ctx.reply("\n".join(lines), rows(ctx.services.texts, ctx.lang))
