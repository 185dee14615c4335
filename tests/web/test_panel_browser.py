"""The panel in a real browser: Debian's headless Chromium driven by Playwright.

A coordinator signs in with the one-time link from /web, ticks 3 of 5 pending
applications and approves them: exactly those three interns get the approval over the
fake Telegram server. A tutor answers a ticket from the page and the intern gets it.
Every page is screenshotted at a phone's and a desktop's size and checked not blank.
"""

from __future__ import annotations

from typing import Any

from storage import applications, tickets
from tests.e2e.telegram import COORDINATOR
from tests.web.conftest import PanelEnv, screenshots

APPROVED = "Ваша заявка на интернатуру"
INTERNS = [(4001, "Алексеева Анна Борисовна", "Казань"), (4002, "Борисов Борис Викторович", "Пермь"),
           (4003, "Васильева Вера Павловна", "Омск"), (4004, "Григорьев Глеб Олегович", "Тула"),
           (4005, "Дмитриева Дарья Ильинична", "Сочи")]


async def sign_in(env: PanelEnv, page: Any, user_id: int) -> None:
    await page.goto(await env.login_link(user_id))
    await page.click("#sign-in")
    await page.wait_for_load_state()


async def test_a_coordinator_approves_three_of_five_in_the_browser(panel_env: PanelEnv, browser: Any) -> None:
    env = panel_env
    ids = [await env.intern(uid, name, region=region) for uid, name, region in INTERNS]
    page = await browser.new_page()
    await sign_in(env, page, COORDINATOR)
    assert page.url.endswith("/applications")
    assert await page.locator("tbody tr").count() == 5
    await screenshots(page, "applications")
    chosen = ids[:2] + ids[3:4]
    for app_id in chosen:
        await page.check(f'input[name="ids"][value="{app_id}"]')
    assert await page.text_content("#count") == "3"
    await page.click('button[value="approve"]')
    await page.wait_for_selector("#question")
    assert "Одобрить 3 заявки?" in (await page.text_content("#question") or "")
    await screenshots(page, "applications-confirm")
    await page.click("#yes")
    await page.wait_for_selector(".notes")
    assert "Одобрены 3 заявки" in (await page.text_content(".notes") or "")
    assert await page.locator("tbody tr").count() == 2  # the two still pending

    told = {uid for uid, _, _ in INTERNS if any(APPROVED in t for t in env.chat.fake.texts_to(uid))}
    assert told == {INTERNS[0][0], INTERNS[1][0], INTERNS[3][0]}
    async with env.app.s.db.read() as conn:
        statuses = [(await applications.get(conn, i)).status for i in ids]  # type: ignore[union-attr]
    assert statuses == ["approved", "approved", "pending", "approved", "pending"]

    await page.goto(env.base + "/applications?status=all&sort=region&dir=desc")
    regions = await page.locator("tbody tr td:nth-child(4)").all_text_contents()
    assert regions == sorted(regions, reverse=True) and len(regions) == 5


async def test_a_tutor_answers_a_ticket_from_the_page(panel_env: PanelEnv, browser: Any) -> None:
    env = panel_env
    tutor_uid, intern_uid = 5001, 5002
    tutor = await env.person(tutor_uid, "Тьюторова Татьяна Ивановна", role="tutor")
    intern = await env.person(intern_uid, "Иванов Иван Иванович")
    await env.team("Команда 1", tutor, [intern])
    await env.chat.say(intern_uid, "/ask")
    await env.chat.say(intern_uid, "Как прикрепить презентацию к домашнему заданию?")
    async with env.app.s.db.read() as conn:
        ticket = (await tickets.of_tutor(conn, tutor))[0]

    page = await browser.new_page()
    await sign_in(env, page, tutor_uid)
    assert page.url.endswith("/people")  # a tutor's first page: their teams' interns
    await page.click('nav a[href="/tickets"]')
    await page.wait_for_selector("tbody")
    assert "Как прикрепить презентацию" in (await page.text_content("tbody") or "")
    await screenshots(page, "tickets")
    await page.click(f'a[href="/tickets/{ticket.id}"] >> nth=0')
    await page.wait_for_selector("textarea[name=text]")
    await page.fill("textarea[name=text]", "Загрузите файл прямо в чат с ботом — он приложит его к заданию.")
    await screenshots(page, "ticket")
    await page.click("#send")
    await page.wait_for_selector(".notes")
    await env.chat.fake.wait_for(lambda: any("Загрузите файл прямо в чат" in t
                                             for t in env.chat.fake.texts_to(intern_uid)))
    assert "Загрузите файл прямо в чат" in (await page.text_content(".msg.staff") or "")


# --- people, progress, broadcasts, timeline, exports --------------------------------------------

COHORT = ["Алексеева Анна Борисовна", "Борисов Борис Викторович", "Васильева Вера Павловна",
          "Григорьев Глеб Олегович", "Дмитриева Дарья Ильинична", "Егоров Евгений Андреевич",
          "Жукова Жанна Сергеевна", "Зайцев Захар Ильич", "Иванова Ирина Олеговна",
          "Козлов Кирилл Павлович", "Лебедева Лидия Юрьевна", "Морозов Максим Денисович"]
STAGE_ORDER = ["problematisation", "homework", "presentation", "video", "course", "reflection"]


async def seed_cohort(env: PanelEnv) -> dict[str, Any]:
    """Three teams with tutors, an intern without a team, one the bot cannot reach, work at
    every stage, both diagnostics for some: enough for every page to show what it is for."""
    from storage import levels, persons, stages

    tutors = [await env.person(7001, "Тьюторова Татьяна Ивановна", role="tutor"),
              await env.person(7002, "Наставников Николай Петрович", role="tutor"),
              await env.person(7003, "Учителева Ульяна Сергеевна", role="tutor")]
    people = [await env.person(7100 + n, name) for n, name in enumerate(COHORT)]
    north = await env.team("Север", tutors[0], people[0:4])
    south = await env.team("Юг", tutors[1], people[4:8])
    await env.team("Запад", tutors[2], people[8:11])
    now = env.clock.now()
    async with env.app.s.db.transaction() as conn:
        await persons.grant_role(conn, people[11], "intern", now)
        await applications.create(conn, people[11], {"full_name": COHORT[11]}, now)
        for n, pid in enumerate(people):
            app_id = await applications.create(conn, pid, {"full_name": COHORT[n]}, now)
            await applications.decide(conn, app_id, "approved", pid, now)
            for stage in STAGE_ORDER[: (n * 5) % 7]:
                await stages.set_status(conn, pid, stage, "submitted", now)
            if (n * 5) % 7 < len(STAGE_ORDER):
                await stages.set_status(conn, pid, STAGE_ORDER[(n * 5) % 7],
                                        "open" if n % 2 else "returned", now)
            level = ("template", "modify", "author")[n % 3]
            await levels.record_start(conn, pid, level, 10 + n, now)
            if n % 2:
                await levels.record_end(conn, pid, ("modify", "author", "author")[n % 3], 15 + n, now)
        await persons.mark_unreachable(conn, (await persons.accounts_of(conn, people[6]))[0].id, now)
    for n in range(3):
        await env.intern(7200 + n, f"Кандидат {n + 1}")
    return {"people": people, "north": north, "south": south}


async def test_each_new_page_on_a_phone_and_a_desktop_and_a_move(panel_env: PanelEnv, browser: Any) -> None:
    """Every page is screenshotted (and checked not blank); a coordinator moves an intern to
    another team from the intern's page, and the intern is told over the fake Telegram server."""
    env = panel_env
    env.clock.advance(days=103, hours=8)  # the middle of the programme: some deadlines past
    seeded = await seed_cohort(env)
    page = await browser.new_page()
    await sign_in(env, page, COORDINATOR)

    await page.goto(env.base + "/people")
    assert await page.locator("tbody tr").count() == 12
    await screenshots(page, "people")
    await page.goto(env.base + "/people/teams")
    await screenshots(page, "teams")
    await page.goto(env.base + "/progress")
    assert await page.locator(".chart-wide svg.chart:visible").count() >= 4
    await screenshots(page, "progress")
    await page.goto(env.base + "/timeline")
    assert await page.locator(".chart-wide svg.chart").is_visible()  # the desktop drawing on a desktop
    await screenshots(page, "timeline")
    await page.goto(env.base + "/exports")
    await screenshots(page, "exports")

    await page.goto(env.base + "/broadcasts")
    await page.fill("#body", "Добрый день, ")
    await page.click('button[data-insert="{{ name }}"]')
    await page.type("#body", "! Ваш тьютор — ")
    await page.click('button[data-insert="{{ tutor }}"]')
    await page.type("#body", ". Ближайший срок: ")
    await page.click('button[data-insert="{{ next_deadline }}"]')
    await page.select_option("#audience", f"team:{seeded['north']}")
    await screenshots(page, "broadcasts")
    await page.click("#preview")
    await page.wait_for_selector("#sample")
    sample = await page.text_content("#sample") or ""
    assert "Добрый день, Алексеева Анна Борисовна! Ваш тьютор — Тьюторова" in sample
    await screenshots(page, "broadcast-preview")
    await page.click("#send-now")
    await page.wait_for_selector("#question")
    assert "Отправить рассылку 4 получателям сейчас?" in (await page.text_content("#question") or "")
    await page.click("#yes")
    await page.wait_for_selector(".notes")
    await env.app.s.delivery.run_once()  # the outbox loop (off in tests) sends the batch
    await page.goto(env.base + "/broadcasts")
    await screenshots(page, "broadcasts-report")

    boris = seeded["people"][1]
    await page.goto(env.base + f"/people/{boris}")
    await screenshots(page, "person")
    await page.select_option("#team", str(seeded["south"]))
    await page.click("#do-move")
    await page.wait_for_selector(".notes")
    assert "теперь в команде «Юг»" in (await page.text_content(".notes") or "")
    fake = env.chat.fake
    await fake.wait_for(lambda: any("Ваша команда — «Юг»" in t for t in fake.texts_to(7101)))  # Boris
    await fake.wait_for(lambda: any("Вы тьютор команды «Юг»" in t for t in fake.texts_to(7002)))
    assert "Юг" in (await page.text_content("dl.facts") or "")
