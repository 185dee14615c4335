"""/progress: the funnel (applied → approved → each stage → certificate), each stage's
done / working / not started, the teams side by side, the overdue, and (a programme with
a diagnostic) the levels and their shift, all drawn as inline SVG in the page.

The numbers are the chat's own: `progress.collect` (what /progress counts) and
`level_report` inside it, for the same people the chat would show this viewer: a
coordinator everyone or any team, a tutor their own teams only.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from bot.people import names
from handlers.coordination import progress
from handlers.learning import level_report
from handlers.tickets.staff import STAFF
from scenarios.models import pick
from storage import cohort, panel_people, panel_reports, teams
from web import svg
from web.panel import Panel
from web.viewer import Viewer

CARD = 540
"""A half-width card's drawing on a desktop (base.html: main is 1200 px, two columns)."""
SHOWN_LATE = 12
"""Names listed per overdue stage; the rest are one link away in /people."""


def register(panel: Panel) -> None:
    panel.page("/progress", partial(show, panel), STAFF, nav="panel.nav.progress")


async def show(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    programme, lang = panel.s.programme, viewer.lang
    coordinator = viewer.has_role("coordinator")
    raw = request.query.get("team", "")
    async with panel.s.db.read() as conn:
        visible = await (teams.all_teams(conn) if coordinator
                         else teams.teams_of_tutor(conn, viewer.person.id))
        team = None
        if raw:
            team = next((t for t in visible if str(t.id) == raw), None)
            if team is None:  # not a team, or (for a tutor) not theirs: the chat's rule
                return await panel.error(request, 403, "panel.errors.forbidden", viewer)
            people = await teams.members(conn, team.id)
        elif coordinator:
            people = await cohort.interns(conn)
        else:
            people = sorted({p for t in visible for p in await teams.members(conn, t.id)})
        report = await progress.collect(conn, programme, panel.s.clock.now(), people)
        applied = await panel_reports.applied(conn) if coordinator and team is None else None
        certified = len(await panel_reports.certified(conn) & set(people))
        late_ids = {p for late in report.overdue.values() for p in late[:SHOWN_LATE]}
        who = await names(conn, late_ids)
        per_team = await panel_people.teams_overview(conn, None if coordinator else viewer.person.id)
        done_by_team = await panel_people.team_stage_done(conn)
        tutor_names = await names(conn, {t.tutor_id for t in per_team if t.tutor_id})

    stage_counts = [c for c in report.stages if c.stage_id != programme.application.id]
    titles = {c.stage_id: pick(programme.stage(c.stage_id).title, lang) for c in report.stages}
    steps: list[tuple[str, int]] = []
    if applied is not None:
        steps += [(viewer.t("panel.progress.applied"), applied.applied),
                  (viewer.t("panel.progress.approved"), applied.approved)]
    else:
        steps.append((viewer.t("panel.progress.in_scope"), len(people)))
    steps += [(titles[c.stage_id], c.done) for c in stage_counts]
    steps.append((viewer.t("panel.progress.certificate"), certified))
    scope = team.name if team else viewer.t("progress.everyone" if coordinator else "progress.my_teams")

    legend = [viewer.t("progress.legend_done"), viewer.t("progress.legend_working"),
              viewer.t("progress.legend_waiting")]
    overdue = [{
        "stage": titles[stage_id], "stage_id": stage_id, "count": len(late),
        "people": [(p, who.get(p, f"#{p}")) for p in late[:SHOWN_LATE]],
        "more": max(0, len(late) - SHOWN_LATE),
    } for stage_id, late in report.overdue.items()]
    team_rows = [{
        "id": t.id, "name": t.name, "size": t.size,
        "tutor": tutor_names.get(t.tutor_id, "") if t.tutor_id else "",
        "cells": [(n, svg.share(n, t.size))
                  for n in (done_by_team.get((t.id, c.stage_id), 0) for c in stage_counts)],
    } for t in per_team]
    return await panel.render(
        request, viewer, "progress.html", scope=scope, team=team, visible=visible, people=len(people),
        coordinator=coordinator,
        funnel=svg.pair(lambda w: svg.funnel(steps, viewer.t("panel.progress.funnel"), w), CARD),
        stages=svg.pair(lambda w: svg.stacked(
            [(titles[c.stage_id], (c.done, c.working, c.waiting)) for c in stage_counts],
            legend, viewer.t("panel.progress.stages"), w), CARD),
        overdue=overdue, late_total=len({p for late in report.overdue.values() for p in late}),
        tickets=report.open_tickets, survey=report.survey_done,
        team_rows=team_rows, stage_titles=[titles[c.stage_id] for c in stage_counts],
        levels=_levels(panel, viewer, report.levels),
    )


def _levels(panel: Panel, viewer: Viewer, report: level_report.LevelReport | None) -> dict[str, Any] | None:
    """The level distribution and the start → end shift, when the programme has a diagnostic."""
    if report is None:
        return None
    programme, none = panel.s.programme, viewer.t("levels.no_level")
    shown = [c for c in report.counts if c.level != level_report.NONE or c.people]
    distribution = svg.pair(lambda w: svg.stacked(
        [(level_report.level_name(programme, c.level, viewer.lang, none), (c.complete, c.people - c.complete))
         for c in shown],
        [viewer.t("panel.progress.level_complete"), viewer.t("panel.progress.level_going")],
        viewer.t("panel.progress.levels"), w), CARD)
    named = [c for c in report.counts if c.level != level_report.NONE]
    shift = svg.pair(lambda w: svg.grouped(
        [level_report.level_name(programme, c.level, viewer.lang, "") for c in named],
        [c.start for c in named], [c.end for c in named],
        [viewer.t("levelreport.legend_start"), viewer.t("levelreport.legend_end")],
        viewer.t("levelreport.chart_title"), w), CARD)
    return {"distribution": distribution, "shift": shift if report.sittings else None,
            "moved": viewer.t("levelreport.moved", up=report.up, same=report.same, down=report.down)}
