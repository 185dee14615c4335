"""The web panel: its applications page for 3,000 interns, and the chat engine beside it.

* `panel_applications_3000_p95_ms`: 3,000 pending applications in the database; a signed-in
  coordinator's browser asks for the /applications page in its usual shapes (the first
  page, sorted by name, a filter by region, a later page, every status sorted by region)
  over HTTP; the server's own time per page (a middleware, from the request to the
  rendered page) is measured.
* `engine_p99_ms_panel_load`: bench_engine's interns apply and fill the survey at a
  moderate paced rate through the real Core, while 20 panel users in another process
  reload /applications and /tickets without pause; the engine's p99 over the run.

Run alone: `.venv/bin/python -m bench.bench_panel`.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.bench_engine import Intern, open_reflection
from bench.common import COORDINATOR, PLATFORM, percentile, start_app, startup_heap_frozen
from bot.app import App
from storage import applications, persons, web_sessions
from web.panel import COOKIE, Panel

NAME = "panel"
APPLICANTS = 3000
PAGE_REQUESTS = 200
SHAPES = [
    "/applications",
    "/applications?sort=name",
    "/applications?region=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C",
    "/applications?page=40",
    "/applications?status=all&sort=region&dir=desc",
]
PANEL_USERS = 20
ENGINE_INTERNS = 200
ENGINE_RATE = 200.0
"""Updates/s offered by the interns while the panel is busy: a lively, not a peak, hour."""
REGIONS = ["Казань", "Пермь", "Омск", "Тула", "Сочи", "Самара", "Томск", "Чита"]


async def seed(app: App, count: int) -> None:
    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        for n in range(count):
            account, _ = await persons.ensure_account(
                conn, now, platform=PLATFORM, user_ref=f"a{n}", chat_ref=f"a{n}", display_name=None,
                language_code="ru", locale="ru",
            )
            await applications.create(conn, account.person_id, {
                "full_name": f"Фамилия{n:04d} Имя Отчество", "email": f"a{n}@example.ru",
                "organisation": f"Школа № {n % 97}", "position": "Учитель",
                "region": REGIONS[n % len(REGIONS)], "timezone": "Europe/Moscow", "consent": True,
            }, now - timedelta(minutes=n))


async def coordinator_cookie(app: App) -> str:
    secret = secrets.token_urlsafe(32)
    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, now, platform=PLATFORM, user_ref=COORDINATOR, chat_ref=COORDINATOR, display_name=None,
            language_code="ru", locale="ru",
        )
        await persons.grant_role(conn, account.person_id, "coordinator", now)
        await web_sessions.create_session(conn, secret, account.person_id, "csrf", "bench", now,
                                          now + timedelta(hours=12))
    return secret


async def serve(app: App) -> tuple[Panel, str, list[float]]:
    """The panel on a free port, with a middleware timing each page on the server."""
    panel = Panel(app.s)
    server_ms: list[float] = []

    @web.middleware
    async def timed(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)  # type: ignore[no-any-return]
        finally:
            server_ms.append((time.perf_counter() - started) * 1000)

    panel.app.middlewares.insert(0, timed)
    port = await panel.start("127.0.0.1:0")
    return panel, f"http://127.0.0.1:{port}", server_ms


async def page_times(app: App, requests: int, applicants: int) -> dict[str, float]:
    panel, base, server_ms = await serve(app)
    cookie = await coordinator_cookie(app)
    try:
        async with aiohttp.ClientSession(base, cookies={COOKIE: cookie}) as http:
            later = f"page={max(1, min(40, applicants // 50))}"  # 50 rows a page
            shapes = [s.replace("page=40", later) for s in SHAPES]
            for n in range(requests):
                async with http.get(shapes[n % len(shapes)]) as response:
                    body = await response.text()
                    if response.status != 200 or "tbody" not in body:
                        raise AssertionError(f"{shapes[n % len(shapes)]}: {response.status}")
    finally:
        await panel.stop()
    return {
        "panel_applications_3000_p50_ms": round(percentile(server_ms, 50), 2),
        "panel_applications_3000_p95_ms": round(percentile(server_ms, 95), 2),
        "panel_applications_3000_max_ms": round(max(server_ms), 2),
    }


async def engine_under_panel(app: App, messenger: Any, interns: int, users: int) -> dict[str, float]:
    """bench_engine's paced interns with 20 panel users reloading pages in a child process."""
    panel, base, server_ms = await serve(app)
    cookie = await coordinator_cookie(app)
    app.s.router.command("bench_reflection", open_reflection)
    think = interns / ENGINE_RATE
    loaders = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bench_panel", "--load", base, cookie, str(users),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        await until_reloading(loaders, server_ms, users)
        rng = random.Random(15)
        latencies: list[float] = []
        starts: list[float] = []
        people = [Intern(n, app, messenger) for n in range(interns)]
        started = time.perf_counter()
        await asyncio.gather(*(p.walk(latencies, starts, think, rng) for p in people))
        elapsed = time.perf_counter() - started
    finally:
        loaders.terminate()
        out, _ = await loaders.communicate()
        await panel.stop()
    pages = len(server_ms)
    ms = [x * 1000 for x in latencies]
    return {
        "engine_p99_ms_panel_load": round(percentile(ms, 99), 2),
        "engine_p50_ms_panel_load": round(percentile(ms, 50), 2),
        "engine_updates_per_s_panel_load": round(len(latencies) / elapsed, 1),
        "panel_pages_during_engine_load": pages,
        "panel_pages_per_s_during_engine_load": round(pages / elapsed, 1),
        "panel_page_p95_ms_during_engine_load": round(percentile(server_ms, 95), 2),
        "panel_loader_report": json.loads(out.decode() or "{}").get("requests", 0),
    }


LOADERS_START_S = 120.0
"""How long the loaders' process may take to start (imports on a busy machine)."""


async def until_reloading(loaders: asyncio.subprocess.Process, server_ms: list[float], users: int) -> None:
    """Until every panel user has had a page: the interns start under the panel's load,
    not before it (a fixed second was not enough for the child to start on a busy machine)."""
    deadline = time.monotonic() + LOADERS_START_S
    while len(server_ms) < users:
        if loaders.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the panel users did not start ({len(server_ms)} pages served)")
        await asyncio.sleep(0.05)


PEOPLE_SHAPES = [
    "/people",
    "/people?sort=seen&dir=desc",
    "/people?q=%D0%A4%D0%B0%D0%BC%D0%B8%D0%BB%D0%B8%D1%8F01",
    "/people?page=40",
    "/people?stage=homework&state=unfinished&sort=team",
]
TEAM_SIZE = 15


async def make_interns(app: App, count: int) -> None:
    """The applicants approved into a cohort: teams of 15, the first stages done by some."""
    from storage import stages, teams

    now = app.clock.now()
    async with app.s.db.transaction() as conn:
        team_id = 0
        for n in range(count):
            account = await persons.find_account(conn, PLATFORM, f"a{n}")
            assert account is not None
            pid = account.person_id
            await persons.update_person(conn, pid, full_name=f"Фамилия{n:04d} Имя Отчество")
            await persons.grant_role(conn, pid, "intern", now)
            if n % TEAM_SIZE == 0:
                team_id = await teams.create(conn, f"Команда {n // TEAM_SIZE + 1}", now)
            await teams.put_member(conn, team_id, pid, now)
            for stage in ("problematisation", "homework", "presentation")[: n % 4]:
                await stages.set_status(conn, pid, stage, "submitted", now)


async def people_times(app: App, requests: int, applicants: int) -> dict[str, float]:
    """/people in its usual shapes and /progress, for a cohort of 3,000 interns."""
    await make_interns(app, applicants)
    panel, base, server_ms = await serve(app)
    cookie = await coordinator_cookie(app)
    figures: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(base, cookies={COOKIE: cookie}) as http:
            for name, shapes, count in (("people", PEOPLE_SHAPES, requests), ("progress", ["/progress"], 20)):
                server_ms.clear()
                for n in range(count):
                    async with http.get(shapes[n % len(shapes)]) as response:
                        body = await response.text()
                        if response.status != 200 or "<main>" not in body:
                            raise AssertionError(f"{shapes[n % len(shapes)]}: {response.status}")
                figures[f"panel_{name}_3000_p50_ms"] = round(percentile(server_ms, 50), 2)
                figures[f"panel_{name}_3000_p95_ms"] = round(percentile(server_ms, 95), 2)
    finally:
        await panel.stop()
    return figures


async def run(applicants: int = APPLICANTS, requests: int = PAGE_REQUESTS, interns: int = ENGINE_INTERNS,
              users: int = PANEL_USERS) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-panel-") as folder:
        app, messenger = await start_app(Path(folder))
        try:
            await seed(app, applicants)
            figures: dict[str, object] = dict(await page_times(app, requests, applicants))
            figures.update(await people_times(app, requests, applicants))
            with startup_heap_frozen():
                figures.update(await engine_under_panel(app, messenger, interns, users))
        finally:
            await app.stop()
    figures["panel_applicants"] = applicants
    figures["panel_users"] = users
    figures["engine_paced_offered_per_s_panel_load"] = ENGINE_RATE
    return figures


async def load(base: str, cookie: str, users: int) -> None:
    """The child process: `users` panel users reloading pages until terminated."""
    count = 0

    async def user(n: int, http: aiohttp.ClientSession) -> None:
        nonlocal count
        pages = [*SHAPES, "/tickets"]
        while True:
            async with http.get(pages[(n + count) % len(pages)]) as response:
                await response.read()
            count += 1

    import signal

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession(base, cookies={COOKIE: cookie}) as http:
        tasks = [asyncio.create_task(user(n, http)) for n in range(users)]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"requests": count}))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--load":
        asyncio.run(load(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        print(json.dumps(asyncio.run(run()), indent=2))
