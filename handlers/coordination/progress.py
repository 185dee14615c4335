"""`/progress`: where the cohort stands — per stage and form step, overdue people, open
tickets, survey response — as text plus a chart, for everyone or one team.

Coordinators see everything; a tutor sees only their own teams.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.context import Ctx
from bot.keyboards import grid
from bot.messages import Button, OutFile, Reply
from bot.people import names
from bot.services import Services
from handlers.coordination import charts
from handlers.internship import timetable
from handlers.learning import level_report
from scenarios.models import Programme, Question, pick
from scenarios.routes import on_route
from scenarios.stage_work import survey_stage
from storage import cohort, levels, teams, tickets
from storage import reminders as reminder_rows
from storage import survey as survey_results
from storage.connection import Connection
from storage.db import fetchall
from storage.stages import FINISHED

STAFF = {"coordinator", "tutor"}
SHOWN_OVERDUE = 5
SURVEY_PROMPT = 60
"""Characters of a survey question shown beside its average."""


@dataclass(slots=True)
class StageCount:
    stage_id: str
    done: int = 0
    working: int = 0
    waiting: int = 0


@dataclass(slots=True)
class Progress:
    people: list[int]
    stages: list[StageCount] = field(default_factory=list)
    steps: dict[tuple[str, int], int] = field(default_factory=dict)
    overdue: dict[str, list[int]] = field(default_factory=dict)
    open_tickets: int = 0
    survey_done: int = 0
    survey_means: list[tuple[Question, float]] = field(default_factory=list)
    """Each scale item of the survey anyone answered, with its average."""
    levels: level_report.LevelReport | None = None
    """Levels, how far each got, the shift between sittings (a programme with a diagnostic)."""


def register(s: Services) -> None:
    s.router.command("progress", show, STAFF)
    s.router.payload("pg", show_team, STAFF)


async def collect(
    conn: Connection, programme: Programme, now: datetime, people: list[int]
) -> Progress:
    report = Progress(people)
    scope = set(people)
    statuses: dict[tuple[int, str], str] = {
        (r["person_id"], r["stage_id"]): r["status"]
        for r in await fetchall(conn, "SELECT person_id, stage_id, status FROM stage_status")
        if r["person_id"] in scope
    }
    zones: dict[int, str | None] | None = None
    known = await levels.of_people(conn, people) if programme.diagnostic else {}
    everyone = people
    for stage in programme.stages:
        count = StageCount(stage.id)
        # a stage counts the interns whose route it is on (a level's own stage: theirs only)
        people = [p for p in everyone if on_route(programme, stage, known[p].level if p in known else None)]
        for pid in people:
            status = statuses.get((pid, stage.id))
            if status in FINISHED:
                count.done += 1
            elif status in ("open", "returned"):
                count.working += 1
            else:
                count.waiting += 1
        report.stages.append(count)
        deadline = await timetable.stage_deadline(conn, programme, stage.id)
        if deadline is not None and stage.id != programme.application.id:
            if stage.deadline_local:  # each intern's own clock: Vladivostok is late first
                zones = zones if zones is not None else await reminder_rows.zones(conn, people)
                past = [p for p in people if timetable.personal(
                    programme, stage.id, deadline, timetable.intern_zone(programme, zones.get(p))) < now]
            else:
                past = people if deadline < now else []
            late = [p for p in past if statuses.get((p, stage.id)) not in FINISHED]
            if late:
                report.overdue[stage.id] = late
    people = everyone
    rows = await fetchall(
        conn, "SELECT person_id, form_id, step FROM form_progress WHERE status = 'in_progress'"
    )
    report.steps = dict(sorted(Counter(
        (r["form_id"], r["step"]) for r in rows if r["person_id"] in scope
    ).items()))
    report.open_tickets = await tickets.count_waiting(conn, scope)
    survey = survey_stage(programme)
    if survey:
        report.survey_done = next(s.done for s in report.stages if s.stage_id == survey)
        questions = {q.id: q for q in programme.form(survey).questions}
        result = await survey_results.aggregate(conn, programme, survey, among=scope)
        report.survey_means = [(questions[r.id], r.mean) for r in result.questions
                               if r.kind == "scale" and r.mean is not None]
    report.levels = await level_report.collect(conn, programme, people, statuses)
    return report


async def render_lines(ctx: Ctx, report: Progress, title: str) -> list[str]:
    programme = ctx.services.programme
    lines = [ctx.t("progress.title", scope=title, count=len(report.people)),
             ctx.t("progress.stages_legend")]
    for count in report.stages:
        lines.append(ctx.t("progress.stage_line", stage=pick(programme.stage(count.stage_id).title, ctx.lang),
                           done=count.done, working=count.working, waiting=count.waiting))
    for (form_id, step), n in report.steps.items():
        lines.append(ctx.t("progress.step_line", form=ctx.services.forms.title(ctx, form_id),
                           step=step + 1, count=n))
    if report.overdue:
        shown = await names(ctx.conn, {p for late in report.overdue.values() for p in late})
        for stage_id, late in report.overdue.items():
            who = ", ".join(shown[p] for p in late[:SHOWN_OVERDUE])
            more = len(late) - SHOWN_OVERDUE
            lines.append(ctx.t("progress.overdue", stage=pick(programme.stage(stage_id).title, ctx.lang),
                               count=len(late), names=who, more=max(more, 0)))
    else:
        lines.append(ctx.t("progress.no_overdue"))
    lines.append(ctx.t("progress.tickets", count=report.open_tickets))
    if survey_stage(programme):
        total = len(report.people)
        rate = round(100 * report.survey_done / total) if total else 0
        lines.append(ctx.t("progress.survey", done=report.survey_done, total=total, rate=rate))
        for question, mean in report.survey_means:
            prompt = pick(question.prompt, ctx.lang).split("\n")[0]
            short = prompt if len(prompt) <= SURVEY_PROMPT else prompt[: SURVEY_PROMPT - 1] + "…"
            lines.append(ctx.t("progress.survey_mean", question=short, mean=mean, top=question.scale_max))
    if report.levels is not None:
        lines.extend(level_report.render(ctx, report.levels))
    return lines


def chart(ctx: Ctx, report: Progress, title: str) -> Callable[[], Awaitable[Reply]]:
    """The chart as a later reply: drawn in a worker thread (off the event loop), after
    the update's transaction (off the database), from the counts already collected."""
    programme = ctx.services.programme
    labels = [pick(programme.stage(c.stage_id).title, ctx.lang) for c in report.stages]
    series = [[c.done for c in report.stages], [c.working for c in report.stages],
              [c.waiting for c in report.stages]]
    legend = [ctx.t("progress.legend_done"), ctx.t("progress.legend_working"),
              ctx.t("progress.legend_waiting")]
    caption = ctx.t("progress.chart_caption", scope=title)

    async def build() -> Reply:
        png = await asyncio.to_thread(charts.stage_bars, labels, series, legend, title)
        return Reply(caption, file=OutFile("progress.png", data=png, kind="photo", mime="image/png"))

    return build


async def _send(ctx: Ctx, people: list[int], title: str, buttons: list[list[Button]]) -> None:
    report = await collect(ctx.conn, ctx.services.programme, ctx.now, people)
    await ctx.reply("\n".join(await render_lines(ctx, report, title)), buttons)
    if people:
        ctx.reply_later(chart(ctx, report, title))
        if report.levels is not None and report.levels.sittings:  # no chart of zeros
            ctx.reply_later(level_report.chart(ctx, report.levels, title))


async def _visible_teams(ctx: Ctx) -> list[teams.Team]:
    if ctx.has_role("coordinator"):
        return await teams.all_teams(ctx.conn)
    return await teams.teams_of_tutor(ctx.conn, ctx.person.id)


async def show(ctx: Ctx) -> None:
    visible = await _visible_teams(ctx)
    buttons = grid([Button(t.name, f"pg|{t.id}") for t in visible], 3)
    if ctx.has_role("coordinator"):
        await _send(ctx, await cohort.interns(ctx.conn), ctx.t("progress.everyone"), buttons)
        return
    if not visible:
        await ctx.reply(ctx.t("teams.tutor_none"))
        return
    people = sorted({p for t in visible for p in await teams.members(ctx.conn, t.id)})
    await _send(ctx, people, ctx.t("progress.my_teams"), buttons)


async def show_team(ctx: Ctx) -> None:
    """`pg|<team>`: one team's progress; a tutor may open only their own teams."""
    if ctx.args == ["all"]:
        await show(ctx)
        return
    team = await teams.get(ctx.conn, int(ctx.args[0])) if ctx.args and ctx.args[0].isdigit() else None
    if team is None:
        await ctx.services.core.stale(ctx)
        return
    if not ctx.has_role("coordinator") and team.tutor_id != ctx.person.id:
        await ctx.reply(ctx.t("progress.not_your_team"))
        return
    back = [[Button(ctx.t("progress.back_all"), "pg|all")]] if ctx.has_role("coordinator") else []
    await _send(ctx, await teams.members(ctx.conn, team.id), team.name, back)
