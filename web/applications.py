"""/applications: every application in a table that sorts, filters and pages on the server;
tick any subset, then approve, reject with a reason, or return with a note.

Decisions go through the chat's own functions (`application.approve`, `reject`,
`return_for_fix`), so the interns get exactly the chat's messages through the outbox,
and a decision acts only on applications still undecided, as in the chat.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.clock import from_iso
from handlers.enrolment.application import COORDINATOR, approve, reject, return_for_fix
from storage import panel_queries
from storage.panel_queries import APPLICATION_STATUSES, SORTS, AppColumns, AppFilter
from web.acting import PanelCtx, act
from web.panel import Panel
from web.table import bounded_int, link, navigation
from web.viewer import Viewer

PAGE_SIZE = 50
MAX_SELECTED = 3000
ACTIONS = ("approve", "reject", "return")
TEXT_LIMIT = 1000


def register(panel: Panel) -> None:
    panel.page("/applications", partial(show, panel), COORDINATOR, nav="panel.nav.applications")
    panel.form("/applications/confirm", partial(ask, panel), COORDINATOR)
    panel.form("/applications/decide", partial(decide, panel), COORDINATOR)


def columns(panel: Panel) -> AppColumns:
    """The form's questions that hold a name, a region, an organisation (by the bundled
    programme's ids; a programme without them simply shows no such column)."""
    form = panel.s.programme.application.form
    ids = {q.id for q in form.questions} if form else set()
    name = next((q.id for q in form.questions if q.store_as == "full_name"), "") if form else ""
    return AppColumns(name, "region" if "region" in ids else "",
                      "organisation" if "organisation" in ids else "")


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def query_of(params: MultiDictProxy[str]) -> dict[str, str]:
    """The table's state as it travels in links and forms (unknown values dropped)."""
    status = params.get("status", "pending")
    sort = params.get("sort", "id")
    return {
        "status": status if status in (*APPLICATION_STATUSES, "all") else "pending",
        "region": params.get("region", "").strip()[:100],
        "organisation": params.get("organisation", "").strip()[:100],
        "since": params.get("since", "") if _date(params.get("since", "")) else "",
        "until": params.get("until", "") if _date(params.get("until", "")) else "",
        "sort": sort if sort in SORTS else "id",
        "dir": "desc" if params.get("dir") == "desc" else "asc",
        "page": str(bounded_int(params.get("page", ""), 1, 1, 100_000)),
    }


async def show(panel: Panel, request: web.Request, viewer: Viewer) -> web.Response:
    query = query_of(request.query)
    cols = columns(panel)
    where = AppFilter(None if query["status"] == "all" else query["status"], query["region"],
                      query["organisation"], _date(query["since"]), _date(query["until"]))
    page = int(query["page"])
    async with panel.s.db.read() as conn:
        found = await panel_queries.applications_page(
            conn, cols, where, sort=query["sort"], descending=query["dir"] == "desc",
            offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        )
    zone = panel.s.programme.zone
    rows = [{
        "id": app.id,
        "name": str(app.answers.get(cols.name) or "—") if cols.name else "—",
        "region": str(app.answers.get(cols.region) or "") if cols.region else "",
        "organisation": str(app.answers.get(cols.organisation) or "") if cols.organisation else "",
        "date": from_iso(app.created_at).astimezone(zone).strftime("%d.%m.%Y %H:%M"),
        "status": app.status,
        "reason": app.reason or "",
    } for app in found.rows]
    nav = navigation("/applications", query, SORTS, page=page, page_size=PAGE_SIZE, shown=len(rows),
                     total=found.total)
    return await panel.render(
        request, viewer, "applications.html", rows=rows, total=found.total, query=query, cols=cols,
        statuses=APPLICATION_STATUSES, back=link("/applications", query), **nav,
    )


def _selected(data: MultiDictProxy[Any]) -> list[int]:
    ids = {int(v) for v in data.getall("ids", []) if str(v).isdigit() and len(str(v)) < 12}
    return sorted(ids)[:MAX_SELECTED]


def _back(data: MultiDictProxy[Any]) -> str:
    """Where to return after a decision: the table as it was (never another site)."""
    back = str(data.get("back", ""))
    return back if back.startswith("/applications?") or back == "/applications" else "/applications"


async def ask(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """The confirmation naming the count; rejecting asks a reason, returning a note."""
    data = await request.post()
    ids, action, back = _selected(data), str(data.get("action", "")), _back(data)
    if action not in ACTIONS:
        return await panel.error(request, 400, "panel.errors.stale_form", viewer)
    if not ids:
        panel.flash(viewer, [viewer.t("panel.apps.select_first")])
        raise web.HTTPSeeOther(back)
    return await panel.render(request, viewer, "applications_confirm.html", ids=ids, action=action,
                              back=back, count=len(ids), error=None, text="")


async def decide(panel: Panel, request: web.Request, viewer: Viewer) -> web.StreamResponse:
    data = await request.post()
    ids, action, back = _selected(data), str(data.get("action", "")), _back(data)
    text = str(data.get("text", "")).strip()[:TEXT_LIMIT]
    if action not in ACTIONS or not ids:
        return await panel.error(request, 400, "panel.errors.stale_form", viewer)
    if action == "return" and not text:
        return await panel.render(request, viewer, "applications_confirm.html", ids=ids, action=action,
                                  back=back, count=len(ids), error=viewer.t("panel.apps.note_required"),
                                  text="")

    async def run(ctx: PanelCtx) -> list[str]:
        if action == "approve":
            done = [i for i in ids if await approve(ctx, i, quiet=True)]
            summary = ctx.t("app.bulk_approved", count=len(done))
        elif action == "reject":
            done = [i for i in ids if await reject(ctx, i, text or None, quiet=True)]
            summary = ctx.t("app.bulk_rejected", count=len(done))
        else:
            done = [i for i in ids if await return_for_fix(ctx, i, text, quiet=True)]
            summary = ctx.t("panel.apps.returned", count=len(done))
        notes = [summary]
        if len(done) < len(ids):
            notes.append(ctx.t("panel.apps.decided_by_others", count=len(ids) - len(done)))
        return notes

    acted = await act(panel, viewer, str(data.get("nonce", "")), run)
    panel.flash(viewer, [*acted.notes, *(acted.result or [])])
    raise web.HTTPSeeOther(back)
