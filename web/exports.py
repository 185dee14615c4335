"""/exports: the XLSX workbook and the CSV files (a zip) of /export, as downloads.
Coordinators only.

The sheets are `exports.collect`'s, read under the database's read lock like the chat
reads them; the file is written in a worker thread after the read, so neither the event
loop nor the database waits for the spreadsheet library.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from handlers.coordination import exports
from handlers.coordination.exports import COORDINATOR, XLSX_MIME
from storage import panel_people
from web.panel import Panel
from web.viewer import Viewer

FORMATS = {"xlsx": ("internship-{stamp}.xlsx", XLSX_MIME, exports.to_xlsx),
           "csv": ("internship-{stamp}-csv.zip", "application/zip", exports.to_csv_zip)}


def register(panel: Panel) -> None:
    async def page(request: web.Request, viewer: Viewer) -> web.StreamResponse:
        async with panel.s.db.read() as conn:
            teams = await panel_people.teams_overview(conn)
            found = await panel_people.people_page(conn, panel_people.PeopleFilter(), limit=0)
        return await panel.render(request, viewer, "exports.html", interns=found.total, teams=len(teams))

    async def download(request: web.Request, viewer: Viewer) -> web.StreamResponse:
        name, mime, write = FORMATS[request.match_info["format"]]
        async with panel.s.db.read() as conn:
            sheets = await exports.collect(conn, panel.s.programme, panel.s.texts, viewer.lang)
        data = await asyncio.to_thread(write, sheets)
        filename = name.format(stamp=panel.s.clock.now().strftime("%Y%m%d-%H%M"))
        return web.Response(body=data, content_type=mime, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})

    panel.page("/exports", page, COORDINATOR, nav="panel.nav.exports")
    panel.page("/exports/{format:xlsx|csv}", download, COORDINATOR)
