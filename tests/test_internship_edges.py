"""Coordinator openings, restarts, refusals, old buttons and bad input around the internship."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.clock import FakeClock
from bot.settings import Settings
from scenarios.loader import load_programme
from scenarios.models import VideoRules
from storage import absences, persons, stages, teams
from storage.db import fetchall, fetchone
from storage.erasure import erase
from tests.conftest import ConsoleChat, make_chat, texts
from tests.internship_cohort import BEFORE_START, Intern, apply, enrol_cohort, person_id
from tests.test_internship_cohort import EVERYONE, only, payloads, press, send_file, tick

WATCHERS = [*EVERYONE, "tom", "tina", "alice"]


async def outbox_rows(chat: ConsoleChat) -> int:
    async with chat.app.s.db.read() as conn:
        row = await fetchone(conn, "SELECT COUNT(*) AS n FROM outbox")
        assert row is not None
        return int(row["n"])


@asynccontextmanager
async def at_the_video_step(settings: Settings, clock: FakeClock, **rules: object
                            ) -> AsyncIterator[ConsoleChat]:
    """The cohort enrolled under a programme whose video stage has these submission
    rules, the stage open and Ann on its first step."""
    base = load_programme(settings.program_file)
    stage = base.stage("video")
    assert stage.submission is not None
    video = stage.model_copy(update={"submission": stage.submission.model_copy(update=rules)})
    programme = base.model_copy(update={"stages": [video if s.id == "video" else s for s in base.stages]})
    clock.set(BEFORE_START)
    app, chat = await make_chat(settings, clock, programme=programme)
    try:
        await enrol_cohort(chat)
        clock.set(programme.moment("start+14d 19:00"))
        await tick(chat)
        await press(chat, "ann", "go|video")
        yield chat
    finally:
        await app.stop()


async def test_coordinator_opens_a_stage_once_and_late_interns_catch_up(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(BEFORE_START)
    await enrol_cohort(chat)
    assert "только координаторам" in texts(await chat.say("/openstage", "ann"))
    assert "только координаторам" in texts(await press(chat, "ann", "open|homework|yes"))
    listed = await chat.say("/openstage", "alice")
    assert "open|homework" in payloads(listed) and "open|application" not in payloads(listed)
    confirm = await press(chat, "alice", "open|homework")
    assert payloads(confirm) == ["open|homework|yes", "open|homework|no"]
    only(chat, [], [*EVERYONE, "tom", "tina"])  # nothing sent before the confirmation
    done = texts(await press(chat, "alice", "open|homework|yes"))
    assert "Объявление получат 6 интернов" in done
    got = only(chat, [*EVERYONE, "alice"], WATCHERS)
    assert all("Домашнее задание" in got[u][0].text for u in EVERYONE)
    assert "уже открыт" in texts(await press(chat, "alice", "open|homework|yes"))
    await tick(chat)
    only(chat, [], WATCHERS)
    menu = texts(await press(chat, "ann", "menu|next"))
    assert "Сейчас: «Домашнее задание команды»" in menu

    # an intern approved after the opening gets the announcement on the next tick
    late = Intern("lena", "Ленина Лена Павловна", "2", "A")
    await apply(chat, late)
    await press(chat, "alice", "app|7|ok")
    chat.new("lena")
    await tick(chat)
    assert "Домашнее задание" in texts(chat.new("lena"))
    await tick(chat)
    assert chat.new("lena") == []


async def test_a_restart_sends_no_announcement_twice(settings: Settings, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    app, chat = await make_chat(settings, clock)
    try:
        await enrol_cohort(chat)
        clock.set(app.s.programme.moment("start+7d 19:00"))
        await tick(chat)
        before = await outbox_rows(chat)
    finally:
        await app.stop()
    app2, chat2 = await make_chat(settings, clock)
    try:
        await tick(chat2)
        assert await outbox_rows(chat2) == before
        assert all(r == [] for r in (chat2.new(u) for u in EVERYONE))
    finally:
        await app2.stop()


async def test_old_buttons_other_peoples_ids_and_bad_input(chat: ConsoleChat, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    await enrol_cohort(chat)
    early = texts(await press(chat, "ann", "go|video"))
    assert "ещё не начался" in early and "29.12.2026" not in early and "15.12.2026, 19:00" in early
    for payload in ("hw|send", "vid|yes", "go|nope", "menu|bogus", "ev|skip|nope", "fin|final|ok",
                    "go|presentation", "ev|ics"):
        assert "старого сообщения" in texts(await press(chat, "ann", payload)), payload
    assert "старого сообщения" in texts(await press(chat, "tom", "rev|999|ok"))
    assert "только тьюторам" in texts(await press(chat, "ann", "rev|1|ok"))
    assert "только интернам" in texts(await chat.say("/menu", "tom"))
    assert "только интернам" in texts(await press(chat, "tom", "go|homework"))
    assert "нет работ" in texts(await chat.say("/reviews", "tom"))

    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    for user in WATCHERS:
        chat.new(user)
    await press(chat, "ann", "go|homework")
    assert "Пока нечего" in texts(await press(chat, "ann", "hw|send"))
    chat.as_user("ann")
    await chat.send(unsupported="location")
    assert "не могу передать" in texts(chat.new("ann"))
    voice = await send_file(chat, "ann", kind="voice", file_id="v", duration=3)
    assert "Голосовое" in voice[0].text
    assert "Добавлено: 1" in texts(await chat.say("Наш план", "ann"))
    added = await chat.say("Ещё деталь", "ann")
    assert "Добавлено: 2" in texts(added) and "hw|send" in payloads(added)
    await press(chat, "ann", "hw|cancel")
    assert "ничего не отправлено" in texts(chat.all("ann")[-1:])
    only(chat, ["ann"], WATCHERS)

    # a tutor's pending cards come back with /reviews; a comment must be text
    await press(chat, "gleb", "go|homework")
    await chat.say("План вебинара", "gleb")
    await press(chat, "gleb", "hw|send")
    seen_by_team = texts(await press(chat, "dina", "go|homework"))
    assert "уже отправила версию 1" in seen_by_team and "План вебинара" in seen_by_team
    await press(chat, "dina", "hw|cancel")
    waiting = await chat.say("/reviews", "tina")
    assert "Ждёт проверки 1 работа" in waiting[0].text and "План вебинара" in waiting[1].text
    assert "нет работ" in texts(await chat.say("/reviews", "tom"))
    sub_id = payloads(waiting)[0].split("|")[1]
    await press(chat, "tina", f"rev|{sub_id}|ret")
    sticker = await send_file(chat, "tina", kind="sticker", file_id="s")
    assert "текстом" in sticker[0].text
    await press(chat, "tina", f"rev|{sub_id}|cancel")
    assert "не возвращена" in texts(chat.all("tina")[-1:])
    only(chat, ["gleb", "dina", "egor", "tina"], WATCHERS)
    egor = await person_id(chat.app, "egor")
    async with chat.app.s.db.read() as conn:
        assert await stages.status(conn, egor, "homework") == "submitted"


async def test_intern_without_a_team_and_in_english(chat: ConsoleChat, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    chat.adapter.language = "en"
    await apply(chat, Intern("sam", "Smith John Adam", "2", "-"))
    await press(chat, "alice", "app|1|ok")
    approved, note = chat.new("sam")[-2:]
    assert "menu|next" in payloads([approved])
    assert note.keyboard is not None and note.keyboard[0][0].label == "👉 What's next"
    chat.adapter.language = "en"
    menu = await chat.say("/menu", "sam")
    assert [b.label for b in menu[0].buttons[0]] == ["👉 What's next", "⏰ My deadlines"]
    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    opened = texts(chat.new("sam"))
    assert "Team homework" in opened and "Deadline: Mon 14.12.2026, 23:00 (Moscow (MSK))" in opened
    assert "not in a team yet" in texts(await press(chat, "sam", "go|homework"))
    deadlines = texts(await press(chat, "sam", "menu|deadlines"))
    assert "Team homework: by Mon 14.12.2026, 23:00" in deadlines and "to do" in deadlines


async def test_video_outside_the_range_is_refused_when_the_programme_says_so(
    settings: Settings, clock: FakeClock
) -> None:
    strict = VideoRules(min_minutes=10, max_minutes=15, allow_out_of_range=False)
    async with at_the_video_step(settings, clock, video=strict) as chat:
        long = await send_file(chat, "ann", kind="video", file_id="v", duration=20 * 60, size=1 << 20)
        assert "20 мин" in long[0].text and "vid|yes" not in payloads(long)
        assert "старого сообщения" in texts(await press(chat, "ann", "vid|yes"))
        ok = await send_file(chat, "ann", kind="document", file_id="v2", mime="video/mp4",
                             duration=14 * 60, size=1 << 20)
        assert "отправлена тьютору" in texts(ok)
        assert "14 мин" in chat.new("tom")[-1].text


async def test_a_draft_sent_after_the_team_work_was_accepted_changes_nothing(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(BEFORE_START)
    await enrol_cohort(chat)
    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    await press(chat, "ann", "go|homework")
    await chat.say("Черновик Анны", "ann")
    await press(chat, "boris", "go|homework")
    await chat.say("Работа Бориса", "boris")
    await press(chat, "boris", "hw|send")
    card = chat.new("tom")[-1]
    await press(chat, "tom", payloads([card])[0])
    late = texts(await press(chat, "ann", "hw|send"))
    assert "уже принята" in late
    assert chat.new("tom") == []
    ann = await person_id(chat.app, "ann")
    async with chat.app.s.db.read() as conn:
        assert await stages.status(conn, ann, "homework") == "accepted"


async def test_erasing_an_intern_removes_what_they_handed_in(chat: ConsoleChat, clock: FakeClock) -> None:
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    await press(chat, "ann", "ev|skip|final")
    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    await press(chat, "ann", "go|homework")
    await chat.say("Личный текст Анны", "ann")
    await press(chat, "ann", "hw|send")
    async with chat.app.s.db.transaction() as conn:
        await erase(conn, ids["ann"], clock.now())
    async with chat.app.s.db.read() as conn:
        assert await absences.absent(conn) == []
        rows = await fetchall(conn, "SELECT items, status, version FROM submissions")
    assert [(r["items"], r["status"], r["version"]) for r in rows] == [("[]", "submitted", 1)]


async def test_help_start_and_submit_again_keep_the_intern_on_track(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    """/help and /start say what to do now (not "wait for the stage" while one is open), and
    pressing "Submit" again from the menu keeps the unsent draft instead of wiping it."""
    clock.set(BEFORE_START)
    await enrol_cohort(chat)
    before = texts(await chat.say("/help", "ann"))
    assert "Дальше: Встреча 1" in before and "menu|next" in payloads(chat.all("ann")[-1:])
    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    for user in WATCHERS:
        chat.new(user)

    helped = await chat.say("/help", "ann")
    assert "Сейчас: «Проблематизация и погружение»" in texts(helped)
    assert {"go|problematisation", "go|homework", "menu|next"} <= set(payloads(helped[-1:]))
    started = await chat.say("/start", "ann")
    assert "уже одобрена" in started[0].text and "go|homework" in payloads(started)

    await press(chat, "ann", "go|homework")
    await chat.say("Цели мероприятия", "ann")
    await send_file(chat, "ann", kind="document", file_id="d-1", name="plan.docx", size=1000)
    nxt = await press(chat, "ann", "menu|next")
    assert "В черновике 2 части" in texts(nxt) and "hw|send" in payloads(nxt)
    again = await press(chat, "ann", "go|homework")
    assert "В черновике уже 2 части" in texts(again) and "hw|send" in payloads(again)
    assert "Добавлено: 3" in texts(await chat.say("Задачи мероприятия", "ann"))
    in_draft = texts(await chat.say("/help", "ann"))
    assert "В черновике 3 части" in in_draft
    await press(chat, "ann", "hw|send")
    card = chat.new("tom")[-1].text
    assert "Цели мероприятия" in card and "plan.docx" in card and "Задачи мероприятия" in card


async def test_my_progress_names_a_tutor_who_never_filled_in_an_application(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    """An invited tutor has no full name: "My progress" shows their messenger name, as
    /myteam does, rather than "—" as if the team had no tutor."""
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE persons SET full_name = NULL WHERE id = ?", (ids["tom"],))
    progress = texts(await press(chat, "ann", "menu|progress"))
    assert "Команда: Команда A, тьютор: tom" in progress
    assert "Тьютор: tom" in texts(await chat.say("/myteam", "ann"))


async def test_an_answer_being_edited_can_be_kept_with_one_tap(chat: ConsoleChat, clock: FakeClock) -> None:
    """Correcting only the e-mail for the certificate must not mean retyping the full name."""
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    clock.set(chat.app.s.programme.moment("start+29d 19:00"))
    await tick(chat)
    clock.advance(hours=6)
    await chat.app.s.delivery.run_once()
    await press(chat, "ann", "go|final")
    name_step = await press(chat, "ann", "fin|final|edit")
    assert "Сейчас указано: Антонова Анна Сергеевна" in texts(name_step)
    keep = [p for p in payloads(name_step) if p.endswith("|keep")]
    assert keep, payloads(name_step)
    email_step = await press(chat, "ann", keep[0])
    assert "Вопрос 2 из 2" in texts(email_step)
    summary = await chat.say("anna.new@example.ru", "ann")
    assert "Антонова Анна Сергеевна" in texts(summary) and "anna.new@example.ru" in texts(summary)
    assert "старого сообщения" in texts(await press(chat, "ann", keep[0]))  # an old button
    await chat.say("1", "ann")
    async with chat.app.s.db.read() as conn:
        ann = await persons.get_person(conn, ids["ann"])
    assert (ann.full_name, ann.email) == ("Антонова Анна Сергеевна", "anna.new@example.ru")


async def test_a_team_video_accepted_once_counts_for_every_member(
    settings: Settings, clock: FakeClock
) -> None:
    """`per: team` on the video stage: one member sends it, and a team-mate who opens the
    step afterwards is told it is already accepted instead of being asked for another."""
    async with at_the_video_step(settings, clock, per="team") as chat:
        await send_file(chat, "ann", kind="video", file_id="v", duration=12 * 60, size=1 << 20)
        card = chat.new("tom")[-1]
        await press(chat, "tom", payloads([card])[0])
        assert "принял" in texts(chat.new("boris"))
        assert "уже принято" in texts(await press(chat, "boris", "go|video"))


async def test_a_return_comment_after_the_team_changed_tutor_does_nothing(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    """The comment is the second half of the tutor's "return": it is checked again, since
    the team (or the role) may have been given to someone else after the button."""
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    clock.set(chat.app.s.programme.moment("start+7d 19:00"))
    await tick(chat)
    await press(chat, "gleb", "go|homework")
    await chat.say("План вебинара", "gleb")
    await press(chat, "gleb", "hw|send")
    sub_id = payloads(await chat.say("/reviews", "tina"))[0].split("|")[1]
    await press(chat, "tina", f"rev|{sub_id}|ret")
    async with chat.app.s.db.transaction() as conn:
        team = await teams.team_of(conn, ids["gleb"])
        assert team is not None
        await teams.set_tutor(conn, team.id, ids["tom"])
    assert "тьютор её команды" in texts(await chat.say("Переделайте цели", "tina"))
    async with chat.app.s.db.read() as conn:
        assert await stages.status(conn, ids["gleb"], "homework") == "submitted"
    assert all("Переделайте" not in r.text for r in chat.all("gleb"))
