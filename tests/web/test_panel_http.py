"""The panel over HTTP: sign-in by Telegram init data, VK launch parameters and the one-time
link; sessions, CSRF, roles (a tutor sees only their tickets), /healthz; the real aiohttp
client against the panel served by the app, the bot on the fake Telegram server."""

from __future__ import annotations

from datetime import timedelta

from storage import tickets
from tests.e2e.telegram import COORDINATOR, TOKEN
from tests.web.conftest import VK_SECRET, PanelEnv, csrf_of, nonce_of, telegram_init_data, vk_launch_params

TUTOR, OTHER_TUTOR, INTERN, OTHER_INTERN = 2001, 2002, 3001, 3002


async def test_healthz_needs_no_sign_in_and_tells_no_personal_data(panel_env: PanelEnv) -> None:
    await panel_env.intern(3100, "Секретова Анна Ивановна")
    async with panel_env.client().get("/healthz") as response:
        assert response.status == 200
        body = await response.json()
    name = panel_env.app.settings.instance_name
    assert body == {"status": "ok", "db": "ok", "adapters": ["telegram"],
                    "outbox_pending": body["outbox_pending"], "instance": name,
                    "instances": [name], "roles": body["roles"]}
    assert isinstance(body["outbox_pending"], int)
    assert set(body["roles"].values()) <= {name}  # one instance holds whatever roles are taken
    assert "Секретова" not in str(body)


async def test_telegram_init_data_signs_a_coordinator_in(panel_env: PanelEnv) -> None:
    http = panel_env.client()
    data = telegram_init_data(TOKEN, COORDINATOR, panel_env.clock.now() - timedelta(minutes=1))
    async with http.post("/auth/telegram", data={"init_data": data}, allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.cookies["panel_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert not cookie["secure"]  # plain-http local address: the only place cookies may be unsecured
        assert int(cookie["max-age"]) == 12 * 3600
    async with http.get("/") as home:
        assert home.status == 200 and str(home.url).endswith("/applications")


async def test_tampered_or_foreign_init_data_is_401(panel_env: PanelEnv) -> None:
    http = panel_env.client()
    now = panel_env.clock.now()
    good = telegram_init_data(TOKEN, COORDINATOR, now)
    tampered = good.replace(f"%22id%22%3A{COORDINATOR}", "%22id%22%3A42")
    assert tampered != good
    other_bot = telegram_init_data("999999:OTHER", COORDINATOR, now)
    for data in (tampered, other_bot, "", "hash=abc"):
        async with http.post("/auth/telegram", data={"init_data": data}, allow_redirects=False) as response:
            assert response.status == 401, data
    async with http.get("/applications", allow_redirects=False) as page:
        assert page.status == 303 and page.headers["Location"] == "/signin"


async def test_init_data_older_than_a_day_is_401(panel_env: PanelEnv) -> None:
    http = panel_env.client()
    signed_at = panel_env.clock.now()
    data = telegram_init_data(TOKEN, COORDINATOR, signed_at)
    panel_env.clock.advance(hours=24, minutes=1)
    async with http.post("/auth/telegram", data={"init_data": data}, allow_redirects=False) as response:
        assert response.status == 401
        assert "устарели" in await response.text()


async def test_an_interns_init_data_is_403(panel_env: PanelEnv) -> None:
    person = await panel_env.person(INTERN, "Интернова Ольга", role="intern")
    assert person
    http = panel_env.client()
    data = telegram_init_data(TOKEN, INTERN, panel_env.clock.now())
    async with http.post("/auth/telegram", data={"init_data": data}, allow_redirects=False) as response:
        assert response.status == 403
        assert "panel_session" not in response.cookies
    stranger = telegram_init_data(TOKEN, 777, panel_env.clock.now())
    async with http.post("/auth/telegram", data={"init_data": stranger}, allow_redirects=False) as response:
        assert response.status == 403


async def test_vk_launch_params_valid_and_tampered(panel_env: PanelEnv) -> None:
    now = panel_env.clock.now()
    async with panel_env.app.s.db.transaction() as conn:
        from storage import persons

        account, _ = await persons.ensure_account(conn, now, platform="vk", user_ref="555", chat_ref="555",
                                                  display_name=None, language_code="ru", locale="ru")
        await persons.grant_role(conn, account.person_id, "tutor", now)
    http = panel_env.client()
    good = vk_launch_params(VK_SECRET, 555, now)
    for bad in (good.replace("vk_user_id=555", "vk_user_id=556"), vk_launch_params("wrong", 555, now)):
        async with http.post("/auth/vk", data={"params": bad}, allow_redirects=False) as response:
            assert response.status == 401
    async with http.post("/auth/vk", data={"params": good}, allow_redirects=False) as response:
        assert response.status == 303
    async with http.get("/") as home:
        assert home.status == 200 and str(home.url).endswith("/people")  # a tutor's first page
    async with http.get("/applications") as page:
        assert page.status == 403  # coordinators only


async def test_the_one_time_link_works_once(panel_env: PanelEnv) -> None:
    link = await panel_env.login_link(COORDINATOR)
    path = "/" + link.split("/", 3)[3]
    first, second = panel_env.client(), panel_env.client()
    async with first.get(path) as page:
        assert page.status == 200  # only a button: a link preview must not spend it
    async with first.post(path) as signed:
        assert signed.status == 200 and str(signed.url).endswith("/applications")
    async with second.post(path, allow_redirects=False) as again:
        assert again.status == 401
    async with second.get(path) as again_page:
        assert again_page.status == 401


async def test_the_one_time_link_expires_after_ten_minutes(panel_env: PanelEnv) -> None:
    link = await panel_env.login_link(COORDINATOR)
    path = "/" + link.split("/", 3)[3]
    panel_env.clock.advance(minutes=10, seconds=1)
    async with panel_env.client().post(path, allow_redirects=False) as response:
        assert response.status == 401


async def test_a_form_without_its_csrf_token_is_403_and_logout_ends_the_session(panel_env: PanelEnv) -> None:
    app_id = await panel_env.intern(3200, "Петрова Анна Сергеевна")
    http = panel_env.client()
    html = await panel_env.sign_in(http, COORDINATOR)
    token = csrf_of(html)
    for fields in ({}, {"csrf": "forged"}):
        async with http.post("/applications/decide", data={**fields, "action": "approve", "ids": str(app_id),
                                                          "nonce": "n" * 22}) as response:
            assert response.status == 403
    async with panel_env.app.s.db.read() as conn:
        from storage import applications

        assert (await applications.get(conn, app_id)).status == "pending"  # type: ignore[union-attr]
    async with http.post("/logout", data={"csrf": token}) as out:
        assert str(out.url).endswith("/signin")
    async with http.get("/applications", allow_redirects=False) as page:
        assert page.status == 303


async def test_sessions_end_after_twelve_hours(panel_env: PanelEnv) -> None:
    http = panel_env.client()
    await panel_env.sign_in(http, COORDINATOR)
    panel_env.clock.advance(hours=12, seconds=1)
    async with http.get("/applications", allow_redirects=False) as page:
        assert page.status == 303 and page.headers["Location"] == "/signin"


async def test_a_tutor_sees_and_answers_only_their_own_teams_tickets(panel_env: PanelEnv) -> None:
    env = panel_env
    tutor = await env.person(TUTOR, "Тьюторова Татьяна", role="tutor")
    other = await env.person(OTHER_TUTOR, "Другой Пётр", role="tutor")
    mine = await env.person(INTERN, "Иванов Иван")
    theirs = await env.person(OTHER_INTERN, "Сидорова Ольга")
    await env.team("Команда 1", tutor, [mine])
    await env.team("Команда 2", other, [theirs])
    await env.chat.say(INTERN, "/ask")
    await env.chat.say(INTERN, "Как загрузить видео?")
    await env.chat.say(OTHER_INTERN, "/ask")
    await env.chat.say(OTHER_INTERN, "Где ссылка на вебинар?")
    async with env.app.s.db.read() as conn:
        my_ticket = (await tickets.of_tutor(conn, tutor))[0]
        their_ticket = (await tickets.of_tutor(conn, other))[0]
    http = env.client()
    await env.sign_in(http, TUTOR)
    async with http.get("/tickets") as queue:
        html = await queue.text()
    assert "Как загрузить видео?" in html and "Где ссылка на вебинар?" not in html
    async with http.get(f"/tickets/{their_ticket.id}") as foreign:
        assert foreign.status == 403
    async with http.get(f"/tickets/{my_ticket.id}") as page:
        html = await page.text()
    before = len(env.chat.fake.texts_to(OTHER_INTERN))
    forged_form = {"csrf": csrf_of(html), "nonce": nonce_of(html), "text": "чужой ответ"}
    async with http.post(f"/tickets/{their_ticket.id}/answer", data=forged_form) as forged:
        assert forged.status == 403
    assert len(env.chat.fake.texts_to(OTHER_INTERN)) == before
    form = {"csrf": csrf_of(html), "nonce": nonce_of(html), "text": "Через кнопку «Сдать видео» в меню."}
    async with http.post(f"/tickets/{my_ticket.id}/answer", data=form) as answered:
        assert answered.status == 200
        assert "отправлен" in await answered.text()
    await env.chat.fake.wait_for(lambda: any("Через кнопку «Сдать видео»" in t
                                             for t in env.chat.fake.texts_to(INTERN)))
    async with http.post(f"/tickets/{my_ticket.id}/answer", data=form) as again:  # the same form twice
        assert "уже была отправлена" in await again.text()
    assert sum("Через кнопку «Сдать видео»" in t for t in env.chat.fake.texts_to(INTERN)) == 1


async def test_an_intern_who_lost_the_staff_role_is_signed_out(panel_env: PanelEnv) -> None:
    tutor = await panel_env.person(TUTOR, "Тьюторова Татьяна", role="tutor")
    http = panel_env.client()
    await panel_env.sign_in(http, TUTOR)
    async with panel_env.app.s.db.transaction() as conn:
        from storage import persons

        await persons.revoke_role(conn, tutor, "tutor")
    async with http.get("/tickets", allow_redirects=False) as page:
        assert page.status == 303  # roles are read on every request


async def test_anyone_verifies_a_certificate_without_signing_in(panel_env: PanelEnv) -> None:
    from storage import certificates

    person = await panel_env.person(3300, "Сертификатова Анна Павловна")
    async with panel_env.app.s.db.transaction() as conn:
        await certificates.insert(conn, number="DPI-2026-00007", series="DPI-2026", seq=7, person_id=person,
                                  programme_title="Цифровая интернатура", name="Сертификатова Анна Павловна",
                                  email="a@example.ru", lang="ru", now=panel_env.clock.now(), issued_by=None)
    http = panel_env.client()
    async with http.get("/verify/DPI-2026-00007") as page:
        assert page.status == 200
        html = await page.text()
    assert "действителен" in html and "Сертификатова Анна Павловна" in html and "a@example.ru" not in html
    async with http.get("/verify/DPI-2026-99999") as missing:
        assert missing.status == 404
