"""Learning paths through the bundled programme on the fake clock (console adapter).

Six interns take the entry diagnostic at all three levels (one skips it and keeps the
common route); each receives their own route's announcements, requirements and
reminders; a coordinator changes a level; the exit diagnostic at the final stage
measures the change, which /progress and the export show right.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.clock import FakeClock
from storage import levels
from storage.completion import completion
from tests.conftest import ConsoleChat, texts
from tests.internship_cohort import BEFORE_START, enrol_cohort
from tests.test_internship_cohort import payloads, press, send_file, tick

YES, RATHER_YES, RATHER_NO, NO = "1", "2", "3", "4"
SITTING = {"ann": NO, "vera": RATHER_YES, "gleb": RATHER_YES, "dina": YES, "egor": YES}
"""Typed answers (the option's number): ann «по шаблону» (0), vera and gleb «модификация»
(18), dina and egor «авторская» (27); boris never takes it."""
LEVEL = {"ann": "template", "vera": "modify", "gleb": "modify", "dina": "author", "egor": "author"}
ALL = ["ann", "boris", "vera", "gleb", "dina", "egor"]


async def sit(chat: ConsoleChat, user: str, answer: str, which: str = "start") -> str:
    await press(chat, user, f"dg|go|{which}")
    for _ in range(9):
        await chat.say(answer, user)
    return texts(await chat.say("1", user))  # "Send" on the summary


async def test_levels_routes_and_growth(chat: ConsoleChat, clock: FakeClock) -> None:
    s = chat.app.s
    level = dict(LEVEL)  # changed below when the coordinator moves gleb; LEVEL stays as written
    programme = s.programme
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    for user in ALL:  # the approval message offers the diagnostic, with its button
        approved = [r for r in chat.all(user) if "одобрена" in r.text][-1]
        assert "dg|go|start" in payloads([approved]) and "9 вопросов" in approved.text

    # --- the entry diagnostic: a form like any other (bad input answered, back works) -----
    first = texts(await press(chat, "ann", "dg|go|start"))
    assert "Вопрос 1 из 9" in first and "Я провожу уроки с готовыми цифровыми ресурсами" in first
    assert "выберите вариант кнопкой" in texts(await chat.say("может быть", "ann"))
    await chat.say(NO, "ann")
    assert "Вопрос 2 из 9" in texts(await press(chat, "ann", "dg|go|start"))  # resumes where she was
    back = texts(await chat.say("/back", "ann"))
    assert "Вопрос 1 из 9" in back and "Нет" in back  # her answer so far is shown
    for _ in range(9):
        await chat.say(NO, "ann")
    result = texts(await chat.say("1", "ann"))
    assert "Ваш уровень: «Действие по шаблону» (0 из 27 баллов)" in result
    assert "готовыми ресурсами" in result
    for user in ("vera", "gleb", "dina", "egor"):
        result = await sit(chat, user, SITTING[user])
        name = {"modify": "Модификация шаблона", "author": "Авторская разработка"}[level[user]]
        assert f"Ваш уровень: «{name}»" in result
    assert "уже пройдена" in texts(await press(chat, "ann", "dg|go|start"))  # once only
    assert "ещё не пройдена" in texts(await press(chat, "boris", "menu|next"))
    async with s.db.read() as conn:
        for user, expected in level.items():
            assert await levels.level_of(conn, ids[user]) == expected
        assert await levels.level_of(conn, ids["boris"]) is None

    # --- the tutor sees levels and answers of their own teams only -------------------------
    tom = texts(await chat.say("/levels", "tom"))
    assert "Антонова Анна" in tom and "Глебов" not in tom
    card = texts(await press(chat, "tom", f"lv|{ids['ann']}"))
    assert "«Действие по шаблону», 0 из 27" in card and "[Уроки]" in card and "— Нет" in card
    assert "Уроки: 0/9" in card
    assert "не из ваших команд" in texts(await press(chat, "tom", f"lv|{ids['gleb']}"))
    assert not any(p.startswith("lvs|") for p in payloads(await press(chat, "tom", f"lv|{ids['ann']}")))

    # --- a coordinator changes gleb's level; gleb is told -----------------------------------
    card = await press(chat, "alice", f"lv|{ids['gleb']}")
    assert f"lvs|{ids['gleb']}|author" in payloads(card)
    assert "Интерн получил" in texts(await press(chat, "alice", f"lvs|{ids['gleb']}|author"))
    await tick(chat)
    assert "Координатор изменил ваш уровень: теперь «Авторская разработка»" in texts(chat.new("gleb"))
    level["gleb"] = "author"

    # --- each receives their own route: the video's text and the course stage ---------------
    clock.set(programme.moment("start+14d 19:00"))
    await tick(chat)
    clock.set(programme.moment("start+15d 08:00"))  # Vladivostok's quiet hours are over
    await tick(chat)
    got = {u: texts(chat.new(u)) for u in ALL}
    assert "на готовых ресурсах" in got["ann"] and "5–15 минут" in got["ann"]
    assert "собственным интерактивным ресурсом" in got["vera"]
    for user in ("dina", "egor", "gleb"):
        assert "как занятие своего онлайн-курса" in got[user]
        assert "Авторский онлайн-курс" in got[user]
    assert "Проведите спроектированное мероприятие онлайн и запишите видео на 10–15 минут" in got["boris"]
    for user in ("ann", "vera", "boris"):
        assert "Авторский онлайн-курс" not in got[user]
    assert "Авторский онлайн-курс" in texts(await press(chat, "dina", "go|course"))
    await press(chat, "dina", "hw|cancel")
    assert "уже не работает" in texts(await press(chat, "ann", "go|course"))  # not on her route

    # requirements differ: 6 minutes is within «по шаблону» (5–15), outside the common 10–15
    await press(chat, "ann", "go|video")
    sent = texts(await send_file(chat, "ann", kind="video", file_id="v-ann", duration=6 * 60, size=50 << 20))
    assert "тьютор" in sent.lower()
    await press(chat, "boris", "go|video")
    warned = texts(await send_file(chat, "boris", kind="video", file_id="v-b", duration=360, size=50 << 20))
    assert "10" in warned and "15" in warned and "vid|yes" in payloads(chat.all("boris")[-1:])

    # deadlines and reminders follow the route: only the authors hear of the course
    deadlines = texts(await press(chat, "dina", "menu|deadlines"))
    assert "Авторский онлайн-курс" in deadlines
    assert "Авторский онлайн-курс" not in texts(await press(chat, "vera", "menu|deadlines"))
    clock.set(programme.moment("start+26d 12:00"))
    await tick(chat)
    await tick(chat)
    reminded = {u: texts(chat.new(u)) for u in ALL}
    assert "Авторский онлайн-курс" in reminded["dina"]
    assert "Авторский онлайн-курс" not in reminded["vera"] + reminded["boris"] + reminded["ann"]

    # completion follows the route: the course is asked of the authors only
    async with s.db.read() as conn:
        assert "course" in (await completion(conn, programme, ids["dina"])).missing
        assert "course" not in (await completion(conn, programme, ids["vera"])).missing

    # --- /progress: per-level lines, the course counted for its level only ------------------
    report = (await chat.say("/progress", "alice"))[0].text
    assert "• Авторский онлайн-курс: 0 / 3 / 0" in report
    assert "• Действие по шаблону: 1 /" in report and "• Авторская разработка: 3 /" in report
    assert "без диагностики" in report or "не определён: 1" in report

    # --- the exit diagnostic comes with the final stage; growth is measured -----------------
    clock.set(programme.moment("start+28d 10:00"))
    await tick(chat)
    await tick(chat)
    for user in ALL:
        assert "dg|go|end" in payloads(chat.new(user))
    exit_answers = {"ann": RATHER_YES, "vera": YES, "gleb": YES, "dina": YES, "egor": RATHER_YES}
    outcome = {u: await sit(chat, u, a, "end") for u, a in exit_answers.items()}
    assert "Вы выросли: на старте — «Действие по шаблону» (0), сейчас — «Модификация шаблона» (18)" \
        in outcome["ann"]
    assert "На старте и сейчас — «Авторская разработка»" in outcome["dina"]
    assert "Честная самооценка" in outcome["egor"]
    mine = texts(await press(chat, "ann", "menu|progress"))
    assert "Ваш уровень: «Действие по шаблону»" in mine
    assert "По итоговой диагностике: «Модификация шаблона»" in mine

    replies = await chat.say("/progress", "alice")
    report = replies[0].text
    assert "• Действие по шаблону: 1 → 0" in report and "• Модификация шаблона: 2 → 2" in report
    assert "• Авторская разработка: 2 → 3" in report
    assert "Выросли: 3, без изменений: 1, ниже: 1" in report
    assert replies[-1].file is not None and replies[-1].file.name == "levels.png"

    # --- the export: the levels sheet, the report upward ------------------------------------
    reply = (await chat.say("/export", "alice"))[-1]
    book = load_workbook(io.BytesIO(reply.file.data or b""))  # type: ignore[union-attr]
    rows = [list(r) for r in book["Уровни"].iter_rows(values_only=True)]
    header, by_id = rows[0], {r[0]: r for r in rows[1:]}
    ann = dict(zip(header, by_id[ids["ann"]], strict=True))
    assert (ann["Уровень на старте"], ann["Уровень в конце"], ann["Изменение уровня"]) == (
        "Действие по шаблону", "Модификация шаблона", "↑1")
    gleb = dict(zip(header, by_id[ids["gleb"]], strict=True))
    assert gleb["Уровень маршрута"] == "Авторская разработка" and gleb["Изменён координатором"] == "да"
    assert dict(zip(header, by_id[ids["egor"]], strict=True))["Изменение уровня"] == "↓1"
    assert dict(zip(header, by_id[ids["boris"]], strict=True))["Уровень на старте"] is None
    report_rows = [list(r) for r in book["Отчёт"].iter_rows(values_only=True)]
    total = dict(zip(report_rows[0], report_rows[1], strict=True))
    assert (total["Интернов"], total["Прошли обе диагностики"], total["Уровень вырос"],
            total["Уровень ниже"]) == (6, 5, 3, 1)
    assert total["На старте: Авторская разработка"] == 2 and total["В конце: Авторская разработка"] == 3
    assert report_rows[2][0] == "Казань"
