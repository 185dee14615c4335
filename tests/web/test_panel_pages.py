"""The panel's /people, /progress, /broadcasts, /timeline and /exports over HTTP: the real
aiohttp client against the panel served by the app, the bot on the fake Telegram server.

Each action goes through the chat's own function, so the checks are what people get in
the messenger (the fake Bot API's log), and what the database holds afterwards. Roles:
a tutor sees only their own teams' interns and no coordinator page, an intern has no
session at all, and a form without its CSRF token does nothing.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta

import aiohttp

from storage import broadcasts, outbox, persons, stages, teams, web_sessions
from tests.e2e.telegram import COORDINATOR
from tests.web.conftest import PanelEnv, csrf_of, nonce_of

TUTOR, OTHER_TUTOR = 2101, 2102
ANNA, BORIS, VERA, GLEB = 3101, 3102, 3103, 3104
TEAM_TOLD = "Ваша команда — «{}»"


async def cohort(env: PanelEnv) -> dict[str, int]:
    """Two teams with a tutor each and an intern without a team."""
    ids = {
        "tutor": await env.person(TUTOR, "Тьюторова Татьяна Ивановна", role="tutor"),
        "other_tutor": await env.person(OTHER_TUTOR, "Другова Дарья Петровна", role="tutor"),
        "anna": await env.person(ANNA, "Алексеева Анна Борисовна"),
        "boris": await env.person(BORIS, "Борисов Борис Викторович"),
        "vera": await env.person(VERA, "Васильева Вера Павловна"),
        "gleb": await env.person(GLEB, "Григорьев Глеб Олегович"),
    }
    ids["north"] = await env.team("Север", ids["tutor"], [ids["anna"], ids["boris"]])
    ids["south"] = await env.team("Юг", ids["other_tutor"], [ids["vera"]])
    async with env.app.s.db.transaction() as conn:
        await persons.grant_role(conn, ids["gleb"], "intern", env.clock.now())
    return ids


async def get(http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
    async with http.get(path) as response:
        return response.status, await response.text()


def to(env: PanelEnv, user_id: int) -> list[str]:
    return env.chat.fake.texts_to(user_id)


async def told(env: PanelEnv, check: Callable[[], bool]) -> None:
    """Wait until the fake Telegram server has delivered what `check` looks for."""
    await env.chat.fake.wait_for(check)


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr>")[1:]]


# --- /people --------------------------------------------------------------------------------

async def test_people_lists_every_intern_with_team_tutor_and_reach(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    async with env.app.s.db.transaction() as conn:
        account = (await persons.accounts_of(conn, ids["vera"]))[0]
        await persons.mark_unreachable(conn, account.id, env.clock.now())
        await stages.set_status(conn, ids["anna"], "problematisation", "submitted", env.clock.now())
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    status, html = await get(http, "/people")
    assert status == 200
    rows = rows_of(html)
    assert len(rows) == 4 and "Алексеева Анна" in rows[0] and "Григорьев" in rows[3]  # by name
    anna = rows[0]
    assert "Север" in anna and "Тьюторова" in anna and "есть" in anna
    assert "1/" in anna  # one stage done on her route
    vera = next(r for r in rows if "Васильева" in r)
    assert "нет связи" in vera and "Юг" in vera
    _, unreachable = await get(http, "/people?reach=no")
    assert [("Васильева" in r) for r in rows_of(unreachable)] == [True]
    _, loose = await get(http, "/people?team=0")
    assert len(rows_of(loose)) == 1 and "Григорьев" in rows_of(loose)[0]
    _, by_team = await get(http, f"/people?team={ids['north']}&sort=name&dir=desc")
    assert ["Борисов Борис" in r for r in rows_of(by_team)] == [True, False]
    _, searched = await get(http, "/people?q=%D0%B2%D0%B5%D1%80%D0%B0")  # "вера", any case
    assert len(rows_of(searched)) == 1 and "Васильева" in rows_of(searched)[0]
    _, done = await get(http, "/people?stage=problematisation&state=done")
    assert len(rows_of(done)) == 1 and "Алексеева" in rows_of(done)[0]
    _, undone = await get(http, "/people?stage=problematisation&state=unfinished")
    assert len(rows_of(undone)) == 3
    _, by_tutor = await get(http, f"/people?tutor={ids['other_tutor']}")
    assert len(rows_of(by_tutor)) == 1
    status, one = await get(http, f"/people/{ids['anna']}")
    assert status == 200 and "Алексеева Анна Борисовна" in one and 'action="/people/' in one


async def test_people_pages_fifty_at_a_time(panel_env: PanelEnv) -> None:
    env = panel_env
    members = [await env.person(6000 + n, f"Интерн {n:03d}") for n in range(55)]
    await env.team("Большая", None, members)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    _, first = await get(http, "/people")
    assert len(rows_of(first)) == 50 and "1–50 из 55" in first
    _, second = await get(http, "/people?page=2")
    assert len(rows_of(second)) == 5 and "51–55 из 55" in second and "Интерн 054" in second


async def test_moving_an_intern_tells_both_teams_as_the_chat_does(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    _, page = await get(http, f"/people/{ids['boris']}")
    form = {"csrf": csrf_of(page), "nonce": nonce_of(page), "team": str(ids["south"])}
    async with http.post(f"/people/{ids['boris']}/move", data=form) as response:
        assert response.status == 200
        assert "теперь в команде «Юг»" in await response.text()  # the chat's answer, as a note
    await told(env, lambda: any(TEAM_TOLD.format("Юг") in t for t in to(env, BORIS)))
    await told(env, lambda: any("Вы тьютор команды «Юг»" in t
                               for t in to(env, OTHER_TUTOR)))
    await told(env, lambda: any(TEAM_TOLD.format("Север") in t for t in to(env, ANNA)))
    async with env.app.s.db.read() as conn:
        assert (await teams.team_of(conn, ids["boris"])).id == ids["south"]  # type: ignore[union-attr]
    before = len(to(env, BORIS))
    async with http.post(f"/people/{ids['boris']}/move", data=form) as again:  # the same form again
        assert "уже была отправлена" in await again.text()
    assert len(to(env, BORIS)) == before


async def test_assigning_a_tutor_and_creating_a_team(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    _, page = await get(http, "/people/teams")
    assert "Север" in page and "Юг" in page and "Без команды остаётся 1 интерн" in page
    form = {"csrf": csrf_of(page), "nonce": nonce_of(page), "tutor": str(ids["tutor"])}
    async with http.post(f"/people/teams/{ids['south']}/tutor", data=form) as response:
        assert "Тьютор команды «Юг»: Тьюторова Татьяна Ивановна" in await response.text()
    await told(env, lambda: any("Вы тьютор команды «Юг»" in t
                               for t in to(env, TUTOR)))
    await told(env, lambda: any("Тьютор: Тьюторова" in t for t in to(env, VERA)))
    _, page = await get(http, "/people/teams")
    form = {"csrf": csrf_of(page), "nonce": nonce_of(page), "name": "  Запад  "}
    async with http.post("/people/teams/new", data=form) as response:
        assert "Команда «Запад» создана" in await response.text()
    async with env.app.s.db.read() as conn:
        assert [t.name for t in await teams.all_teams(conn)] == ["Север", "Юг", "Запад"]


async def test_a_tutor_sees_only_their_teams_and_no_coordinator_page(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    http = env.client()
    await env.sign_in(http, TUTOR)
    status, html = await get(http, "/people")
    assert status == 200
    assert sorted(r.split()[0] for r in rows_of(html)) == ["Алексеева", "Борисов"]
    assert "Васильева" not in html and "Григорьев" not in html
    assert 'action="/people/' not in html  # no forms for a tutor
    _, other = await get(http, f"/people?team={ids['south']}")
    assert rows_of(other) == []
    assert (await get(http, f"/people/{ids['vera']}"))[0] == 403
    assert (await get(http, f"/people/{ids['anna']}"))[0] == 200
    _, team_page = await get(http, "/people/teams")
    assert "Север" in team_page and "Юг" not in team_page
    status, progress = await get(http, "/progress")
    assert status == 200 and "2 интерна" in progress
    assert (await get(http, f"/progress?team={ids['south']}"))[0] == 403
    assert (await get(http, f"/progress?team={ids['north']}"))[0] == 200
    for path in ("/broadcasts", "/timeline", "/exports", "/exports/xlsx", "/exports/csv"):
        assert (await get(http, path))[0] == 403, path
    token = csrf_of(html)
    for path, form in ((f"/people/{ids['vera']}/move", {"team": str(ids["north"])}),
                       (f"/people/teams/{ids['north']}/tutor", {"tutor": str(TUTOR)}),
                       ("/people/teams/new", {"name": "Своя"}),
                       ("/broadcasts/preview", {"body": "Привет", "audience": "all"}),
                       ("/timeline/move", {"kind": "event", "item": "presentation",
                                           "at": "2026-12-20T17:00"})):
        async with http.post(path, data={**form, "csrf": token, "nonce": "n" * 22}) as response:
            assert response.status == 403, path
    async with env.app.s.db.read() as conn:
        assert (await teams.team_of(conn, ids["vera"])).id == ids["south"]  # type: ignore[union-attr]
        assert len(await teams.all_teams(conn)) == 2
    nav = re.findall(r'<nav>(.*?)</nav>', html, re.S)[0]
    assert "Участники" in nav and "Прогресс" in nav and "Рассылки" not in nav and "Выгрузки" not in nav


async def test_an_intern_never_gets_a_page(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    secret = "s" * 40
    async with env.app.s.db.transaction() as conn:  # even a session made for them by hand
        await web_sessions.create_session(conn, secret, ids["anna"], "c" * 24, "test", env.clock.now(),
                                          env.clock.now() + timedelta(hours=1))
    http = env.client()
    http.cookie_jar.update_cookies({"panel_session": secret})
    for path in ("/people", f"/people/{ids['anna']}", "/progress", "/broadcasts", "/timeline",
                 "/exports/xlsx"):
        async with http.get(path, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/signin", path
    async with http.post(f"/people/{ids['anna']}/move", data={"csrf": "c" * 24, "team": str(ids["south"]),
                                                               "nonce": "n" * 22}) as response:
        assert response.status == 401
    texts = await env.chat.say(ANNA, "/web")
    assert not any("/login/" in t for t in texts)


async def test_every_form_without_its_csrf_token_is_403(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    async with env.app.s.db.transaction() as conn:
        draft = await broadcasts.create(conn, (await persons.find_account(conn, "telegram", str(COORDINATOR)))
                                        .person_id, "Привет", env.clock.now())  # type: ignore[union-attr]
        await broadcasts.update_draft(conn, draft, audience="all")
    forms = {
        f"/people/{ids['boris']}/move": {"team": str(ids["south"])},
        f"/people/teams/{ids['south']}/tutor": {"tutor": str(ids["tutor"])},
        "/people/teams/new": {"name": "Запад"},
        "/broadcasts/preview": {"body": "Привет", "audience": "all"},
        f"/broadcasts/{draft}/confirm": {"action": "now"},
        f"/broadcasts/{draft}/send": {"action": "now"},
        f"/broadcasts/{draft}/cancel": {},
        "/timeline/move": {"kind": "event", "item": "presentation", "at": "2026-12-20T17:00"},
    }
    for path, form in forms.items():
        for token in ({}, {"csrf": "forged"}):
            async with http.post(path, data={**form, **token, "nonce": "n" * 22}) as response:
                assert response.status == 403, path
    async with env.app.s.db.read() as conn:
        assert (await teams.team_of(conn, ids["boris"])).id == ids["north"]  # type: ignore[union-attr]
        assert (await broadcasts.get(conn, draft)).status == "draft"  # type: ignore[union-attr]
    assert not any("Север" in t or "Юг" in t for t in to(env, BORIS))


# --- /progress ------------------------------------------------------------------------------

async def test_progress_draws_the_funnel_and_lists_the_overdue(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    applied = await env.intern(3199, "Заявкина Зоя Львовна")  # applied, not approved
    assert applied
    now = env.clock.now()
    async with env.app.s.db.transaction() as conn:
        for who in ("anna", "boris", "vera", "gleb"):
            from storage import applications

            app_id = await applications.create(conn, ids[who], {"full_name": who}, now)
            await applications.decide(conn, app_id, "approved", ids[who], now)
        await stages.set_status(conn, ids["anna"], "problematisation", "submitted", now)
        await stages.set_status(conn, ids["boris"], "problematisation", "open", now)
    env.clock.advance(days=150)  # every deadline of the programme is past
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    status, html = await get(http, "/progress")
    assert status == 200
    assert html.count("<svg") >= 3 and "<img" not in html
    funnel = html.split('aria-label="Воронка"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r">([^<>]+)</text>", funnel)
    assert labels[:4] == ["Подали заявку", "5 · 100%", "Заявка одобрена", "4 · 80%"]
    assert "Сертификат" in labels
    overdue = html.split('id="overdue"', 1)[1].split("</div>\n{%", 1)[0]
    assert "Борисов Борис Викторович" in overdue and "Алексеева" in overdue  # late for a later stage
    status, team_html = await get(http, f"/progress?team={ids['north']}")
    assert status == 200 and "Север" in team_html and "2 интерна" in team_html
    assert "Васильева" not in team_html


# --- /broadcasts ----------------------------------------------------------------------------

async def test_a_broadcast_is_composed_previewed_for_anyone_and_sent(panel_env: PanelEnv) -> None:
    env = panel_env
    ids = await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    _, page = await get(http, "/broadcasts")
    assert "Новая рассылка" in page and "{{ tutor }}" in page

    bad = {"csrf": csrf_of(page), "nonce": nonce_of(page), "body": "{{ name }}, ваш {{ tutr }}",
           "audience": "all"}
    async with http.post("/broadcasts/preview", data=bad) as response:
        assert response.status == 400
        text = await response.text()
    assert "Неизвестная подстановка" in text and "может быть" in text and "tutr" in text
    assert "{{ name }}, ваш {{ tutr }}" in text.replace("&#39;", "'")  # their text kept in the form

    good = {**bad, "nonce": nonce_of(text), "body": "{{ name }}, ваша команда — {{ team }}.",
            "audience": f"team:{ids['north']}"}
    async with http.post("/broadcasts/preview", data=good) as response:
        assert response.status == 200 and re.search(r"/broadcasts/\d+$", str(response.url))
        preview = await response.text()
        draft_url = str(response.url.path)
    assert 'id="count">2<' in preview
    assert "Алексеева Анна Борисовна, ваша команда — Север." in preview
    _, second = await get(http, draft_url + "?i=1")
    assert "Борисов Борис Викторович, ваша команда — Север." in second

    ask = {"csrf": csrf_of(preview), "action": "now"}
    async with http.post(draft_url + "/confirm", data=ask) as response:
        confirm = await response.text()
    assert "Отправить рассылку 2 получателям сейчас?" in confirm
    form = {"csrf": csrf_of(confirm), "nonce": nonce_of(confirm), "action": "now", "at": ""}
    async with http.post(draft_url + "/send", data=form) as response:
        sent = await response.text()
    assert "отправляется: 2 сообщения" in sent
    await env.app.s.delivery.run_once()  # the outbox loop (off in tests) sends what is due
    await told(env, lambda: any("Борисов Борис Викторович, ваша команда — Север." in t
                               for t in to(env, BORIS)))
    await told(env, lambda: any("ваша команда — Север" in t for t in to(env, ANNA)))
    assert not any("ваша команда" in t for t in to(env, VERA))
    async with http.post(draft_url + "/send", data=form) as again:  # the same confirmation again
        assert "уже была отправлена" in await again.text()
    async with env.app.s.db.read() as conn:
        assert (await outbox.status_counts(conn, "bc:"))["sent"] == 2
    _, report = await get(http, "/broadcasts")
    assert "Написано 2: доставлено 2, ждут 0" in report


async def test_a_broadcast_for_later_waits_and_can_be_cancelled(panel_env: PanelEnv) -> None:
    env = panel_env
    await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    _, page = await get(http, "/broadcasts")
    form = {"csrf": csrf_of(page), "nonce": nonce_of(page), "body": "Встреча завтра", "audience": "all"}
    async with http.post("/broadcasts/preview", data=form) as response:
        draft_url = str(response.url.path)
        preview = await response.text()
    assert 'id="count">4<' in preview
    zone = env.app.s.programme.zone
    past = (env.clock.now() - timedelta(hours=1)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    async with http.post(draft_url + "/confirm", data={"csrf": csrf_of(preview), "action": "later",
                                                       "at": past}) as response:
        assert "Это время уже прошло" in await response.text()
    later = (env.clock.now() + timedelta(days=1)).astimezone(env.app.s.programme.zone)
    at = later.strftime("%Y-%m-%dT%H:%M")
    async with http.post(draft_url + "/confirm", data={"csrf": csrf_of(preview), "action": "later",
                                                       "at": at}) as response:
        confirm = await response.text()
    assert f"Отправить рассылку 4 получателям {later:%d.%m.%Y %H:%M}" in confirm
    async with http.post(draft_url + "/send", data={"csrf": csrf_of(confirm), "nonce": nonce_of(confirm),
                                                    "action": "later", "at": at}) as response:
        listed = await response.text()
    assert "запланирована" in listed and "Отменить отправку" in listed
    broadcast_id = int(draft_url.rsplit("/", 1)[1])
    async with env.app.s.db.read() as conn:
        assert (await broadcasts.get(conn, broadcast_id)).status == "queued"  # type: ignore[union-attr]
    async with http.post(f"/broadcasts/{broadcast_id}/cancel", data={"csrf": csrf_of(listed),
                                                                     "nonce": nonce_of(listed)}) as response:
        assert response.status == 200
    async with env.app.s.db.read() as conn:
        assert (await broadcasts.get(conn, broadcast_id)).status == "cancelled"  # type: ignore[union-attr]
    assert not any("Встреча завтра" in t for t in to(env, ANNA))


async def test_someone_elses_draft_is_403(panel_env: PanelEnv) -> None:
    env = panel_env
    await cohort(env)
    other = await env.person(1999, "Второй Координатор", role="coordinator")
    async with env.app.s.db.transaction() as conn:
        draft = await broadcasts.create(conn, other, "Черновик", env.clock.now())
        await broadcasts.update_draft(conn, draft, audience="all")
    http = env.client()
    html = await env.sign_in(http, COORDINATOR)
    assert (await get(http, f"/broadcasts/{draft}"))[0] == 403
    async with http.post(f"/broadcasts/{draft}/send", data={"csrf": csrf_of(html), "nonce": "n" * 22,
                                                            "action": "urgent"}) as response:
        assert "не ваша рассылка" in await response.text()
    async with env.app.s.db.read() as conn:
        assert (await broadcasts.get(conn, draft)).status == "draft"  # type: ignore[union-attr]


# --- /timeline ------------------------------------------------------------------------------

async def test_moving_a_deadline_replans_and_tells_the_interns(panel_env: PanelEnv) -> None:
    env = panel_env
    await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    status, page = await get(http, "/timeline")
    assert status == 200 and "<svg" in page and 'id="deadline-homework"' in page
    form = {"csrf": csrf_of(page), "nonce": nonce_of(page), "kind": "deadline", "item": "homework",
            "at": "2026-12-20T18:30", "tell": "1"}
    async with http.post("/timeline/move", data=form) as response:
        moved = await response.text()
    assert "теперь" in moved and "Напоминания перестроены" in moved and "поставлено в очередь для 4" in moved
    await env.app.s.delivery.run_once()
    await told(env, lambda: any("изменён: теперь" in t and "20 декабря" in t
                               for t in to(env, VERA)))
    assert "изменено " in moved
    async with env.app.s.db.read() as conn:
        from handlers.internship import timetable

        deadline = await timetable.stage_deadline(conn, env.app.s.programme, "homework")
    assert deadline is not None and deadline.astimezone(env.app.s.programme.zone).strftime("%d.%m %H:%M") == (
        "20.12 18:30")

    past = {**form, "nonce": nonce_of(moved), "at": "2026-01-01T10:00"}
    async with http.post("/timeline/move", data=past) as response:
        assert "уже прошло" in await response.text()
    garbage = {**form, "nonce": nonce_of(moved), "item": "nonsense"}
    async with http.post("/timeline/move", data=garbage) as response:
        assert response.status == 400


# --- /exports -------------------------------------------------------------------------------

async def test_exports_download_the_workbook_and_the_csv_zip(panel_env: PanelEnv) -> None:
    env = panel_env
    await cohort(env)
    http = env.client()
    await env.sign_in(http, COORDINATOR)
    status, page = await get(http, "/exports")
    assert status == 200 and "4 интерна и 2 команды" in page
    async with http.get("/exports/xlsx") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="internship-' in response.headers["Content-Disposition"]
        book = await response.read()
    from openpyxl import load_workbook

    sheets = load_workbook(io.BytesIO(book)).sheetnames
    assert len(sheets) >= 5
    async with http.get("/exports/csv") as response:
        assert response.headers["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(await response.read()))
    persons_csv = archive.read("persons.csv").decode("utf-8-sig")
    assert "Алексеева Анна Борисовна" in persons_csv
