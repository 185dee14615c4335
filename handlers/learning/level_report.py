"""Levels in numbers, for /progress and the export: how many interns are at each level,
how far each level got, and the cohort's shift between the entry and exit sittings.

Regional monitoring asks exactly this of professional development: the deficits before,
the change after. Counted from rows already read, so /progress stays one pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.context import Ctx
from bot.messages import OutFile, Reply
from handlers.coordination import charts
from scenarios.diagnostic import Diagnostic
from scenarios.models import Programme, Question, pick
from scenarios.routes import completion_for
from scenarios.stage_work import survey_stage
from storage import levels
from storage import survey as survey_results
from storage.completion import passed
from storage.connection import Connection
from storage.levels import LevelRow

NONE = "-"
"""The key of interns without a level (the diagnostic not taken)."""


@dataclass(slots=True)
class LevelCount:
    level: str
    people: int = 0
    complete: int = 0
    steps_done: int = 0
    steps_needed: int = 0
    start: int = 0
    end: int = 0
    survey: list[tuple[Question, float]] = field(default_factory=list)

    @property
    def share(self) -> int:
        """How far the level got: the completion criteria met, in per cent of those asked."""
        return round(100 * self.steps_done / self.steps_needed) if self.steps_needed else 0


@dataclass(slots=True)
class LevelReport:
    counts: list[LevelCount]
    up: int = 0
    same: int = 0
    down: int = 0

    @property
    def sittings(self) -> int:
        """Sittings taken at all (entry and exit), so an empty cohort gets no chart."""
        return sum(c.start + c.end for c in self.counts)


def change(diagnostic: Diagnostic, row: LevelRow | None) -> int | None:
    """Exit rank minus entry rank; None until both sittings are taken."""
    if row is None or row.start_level is None or row.end_level is None:
        return None
    start, end = diagnostic.rank(row.start_level), diagnostic.rank(row.end_level)
    return None if start is None or end is None else end - start


async def collect(
    conn: Connection, programme: Programme, people: list[int],
    statuses: dict[tuple[int, str], str], *, survey: bool = True,
) -> LevelReport | None:
    diagnostic = programme.diagnostic
    if diagnostic is None:
        return None
    rows = await levels.of_people(conn, people)
    counts = {lv.id: LevelCount(lv.id) for lv in diagnostic.levels}
    counts[NONE] = LevelCount(NONE)
    report = LevelReport(list(counts.values()))
    for pid in people:
        row = rows.get(pid)
        mine = row.level if row and diagnostic.level(row.level) else None
        count = counts[mine or NONE]
        count.people += 1
        needed = completion_for(programme, mine)
        met = sum(1 for s in needed if passed(programme.stage(s), statuses.get((pid, s))))
        count.steps_done += met
        count.steps_needed += len(needed)
        count.complete += int(met == len(needed))
        if row and row.start_level in counts:
            counts[row.start_level].start += 1
        if row and row.end_level in counts:
            counts[row.end_level].end += 1
        moved = change(diagnostic, row)
        if moved is not None:
            report.up += moved > 0
            report.same += moved == 0
            report.down += moved < 0
    stage_id = survey_stage(programme)
    if survey and stage_id:
        questions = {q.id: q for q in programme.form(stage_id).questions}
        for lv in diagnostic.levels:
            among = [p for p in people if rows.get(p) and rows[p].level == lv.id]
            if not among:
                continue
            result = await survey_results.aggregate(conn, programme, stage_id, among=among)
            counts[lv.id].survey = [(questions[r.id], r.mean) for r in result.questions
                                    if r.kind == "scale" and r.mean is not None]
    return report


def level_name(programme: Programme, level_id: str, lang: str, none: str) -> str:
    level = programme.diagnostic.level(level_id) if programme.diagnostic else None
    return pick(level.name, lang) if level else none


def render(ctx: Ctx, report: LevelReport) -> list[str]:
    programme = ctx.services.programme
    none = ctx.t("levels.no_level")
    lines = [ctx.t("levelreport.title")]
    for count in report.counts:
        if count.level == NONE and not count.people:
            continue
        lines.append(ctx.t("levelreport.line", level=level_name(programme, count.level, ctx.lang, none),
                           people=count.people, complete=count.complete, share=count.share))
    lines.append(ctx.t("levelreport.shift_title"))
    for count in report.counts:
        if count.level != NONE:
            lines.append(ctx.t("levelreport.shift_line", start=count.start, end=count.end,
                               level=level_name(programme, count.level, ctx.lang, none)))
    lines.append(ctx.t("levelreport.moved", up=report.up, same=report.same, down=report.down))
    for count in report.counts:
        if count.survey:
            means = "; ".join(f"{pick(q.prompt, ctx.lang)[:30]}… {mean}" for q, mean in count.survey)
            lines.append(ctx.t("levelreport.survey", means=means,
                               level=level_name(programme, count.level, ctx.lang, none)))
    return lines


def chart(ctx: Ctx, report: LevelReport, title: str) -> Callable[[], Awaitable[Reply]]:
    """Start against end per level: the cohort's shift as a picture (built after the transaction)."""
    programme = ctx.services.programme
    shown = [c for c in report.counts if c.level != NONE]
    labels = [level_name(programme, c.level, ctx.lang, "") for c in shown]
    start, end = [c.start for c in shown], [c.end for c in shown]
    legend = [ctx.t("levelreport.legend_start"), ctx.t("levelreport.legend_end")]
    caption = ctx.t("levelreport.chart_caption", scope=title)
    heading = ctx.t("levelreport.chart_title")

    async def build() -> Reply:
        png = await asyncio.to_thread(charts.level_shift, labels, start, end, legend, heading)
        return Reply(caption, file=OutFile("levels.png", data=png, kind="photo", mime="image/png"))

    return build
