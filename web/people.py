"""/people: every intern with where they stand, their team and tutor, when they were last
heard from and whether the bot can still reach them; sorted, filtered and paged on the
server. /people/teams: the teams with their tutors. A person's page moves them to
another team; a team's row takes a tutor.

Changes go through the chat's own functions (`team_forming.move_person`,
`choose_tutor`, `new_team`), so interns and tutors are told exactly as from /teams in
the chat. A tutor sees only the members of their own teams (`teams.tutors_team_members`,
the chat's scoping) and changes nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDictProxy

from bot.clock import from_iso
from bot.local_time import zone_of
from bot.people import names
from handlers.coordination import team_forming
from handlers.enrolment.application import COORDINATOR
from handlers.internship import timetable
from handlers.tickets.staff import STAFF
from scenarios.models import Programme, pick
from scenarios.routes import on_route
from storage import levels, panel_people, persons, stages, teams
from storage.panel_people import PEOPLE_SORTS, STATES, PeopleFilter, PersonRow
from web.acting import PanelCtx, act
from web.panel import Panel
from web.table import bounded_int, navigation
from web.viewer import Viewer

PAGE_SIZE = 50
TEAM_NAME = 60


def register(panel: Panel) -> None:
    panel.page("/people", partial(show, panel), STAFF, nav="panel.nav.people")
    panel.page("/people/teams", partial(show_teams, panel), STAFF)
    panel.page("/people/{id:\\d+}", partial(show_person, panel), STAFF)
    panel.form("/people/{id:\\d+}/move", partial(move_person, panel), COORDINATOR)
    panel.form("/people/teams/{id:\\d+}/tutor", partial(set_tutor, panel), COORDINATOR)
    panel.form("/people/teams/new", partial(create_team, panel), COORDINATOR)


def query_of(params: MultiDictProxy[str], programme: Programme) -> dict[str, str]:
    """The table's state as it travels in links (unknown values dropped)."""
    sort, state = params.get("sort", "name"), params.get("state", "")
    stage = params.get("stage", "")
    tutor, team = params.get("tutor", ""), params.get("team", "")
    return {
        "q": params.get("q", "").strip()[:100],
        "team": team if team.isdigit() and len(team) < 12 else "",
        "tutor": tutor if tutor.isdigit() and len(tutor) < 12 else "",
        "reach": params.get("reach", "") if params.get("reach") in ("yes", "no") else "",
        "stage": stage if stage in {s.id for s in programme.stages} else "",
        "state": state if state in STATES else "",
        "sort": sort if sort in PEOPLE_SORTS else "name",
        "dir": "desc" if params.get("dir") == "desc" else "asc",
        "page": str(bounded_int(params.get("page", ""), 1, 1, 100_000)),
    }


def viewer_zone(panel: Panel, viewer: Viewer) -> ZoneInfo:
    return zone_of(viewer.person.timezone, panel.s.settings.default_timezone)


def seen_text(stamp: str | None, zone: ZoneInfo) -> str:
    return from_iso(stamp).astimezone(zone).strftime("%d.%m.%Y %H:%M") if stamp else "—"


async def scope_of(panel: Panel, viewer: Viewer, conn: Any) -> frozenset[int] | None:
    """None for a coordinator (everyone); a tutor's own teams' members otherwise."""
    if viewer.has_role("coordinator"):
        return None
    return frozenset(await teams.tutors_team_members(conn, viewer.person.id))


def where_they_are(programme: Programme, statuses: dict[str, str], level: str | None,
                   viewer: Viewer) -> dict[str, Any]:
    """The first stage on the intern's route not finished yet, and how many are."""
    route = [s for s in programme.stages[1:] if on_route(programme, s, level)]
    done = sum(1 for s in route if statuses.get(s.id) in stages.FINISHED)
    current = next((s for s in route if statuses.get(s.id) not in stages.FINISHED), None)
    if current is None:
        return {"stage": viewer.t("panel.people.all_done"), "state": "done", "done": done,
                "total": len(route)}
    status = statuses.get(current.id)
    state = "working" if status in ("open", "returned") else "waiting"
    return {"stage": pick(current.title, viewer.lang), "state": state, "status": status or "", "done": done,
            "total": len(route)}


async def _rows(panel: Panel, viewer: Viewer, conn: Any, found: list[PersonRow]) -> list[dict[str, Any]]:
    programme = panel.s.programme
    ids = [r.id for r in found]
    statuses = await panel_people.statuses_of_many(conn, ids)
    known = await levels.of_people(conn, ids) if programme.diagnostic else {}
    who = await names(conn, ids + [r.tutor_id for r in found if r.tutor_id])
    zone = viewer_zone(panel, viewer)
    return [{
        "id": r.id, "name": who[r.id], "team": r.team or "", "team_id": r.team_id,
        "tutor": who[r.tutor_id] if r.tutor_id else "", "seen": seen_text(r.seen, zone),
        "reachable": r.reachable, "platforms": ", ".join(_platform(viewer, p) for p in r.platforms),
        **where_they_are(programme, statuses[r.id], known[r.id].level if r.id in known else None, viewer),
    } for r in found]


def _platform(viewer: Viewer, platform: str) -> str:
    key = f"bc.platform.{platform}"
    return viewer.t(key) if viewer.texts.has(key) else platform


async def show(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    programme = panel.s.programme
    query = query_of(request.query, programme)
    page = int(query["page"])
    coordinator = viewer.has_role("coordinator")
    async with panel.s.db.read() as conn:
        scope = await scope_of(panel, viewer, conn)
        where = PeopleFilter(query["q"], query["team"], int(query["tutor"]) if query["tutor"] and coordinator
                             else None, query["reach"], query["stage"], query["state"], scope)
        found = await panel_people.people_page(conn, where, sort=query["sort"],
                                               descending=query["dir"] == "desc",
                                               offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        rows = await _rows(panel, viewer, conn, found.rows)
        team_list = await panel_people.teams_overview(conn, None if coordinator else viewer.person.id)
        tutor_ids = await persons.persons_with_role(conn, "tutor") if coordinator else []
        tutor_names = await names(conn, tutor_ids)
    nav = navigation("/people", query, PEOPLE_SORTS, page=page, page_size=PAGE_SIZE, shown=len(rows),
                     total=found.total)
    return await panel.render(
        request, viewer, "people.html", rows=rows, total=found.total, query=query,
        teams=team_list, tutors=sorted(tutor_names.items(), key=lambda kv: kv[1]), coordinator=coordinator,
        stages=[(s.id, pick(s.title, viewer.lang)) for s in programme.stages[1:]], states=STATES,
        **nav,
        filtered=any(query[k] for k in ("q", "team", "tutor", "reach", "stage", "state")),
    )


async def _visible(panel: Panel, viewer: Viewer, conn: Any, person_id: int) -> bool:
    """An intern of the cohort, and (for a tutor) a member of one of their teams."""
    if not await panel_people.is_intern(conn, person_id):
        return False
    scope = await scope_of(panel, viewer, conn)
    return scope is None or person_id in scope


async def show_person(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    person_id = int(request.match_info["id"])
    programme = panel.s.programme
    zone = viewer_zone(panel, viewer)
    async with panel.s.db.read() as conn:
        if not await _visible(panel, viewer, conn, person_id):
            return await panel.error(request, 403, "panel.errors.forbidden", viewer)
        row = (await panel_people.details(conn, [person_id]))[0]
        statuses = (await panel_people.statuses_of_many(conn, [person_id]))[person_id]
        level = await levels.get(conn, person_id) if programme.diagnostic else None
        person = await persons.get_person(conn, person_id)
        who = await names(conn, [person_id, *([row.tutor_id] if row.tutor_id else [])])
        targets = [t for t in await teams.all_teams(conn) if t.id != row.team_id]
        mine = timetable.intern_zone(programme, person.timezone)
        stage_rows = []
        for stage in programme.stages[1:]:
            if not on_route(programme, stage, level.level if level else None):
                continue
            deadline = await timetable.stage_deadline(conn, programme, stage.id, mine)
            status = statuses.get(stage.id)
            late = deadline is not None and deadline < panel.s.clock.now() and status not in stages.FINISHED
            stage_rows.append({
                "title": pick(stage.title, viewer.lang), "status": status or "",
                "state": "done" if status in stages.FINISHED else "working" if status else "waiting",
                "deadline": deadline.astimezone(zone).strftime("%d.%m.%Y %H:%M") if deadline else "",
                "late": late,
            })
    level_name = ""
    if level and level.level and programme.diagnostic and programme.diagnostic.level(level.level):
        level_name = pick(programme.diagnostic.level(level.level).name, viewer.lang)  # type: ignore[union-attr]
    return await panel.render(
        request, viewer, "person.html", person=row, full_name=who[person_id],
        tutor=who[row.tutor_id] if row.tutor_id else "", seen=seen_text(row.seen, zone),
        platforms=", ".join(_platform(viewer, p) for p in row.platforms), stages=stage_rows,
        level=level_name, targets=targets, coordinator=viewer.has_role("coordinator"),
    )


async def move_person(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    person_id = int(request.match_info["id"])
    data = await request.post()
    raw = str(data.get("team", ""))
    if not raw.isdigit() or len(raw) > 11:
        panel.flash(viewer, [viewer.t("panel.people.pick_team")])
        raise web.HTTPSeeOther(f"/people/{person_id}")

    async def run(ctx: PanelCtx) -> None:
        # checked here, inside the action's transaction, so the chat's function never
        # meets a stale choice (it would answer "old button" and show a chat menu)
        if not await panel_people.is_intern(ctx.conn, person_id):
            await ctx.reply(ctx.t("panel.people.gone"))
            return
        if await teams.get(ctx.conn, int(raw)) is None:
            await ctx.reply(ctx.t("panel.people.team_gone"))
            return
        await team_forming.move_person(ctx, [str(person_id), raw])

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, acted.notes)
    raise web.HTTPSeeOther(f"/people/{person_id}")


async def show_teams(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    coordinator = viewer.has_role("coordinator")
    async with panel.s.db.read() as conn:
        team_list = await panel_people.teams_overview(conn, None if coordinator else viewer.person.id)
        tutor_ids = await persons.persons_with_role(conn, "tutor") if coordinator else []
        who = await names(conn, {*tutor_ids, *(t.tutor_id for t in team_list if t.tutor_id)})
        loose = await panel_people.without_team(conn) if coordinator else 0
    rows = [{"id": t.id, "name": t.name, "size": t.size, "tutor_id": t.tutor_id,
             "tutor": who[t.tutor_id] if t.tutor_id else ""} for t in team_list]
    return await panel.render(
        request, viewer, "teams.html", teams=rows, coordinator=coordinator, loose=loose,
        tutors=sorted(((t, who[t]) for t in tutor_ids), key=lambda kv: kv[1]),
    )


async def set_tutor(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    team_id = int(request.match_info["id"])
    data = await request.post()
    raw = str(data.get("tutor", ""))
    if not raw.isdigit() or len(raw) > 11:
        panel.flash(viewer, [viewer.t("panel.people.pick_tutor")])
        raise web.HTTPSeeOther("/people/teams")

    async def run(ctx: PanelCtx) -> None:
        if await teams.get(ctx.conn, team_id) is None:
            await ctx.reply(ctx.t("panel.people.team_gone"))
            return
        await team_forming.choose_tutor(ctx, [str(team_id), raw])

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, acted.notes)
    raise web.HTTPSeeOther("/people/teams")


async def create_team(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    data = await request.post()
    title = " ".join(str(data.get("name", "")).split())[:TEAM_NAME]
    if not title:
        panel.flash(viewer, [viewer.t("panel.people.name_team")])
        raise web.HTTPSeeOther("/people/teams")

    async def run(ctx: PanelCtx) -> None:
        ctx.args = title.split()
        await team_forming.new_team(ctx)

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    # the chat's answer points at its own "move" button: the panel says it in its words
    panel.flash(viewer, [viewer.t("panel.people.team_created", team=title)] if acted.done else acted.notes)
    raise web.HTTPSeeOther("/people/teams")
