"""Six interns in two teams through the whole programme on the fake clock (console adapter).

Each step checks what every person received: interns, their tutors and nobody else.
"""

from __future__ import annotations

from bot.clock import FakeClock
from bot.messages import FileInfo, Reply
from storage import persons, submissions, teams
from storage.completion import completion
from storage.survey import aggregate
from tests.conftest import ConsoleChat, texts
from tests.internship_cohort import BEFORE_START, INTERNS, enrol_cohort

TEAM_A = [i.user for i in INTERNS if i.team == "A"]
TEAM_B = [i.user for i in INTERNS if i.team == "B"]
EVERYONE = TEAM_A + TEAM_B


async def press(chat: ConsoleChat, user: str, payload: str) -> list[Reply]:
    chat.new(user)
    chat.as_user(user)
    await chat.press(payload)
    return chat.new(user)


async def send_file(chat: ConsoleChat, user: str, **info: object) -> list[Reply]:
    chat.new(user)
    chat.as_user(user)
    await chat.send(file=FileInfo(**info))  # type: ignore[arg-type]
    return chat.new(user)


async def tick(chat: ConsoleChat) -> None:
    await chat.app.s.scheduler.tick()
    await chat.app.s.delivery.run_once()


def payloads(replies: list[Reply]) -> list[str]:
    return [b.payload for r in replies for row in r.buttons for b in row if b.payload]


def urls(replies: list[Reply]) -> list[str]:
    return [b.url for r in replies for row in r.buttons for b in row if b.url]


def only(chat: ConsoleChat, users: list[str], everyone: list[str]) -> dict[str, list[Reply]]:
    """New replies of `users`; everybody else in `everyone` must have received nothing."""
    got = {u: chat.new(u) for u in everyone}
    for user, replies in got.items():
        if user not in users:
            assert replies == [], f"{user} should have got nothing: {texts(replies)}"
    return got


async def test_cohort_goes_through_the_whole_programme(chat: ConsoleChat, clock: FakeClock) -> None:
    s = chat.app.s
    programme = s.programme
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    watchers = [*EVERYONE, "tom", "tina", "alice"]

    # --- menu and events before the start, in each intern's own time zone -----------------
    menu = await chat.say("/menu", "ann")
    assert {"menu|next", "menu|deadlines", "ev|list", "ask", "menu|progress"} <= set(payloads(menu))
    asked = await press(chat, "ann", "ask")  # the tickets feature (issue 5) answers the menu's button
    assert "вопрос тьютору" in texts(asked)
    cancel = [p for p in payloads(asked) if p.startswith("askno")]
    assert cancel
    await press(chat, "ann", cancel[0])
    nxt = texts(await press(chat, "ann", "menu|next"))
    assert "Встреча 1" in nxt and "08.12.2026, 17:00 (Москва (МСК))" in nxt
    nxt = texts(await press(chat, "egor", "menu|next"))
    assert "09.12.2026, 00:00 (Владивосток (МСК+7))" in nxt
    cards = await press(chat, "ann", "ev|list")
    assert sum("📅 Встреча" in r.text for r in cards) == 3
    assert "https://zoom.example.org/j/1000000001" in texts(cards)
    assert "https://zoom.example.org/j/1000000002" in urls(cards)
    ics = (await press(chat, "ann", "ev|ics|problematisation"))[0]
    assert ics.file is not None and ics.file.name == "problematisation.ics" and ics.file.data
    assert b"DTSTART:20261208T140000Z" in ics.file.data
    assert b"https://zoom.example.org/j/1000000001" in ics.file.data
    await press(chat, "ann", "ev|skip|presentation")
    got = only(chat, ["tom"], watchers)
    assert "Антонова Анна Сергеевна" in got["tom"][0].text and "не сможет" in got["tom"][0].text
    absences = texts(await chat.say("/absences", "alice"))
    assert "Антонова Анна Сергеевна" in absences and "Команда A" in absences
    refused = texts(await chat.say("/absences", "ann"))
    assert "только координаторам" in refused

    # --- meeting 1 is over: problematisation and team homework open by date -----------------
    clock.set(programme.moment("start+7d 19:00"))
    await tick(chat)
    awake = [u for u in EVERYONE if u != "egor"]  # 02:00 in Vladivostok: quiet hours
    got = only(chat, awake, watchers)
    for user in awake:
        assert len(got[user]) == 2, texts(got[user])
        assert "Проблематизация" in got[user][0].text and "go|problematisation" in payloads(got[user])
        assert "Домашнее задание" in got[user][1].text and "go|homework" in payloads(got[user])
    clock.advance(hours=5, minutes=59)
    await tick(chat)
    only(chat, [], watchers)
    clock.advance(minutes=1)  # 08:00 in Vladivostok
    await tick(chat)
    egor = only(chat, ["egor"], watchers)["egor"]
    assert len(egor) == 2 and "Срок — вт 15.12.2026, 06:00 (Владивосток (МСК+7))" in texts(egor)
    await tick(chat)  # a second tick (or a restart) sends nothing again
    only(chat, [], watchers)

    await press(chat, "ann", "go|problematisation")
    for answer in ("Мало живого общения", "Не умею вести вебинары", "Научиться новому"):
        await chat.say(answer, "ann")
    done = texts(await chat.say("1", "ann"))  # "Send" on the summary
    assert "тьютору вашей команды" in done
    got = only(chat, ["tom"], watchers)
    assert "Не умею вести вебинары" in got["tom"][0].text
    again = texts(await press(chat, "ann", "go|problematisation"))
    assert "уже отправили" in again
    for user in EVERYONE[1:]:  # the others answer too: nobody is overdue at the deadline
        await press(chat, user, "go|problematisation")
        for answer in ("Нет времени", "Мало опыта", "Освоить платформу", "1"):
            await chat.say(answer, user)
    only(chat, ["tom", "tina", *EVERYONE[1:]], watchers)

    # --- team homework: one submission per team, any member, visible to the team ----------
    await press(chat, "boris", "go|homework")
    await chat.say("Цели: научить родителей пользоваться платформой", "boris")
    await send_file(chat, "boris", kind="document", file_id="doc-1", name="plan.docx", size=20_000)
    added = await chat.say("https://disk.yandex.ru/d/plan", "boris")
    assert "Добавлено: 3" in added[-1].text
    sent = texts(await press(chat, "boris", "hw|send"))
    assert "версия 1" in sent
    got = only(chat, ["ann", "vera", "tom"], watchers)
    for user in ("ann", "vera"):
        assert "Борисов Борис Иванович" in got[user][0].text and "ждёт проверки" in got[user][0].text
    assert got["tom"][0].file is not None and got["tom"][0].file.file_id == "doc-1"
    card_a = got["tom"][-1]
    assert "plan.docx" in card_a.text and "https://disk.yandex.ru/d/plan" in card_a.text
    sub_a1 = payloads([card_a])[0].split("|")[1]

    await press(chat, "gleb", "go|homework")
    sticker = await send_file(chat, "gleb", kind="sticker", file_id="st-1")
    assert "Стикер" in sticker[0].text
    await chat.say("Вебинар для коллег о цифровых досках", "gleb")
    await press(chat, "gleb", "hw|send")
    got = only(chat, ["dina", "egor", "tina"], watchers)
    sub_b1 = payloads([got["tina"][-1]])[0].split("|")[1]

    # only the tutor of that team may review; other roles are refused
    assert "тьютор её команды" in texts(await press(chat, "tina", f"rev|{sub_a1}|ok"))
    assert "только тьюторам" in texts(await press(chat, "ann", f"rev|{sub_a1}|ok"))
    assert "только тьюторам" in texts(await press(chat, "alice", f"rev|{sub_a1}|ok"))
    only(chat, [], watchers)

    # the tutor returns it with a comment; another member resubmits; the tutor accepts
    await press(chat, "tom", f"rev|{sub_a1}|ret")
    await chat.say("Добавьте задачи и формы работы", "tom")
    got = only(chat, ["ann", "boris", "vera", "tom"], watchers)
    for user in TEAM_A:
        assert "Добавьте задачи и формы работы" in got[user][0].text
        assert "go|homework" in payloads(got[user])
    resumed = texts(await press(chat, "vera", "go|homework"))
    assert "Добавьте задачи и формы работы" in resumed
    await chat.say("Цели, задачи, формы: викторина и чат", "vera")
    await press(chat, "vera", "hw|send")
    card_a2 = only(chat, ["ann", "boris", "vera", "tom"], watchers)["tom"][-1]
    sub_a2 = payloads([card_a2])[0].split("|")[1]
    assert "версия 2" in card_a2.text
    assert "версию 1 вы вернули с комментарием «Добавьте задачи и формы работы»" in card_a2.text
    assert "уже обработана" in texts(await press(chat, "tom", f"rev|{sub_a1}|ok"))
    await press(chat, "tom", f"rev|{sub_a2}|ok")
    got = only(chat, ["ann", "boris", "vera", "tom"], watchers)
    for user in TEAM_A:
        assert "принял" in got[user][0].text
    await press(chat, "tina", f"rev|{sub_b1}|ok")
    only(chat, ["dina", "egor", "gleb", "tina"], watchers)
    async with s.db.read() as conn:
        team_a = await teams.team_of(conn, ids["ann"])
        assert team_a is not None
        history = await submissions.history(conn, "homework", submissions.team_owner(team_a.id))
        assert [(h.version, h.status) for h in history] == [(1, "returned"), (2, "accepted")]
        assert history[0].comment == "Добавьте задачи и формы работы"
    progress = texts(await press(chat, "dina", "menu|progress"))
    assert "Домашнее задание команды: тьютор принял работу ✅" in progress
    assert "Тихонова Тина Юрьевна" in progress

    # --- before the presentation: rules and prompting questions -----------------------------
    clock.set(programme.moment("start+12d 10:00"))
    await tick(chat)
    got = only(chat, EVERYONE, watchers)
    for user in EVERYONE:
        assert "3 минут" in got[user][0].text and "Какую педагогическую проблему" in got[user][0].text
        assert "https://zoom.example.org/j/1000000002" in got[user][0].text

    # --- video: file with a duration, a link with an asked duration, bad input ---------------
    clock.set(programme.moment("start+14d 19:00"))
    await tick(chat)
    clock.advance(hours=6)  # the morning in Vladivostok
    await chat.app.s.delivery.run_once()
    got = only(chat, EVERYONE, watchers)
    assert all("go|video" in payloads(got[u]) for u in EVERYONE)

    await press(chat, "ann", "go|video")
    await send_file(chat, "ann", kind="video", file_id="vid-ann", duration=12 * 60, size=300 << 20,
                    mime="video/mp4", name="event.mp4")
    tom = only(chat, ["ann", "tom"], watchers)["tom"]
    assert tom[0].file is not None and tom[0].file.file_id == "vid-ann" and tom[0].file.kind == "video"
    assert "12 мин" in tom[-1].text and "вне диапазона" not in tom[-1].text
    await press(chat, "tom", payloads(tom)[0])

    await press(chat, "boris", "go|video")
    voice = await send_file(chat, "boris", kind="voice", file_id="v1", duration=30)
    assert "голосовое" in voice[0].text.lower()
    huge = await send_file(chat, "boris", kind="video", file_id="big", duration=700, size=2100 << 20)
    assert "слишком большой" in huge[0].text
    asked = texts(await chat.say("https://rutube.ru/video/abc123/", "boris"))
    assert "Сколько минут" in asked
    assert "Не понял" in texts(await chat.say("примерно десять", "boris"))
    short = await chat.say("8", "boris")
    assert "8 мин" in short[0].text and "vid|yes" in payloads(short)
    await press(chat, "boris", "vid|yes")
    tom = only(chat, ["ann", "boris", "tom"], watchers)["tom"]
    assert "https://rutube.ru/video/abc123/" in tom[-1].text and "вне диапазона" in tom[-1].text
    await press(chat, "tom", payloads(tom)[0])

    for user, tutor in [("vera", "tom"), ("gleb", "tina"), ("dina", "tina"), ("egor", "tina")]:
        await press(chat, user, "go|video")
        await chat.say(f"https://vk.com/video-1_{user}", user)
        await chat.say("11", user)
        card = chat.new(tutor)[-1]
        assert f"https://vk.com/video-1_{user}" in card.text
        await press(chat, tutor, payloads([card])[0])
    async with s.db.read() as conn:
        assert (await completion(conn, programme, ids["egor"])).missing == ["reflection"]

    # --- reflection: resumable, editable before sending, one per person ----------------------
    clock.set(programme.moment("start+27d 10:00"))
    await tick(chat)
    got = only(chat, EVERYONE, watchers)
    assert all("go|reflection" in payloads(got[u]) for u in EVERYONE)
    for user in EVERYONE:
        await press(chat, user, "go|reflection")
        await chat.say("Родители благодарили", user)
        await chat.say("4", user)  # satisfaction: the 4th button of the scale
        if user == "dina":  # stops here, comes back later: resumes at question 3
            resumed = texts(await press(chat, user, "go|reflection"))
            assert "Вопрос 3 из 8" in resumed
        await chat.say("1", user)  # goals: "Да, все"
        await chat.say("Не хватало времени", user)
        await chat.say("5", user)
        await chat.say("Вдохновение", user)
        await chat.say("5", user)
        summary = await chat.say("1", user)  # will use: "Да"
        assert "Проверьте" in summary[-1].text
        if user == "egor":  # changes the satisfaction score before sending
            await chat.say("2", user)  # "Edit"
            await chat.say("2", user)  # question 2
            await chat.say("3", user)
        done = await chat.say("1", user)
        assert "Спасибо" in done[0].text
        assert "Поздравляем" in texts(done), texts(done)
    assert "уже отправили" in texts(await press(chat, "ann", "go|reflection"))
    async with s.db.read() as conn:
        survey = await aggregate(conn, programme)
    assert survey.respondents == 6
    by_id = {q.id: q for q in survey.questions}
    assert by_id["satisfaction"].counts == {"1": 0, "2": 0, "3": 1, "4": 5, "5": 0}
    assert by_id["satisfaction"].mean == round((4 * 5 + 3) / 6, 2)
    assert by_id["goals_achieved"].counts == {"yes": 6, "partly": 0, "no": 0}
    assert by_id["difficulties"].texts == ["Не хватало времени"] * 6
    report = texts(await chat.say("/progress", "alice"))
    assert "Анкету заполнили: 6 из 6" in report and "в среднем 3.83 из 5" in report

    # --- final stage: materials, certificate details confirmed or corrected ------------------
    clock.set(programme.moment("start+29d 19:00"))
    await tick(chat)
    clock.advance(hours=6)  # the morning in Vladivostok
    await chat.app.s.delivery.run_once()
    got = only(chat, EVERYONE, watchers)
    for user in EVERYONE:
        assert "https://example.org/materials/recommendations.pdf" in urls(got[user])
        assert "go|final" in payloads(got[user])
    check = texts(await press(chat, "ann", "go|final"))
    assert "Антонова Анна Сергеевна" in check and "ann@example.ru" in check
    assert "ann@example.ru" in texts(await press(chat, "ann", "fin|final|ok"))
    await press(chat, "egor", "go|final")
    await press(chat, "egor", "fin|final|edit")
    await chat.say("Егоров Егор Андреевич-Младший", "egor")
    await chat.say("egor.cert@example.ru", "egor")
    assert "egor.cert@example.ru" in texts(await chat.say("1", "egor"))
    async with s.db.read() as conn:
        egor = await persons.get_person(conn, ids["egor"])
        assert (egor.full_name, egor.email) == ("Егоров Егор Андреевич-Младший", "egor.cert@example.ru")
        for intern in INTERNS:
            assert (await completion(conn, programme, ids[intern.user])).complete
