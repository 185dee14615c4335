"""Deadlines in the intern's own evening (`local: true`): the bundled video deadline is
«до 23:00 по вашему времени», so Vladivostok meets it seven hours before Moscow.

The video stage: due start+27d 23:00, i.e. 2026-12-28 23:00 on each intern's clock;
Vladivostok (UTC+10) 13:00 UTC, Moscow (UTC+3) 20:00 UTC. Reminders: 48 h before (quiet
hours move a night one to 08:00), the morning of the day, and the overdue flag 1 h after.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.messages import Reply
from bot.settings import Settings
from handlers.coordination.progress import collect
from handlers.internship import timetable
from handlers.internship.reminders import Moments, plan_for
from scenarios.loader import ProgrammeError, load_programme, parse_programme
from scenarios.timeline import render_timeline
from scenarios.timespec import same_wall_clock
from storage import persons, stages, teams
from storage import reminders as store
from tests.conftest import ConsoleChat, make_chat
from tests.e2e.max import max_chat
from tests.e2e.telegram import COORDINATOR as TG_COORDINATOR
from tests.e2e.telegram import telegram_chat
from tests.e2e.vk import vk_chat
from tests.reminder_helpers import make_person, run_at, team_with_tutor, utc

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = PACKAGE_ROOT / "scenarios" / "default_programme.yaml"
VLAD, MSK = ZoneInfo("Asia/Vladivostok"), ZoneInfo("Europe/Moscow")

PLANNED = utc(2026, 12, 20, 5)  # 08:00 in Moscow, 15:00 in Vladivostok; the video stage is open
VIDEO_VLAD = utc(2026, 12, 28, 13)  # 23:00 in Vladivostok
VIDEO_MSK = utc(2026, 12, 28, 20)  # 23:00 in Moscow
VIDEO_48H_VLAD = utc(2026, 12, 26, 22)  # 23:00 two days before is quiet: 08:00 Vladivostok
VIDEO_48H_MSK = utc(2026, 12, 27, 5)  # 08:00 Moscow
HOMEWORK_FIXED = utc(2026, 12, 14, 20)  # team homework stays one moment for everyone


def about(replies: list[Reply], *needles: str) -> list[Reply]:
    return [r for r in replies if all(n in r.text for n in needles)]


def video_rows(rows: list[store.Reminder]) -> dict[tuple[str, str], store.Reminder]:
    return {(r.kind, r.slot): r for r in rows if r.ref == "video" and r.kind in ("deadline", "overdue")}


# --- the programme file and check-program ------------------------------------------------------


def test_local_is_validated_and_read_as_each_interns_wall_clock() -> None:
    text = BUNDLED.read_text("utf-8")
    programme = parse_programme(text)
    video, homework = programme.stage("video"), programme.stage("homework")
    assert video.deadline is not None and video.deadline.local and video.deadline_local
    assert homework.deadline is not None and not homework.deadline_local
    assert programme.moment(video.deadline) == VIDEO_MSK  # as written: the programme's zone
    assert same_wall_clock(VIDEO_MSK, programme.zone, VLAD) == VIDEO_VLAD
    assert same_wall_clock(VIDEO_MSK, programme.zone, VLAD).astimezone(VLAD).strftime("%H:%M") == "23:00"

    written = 'deadline: {at: "start+27d 23:00", local: true}'
    assert written in text
    for wrong, message in (
        ('deadline: {at: "start+27d 23:00", local: maybe}', "deadline.local: Input should be a valid bool"),
        ('deadline: {at: "start+27d 23:00", lokal: true}', "deadline.lokal: Extra inputs are not permitted"),
        ("deadline: {local: true}", "deadline.at: Field required"),
        ('deadline: {at: "start+27d 23:xx", local: true}', "is not a date like"),
    ):
        where = text.rindex(written)  # the video stage's (the first is in the comments)
        with pytest.raises(ProgrammeError, match=message) as caught:
            parse_programme(text[:where] + wrong + text[where + len(written):], "p.yaml")
        line = text[:where].count("\n") + 1
        assert f"p.yaml:{line}:" in str(caught.value)
    application = text.replace('deadline: "start+6d 23:00"', 'deadline: {at: "start+6d 23:00", local: true}')
    with pytest.raises(ProgrammeError, match="application's deadline cannot be local"):
        parse_programme(application)


def test_check_program_prints_a_local_deadline_as_local() -> None:
    text = render_timeline(load_programme(BUNDLED))
    line = "2026-12-28 пн 23:00  срок этапа: Видеоролик мероприятия [video] — по времени каждого интерна"
    assert line in text
    assert "срок этапа: Домашнее задание команды [homework]\n" in text  # fixed: no such words
    assert "по времени каждого интерна» (local: true) наступают у каждого в его часовом поясе" in text
    english = render_timeline(load_programme(BUNDLED), "en")
    assert "stage deadline: Video of your event [video] — each intern's own time" in english
    done = subprocess.run([sys.executable, "-m", "bot", "check-program"], cwd=PACKAGE_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Рефлексивная анкета [reflection] — по времени каждого интерна" in done.stdout


def test_the_planner_puts_each_interns_reminders_at_their_own_moment() -> None:
    programme = load_programme(BUNDLED)
    video = programme.moment(programme.stage("video").deadline)  # type: ignore[arg-type]
    at = Moments(events={}, deadlines={"video": video, "homework": HOMEWORK_FIXED},
                 opens={"video": None, "homework": None}, local=frozenset({"video"}))
    fake = SimpleNamespace(programme=programme)

    def rows(zone: ZoneInfo) -> dict[tuple[str, str, str], object]:
        plan = plan_for(fake, 1, zone, at, utc(2026, 12, 1))  # type: ignore[arg-type]
        return {(p.kind, p.ref, p.slot): (p.moment, p.due_at) for p in plan if p.kind != "silence"}

    vlad, msk = rows(VLAD), rows(MSK)
    assert vlad[("overdue", "video", "")] == (VIDEO_VLAD, VIDEO_VLAD + timedelta(hours=1))
    assert msk[("overdue", "video", "")] == (VIDEO_MSK, VIDEO_MSK + timedelta(hours=1))
    assert vlad[("deadline", "video", "48h")] == (VIDEO_VLAD, VIDEO_48H_VLAD)
    assert vlad[("deadline", "video", "morning")][1] == utc(2026, 12, 27, 23)  # 09:00 in Vladivostok
    # the fixed deadline is the same instant for both, as before
    assert vlad[("overdue", "homework", "")] == msk[("overdue", "homework", "")]
    assert vlad[("overdue", "homework", "")][0] == HOMEWORK_FIXED


# --- the Vladivostok case over the console, with a restart in between --------------------------


async def _two_interns_and_a_tutor(chat: ConsoleChat) -> tuple[int, int, int]:
    vlad = await make_person(chat, "vlad", tz="Asia/Vladivostok", name="Влада Востокова")
    msk = await make_person(chat, "msk", tz="Europe/Moscow", name="Михаил Москвин")
    tutor = await make_person(chat, "tom", tz="Europe/Moscow", role="tutor")
    await team_with_tutor(chat, tutor, [vlad, msk])
    return vlad, msk, tutor


async def test_vladivostok_and_moscow_meet_the_video_deadline_at_their_own_23_00(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    app, chat = await make_chat(settings, clock)
    try:
        vlad, msk, _ = await _two_interns_and_a_tutor(chat)
        await run_at(chat, clock, PLANNED)
        async with app.s.db.read() as conn:
            vlad_rows, msk_rows = video_rows(await store.of_person(conn, vlad)), video_rows(
                await store.of_person(conn, msk))
        assert vlad_rows[("overdue", "")].moment == VIDEO_VLAD
        assert msk_rows[("overdue", "")].moment == VIDEO_MSK
        assert (vlad_rows[("deadline", "48h")].due_at, msk_rows[("deadline", "48h")].due_at) == (
            VIDEO_48H_VLAD, VIDEO_48H_MSK)

        # what the intern sees: the announcement and «Мои сроки» in their own evening
        [opened] = about(chat.new("vlad"), "Видеоролик", "Срок")
        assert "Срок — пн 28.12.2026, 23:00 по вашему времени (Владивосток (МСК+7))" in opened.text
        [opened_msk] = about(chat.new("msk"), "Видеоролик", "Срок")
        assert "пн 28.12.2026, 23:00 по вашему времени (Москва (МСК))" in opened_msk.text
        chat.as_user("vlad")
        await chat.press("menu|deadlines")
        mine = chat.new("vlad")[-1].text
        assert "Видеоролик мероприятия — до пн 28.12.2026, 23:00 по вашему времени" in mine
        assert "вт 15.12.2026, 06:00 (Владивосток (МСК+7))" in mine  # the team homework: one moment
        before_restart = sorted((r.id, r.state, r.due_at) for r in await _rows(app, vlad, msk))
    finally:
        await app.stop()

    # a restart: the plan is data, nothing is planned twice or lost
    app, chat = await make_chat(settings, clock)
    try:
        await run_at(chat, clock, PLANNED + timedelta(minutes=1))
        assert sorted((r.id, r.state, r.due_at) for r in await _rows(app, vlad, msk)) == before_restart

        await run_at(chat, clock, VIDEO_48H_VLAD)
        [first] = about(chat.new("vlad"), "Напоминаю", "Видеоролик")
        assert "понедельник, 28 декабря, 23:00 (по вашему времени)" in first.text
        assert about(chat.new("msk"), "Напоминаю", "Видеоролик") == []
        await run_at(chat, clock, VIDEO_48H_MSK)
        [second] = about(chat.new("msk"), "Напоминаю", "Видеоролик")
        assert "понедельник, 28 декабря, 23:00" in second.text
        assert about(chat.new("vlad"), "Напоминаю", "Видеоролик") == []  # not twice

        # the overdue flag: Vladivostok's comes at 14:00 UTC (00:00 there), Moscow's 7 h later
        await run_at(chat, clock, VIDEO_VLAD + timedelta(hours=1))
        [flag] = about(chat.new("tom"), "Влада Востокова", "Видеоролик", "к сроку")
        assert ("понедельник, 28 декабря, 23:00 по времени интерна (Владивосток (МСК+7));"
                " у вас — понедельник, 28 декабря, 16:00") in flag.text
        assert about(chat.all("tom"), "Михаил Москвин", "Видеоролик", "к сроку") == []
        [line] = [x for x in (await chat.say("/progress", "alice"))[0].text.splitlines()
                  if "Видеоролик" in x and "Влада" in x]
        assert "Михаил" not in line  # Moscow still has seven hours
        assert about(chat.new("vlad"), "прошёл") == []  # 00:00 in Vladivostok: waits for 08:00
    finally:
        await app.stop()

    app, chat = await make_chat(settings, clock)  # restarted again, between the two flags
    try:
        await run_at(chat, clock, VIDEO_VLAD + timedelta(hours=9))  # 08:00 in Vladivostok
        [late] = about(chat.new("vlad"), "Видеоролик мероприятия» прошёл")
        assert "понедельник, 28 декабря, 23:00" in late.text
        assert about(chat.new("tom"), "Влада Востокова") == []  # told once, not again after restarts
        await run_at(chat, clock, VIDEO_MSK + timedelta(hours=9))  # 08:00 in Moscow
        [moscow_flag] = about(chat.new("tom"), "Михаил Москвин", "Видеоролик", "к сроку")
        assert "понедельник, 28 декабря, 23:00 по времени интерна (Москва (МСК))" in moscow_flag.text
        assert "у вас" not in moscow_flag.text  # the tutor's clock shows the same
        assert len(about(chat.new("msk"), "Видеоролик мероприятия» прошёл")) == 1
        async with app.s.db.read() as conn:
            report = await collect(conn, app.s.programme, clock.now(), [vlad, msk])
        assert sorted(report.overdue["video"]) == sorted([vlad, msk])
    finally:
        await app.stop()


async def _rows(app: App, *people: int) -> list[store.Reminder]:
    async with app.s.db.read() as conn:
        return [r for p in people for r in await store.of_person(conn, p)]


async def test_handing_in_on_time_in_vladivostok_means_no_flag_and_progress_counts_each_clock(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    vlad, msk, _ = await _two_interns_and_a_tutor(chat)
    late = await make_person(chat, "kam", tz="Asia/Kamchatka", name="Камила Камчатова")  # UTC+12
    await run_at(chat, clock, PLANNED)
    async with chat.app.s.db.transaction() as conn:
        await stages.set_status(conn, vlad, "video", "submitted", clock.now())
    await run_at(chat, clock, VIDEO_MSK + timedelta(hours=9))
    assert about(chat.all("tom"), "Влада Востокова", "Видеоролик", "к сроку") == []
    assert about(chat.all("vlad"), "Видеоролик мероприятия» прошёл") == []
    assert len(about(chat.all("tom"), "Михаил Москвин", "Видеоролик", "к сроку")) == 1
    programme = chat.app.s.programme
    async with chat.app.s.db.read() as conn:
        people = [vlad, msk, late]
        kamchatka = await collect(conn, programme, VIDEO_VLAD - timedelta(hours=1), people)  # 01:00 there
        between = await collect(conn, programme, VIDEO_VLAD + timedelta(hours=1), people)
        after = await collect(conn, programme, VIDEO_MSK + timedelta(minutes=1), people)
    assert kamchatka.overdue["video"] == [late]  # 23:00 came first in Kamchatka
    assert between.overdue["video"] == [late]  # Vladivostok handed in; Moscow's evening goes on
    assert sorted(after.overdue["video"]) == sorted([msk, late])


async def test_a_new_time_zone_moves_a_local_deadline_without_repeating_what_was_said(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    ann = await make_person(chat, "ann", tz="Europe/Moscow")
    await run_at(chat, clock, VIDEO_48H_MSK)
    assert len(about(chat.new("ann"), "Напоминаю", "Видеоролик")) == 1
    async with chat.app.s.db.transaction() as conn:
        await persons.update_person(conn, ann, timezone="Asia/Vladivostok")
    await run_at(chat, clock, VIDEO_48H_MSK + timedelta(minutes=5))
    async with chat.app.s.db.read() as conn:
        rows = video_rows(await store.of_person(conn, ann))
    assert rows[("overdue", "")].moment == VIDEO_VLAD and rows[("overdue", "")].state == "planned"
    assert rows[("deadline", "48h")].state == "sent"  # it said «23:00 по вашему времени» already
    assert about(chat.new("ann"), "Напоминаю", "Видеоролик") == []


# --- /move of a local deadline -----------------------------------------------------------------


async def test_moving_a_local_deadline_moves_its_wall_clock_time(chat: ConsoleChat, clock: FakeClock) -> None:
    clock.set(PLANNED)
    vlad, msk, _ = await _two_interns_and_a_tutor(chat)
    await run_at(chat, clock, PLANNED)
    [menu] = await chat.say("/move", "alice")
    labels = {b.payload: b.label for row in menu.buttons for b in row}
    assert labels["mv|d|video"].endswith("понедельник, 28 декабря, 23:00 по времени каждого интерна")
    assert "по времени каждого интерна" not in labels["mv|d|homework"]
    await chat.press("mv|d|video")
    asked = chat.last("alice").text
    assert "по часам интерна, например 28.12.2026 23:00" in asked
    # 10:00 today has passed in Vladivostok (15:00 there) though not in Moscow (08:00)
    [past] = await chat.say("20.12.2026 10:00", "alice")
    assert "По часам части интернов (Владивосток (МСК+7))" in past.text
    [done] = await chat.say("30.12.2026 23:59", "alice")
    assert "среда, 30 декабря, 23:59 по времени каждого интерна" in done.text
    async with chat.app.s.db.read() as conn:
        programme = chat.app.s.programme
        assert await timetable.stage_deadline(conn, programme, "video", VLAD) == utc(2026, 12, 30, 13, 59)
        assert await timetable.stage_deadline(conn, programme, "video", MSK) == utc(2026, 12, 30, 20, 59)
        vlad_rows, msk_rows = video_rows(await store.of_person(conn, vlad)), video_rows(
            await store.of_person(conn, msk))
    assert vlad_rows[("overdue", "")].moment == utc(2026, 12, 30, 13, 59)
    assert msk_rows[("overdue", "")].moment == utc(2026, 12, 30, 20, 59)
    assert vlad_rows[("deadline", "48h")].state == "planned"
    await chat.press(done.buttons[0][0].payload)  # tell the interns
    while await chat.app.s.delivery.run_once():
        pass
    [notice] = about(chat.all("vlad"), "изменён")
    assert "среда, 30 декабря, 23:59 (по вашему времени)" in notice.text  # not «31 декабря, 06:59»
    [notice_msk] = about(chat.all("msk"), "изменён")
    assert "среда, 30 декабря, 23:59" in notice_msk.text
    chat.as_user("vlad")
    await chat.press("menu|deadlines")
    assert "до ср 30.12.2026, 23:59 по вашему времени" in chat.last("vlad").text


# --- over the real Telegram and VK clients -----------------------------------------------------


async def _intern(app: App, platform: str, ref: str, zone: str, name: str) -> int:
    async with app.s.db.transaction() as conn:
        account, _ = await persons.ensure_account(
            conn, app.s.clock.now(), platform=platform, user_ref=ref, chat_ref=ref,
            display_name=name, language_code="ru", locale="ru",
        )
        await persons.grant_role(conn, account.person_id, "intern", app.s.clock.now())
        await persons.update_person(conn, account.person_id, timezone=zone, full_name=name)
        return account.person_id


async def _at(app: App, clock: FakeClock, moment: datetime) -> None:
    """Tick at `moment`, then deliver a message a second (the messengers' per-chat limit)."""
    clock.set(moment)
    await app.s.scheduler.tick()
    for _ in range(6):
        while await app.s.delivery.run_once():
            pass
        clock.advance(seconds=1)


async def test_over_telegram_each_intern_is_reminded_and_flagged_by_their_own_clock(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    async with telegram_chat(settings, clock) as tg:
        app = tg.app
        await _intern(app, "telegram", "2002", "Asia/Vladivostok", "Влада Востокова")
        await _intern(app, "telegram", "2003", "Europe/Moscow", "Михаил Москвин")
        await _at(app, clock, PLANNED)
        assert any("23:00 по вашему времени (Владивосток (МСК+7))" in t for t in tg.fake.texts_to(2002))

        await _at(app, clock, VIDEO_48H_VLAD)
        [first] = [t for t in tg.fake.texts_to(2002) if "Напоминаю" in t and "Видеоролик" in t]
        assert "понедельник, 28 декабря, 23:00" in first
        assert not [t for t in tg.fake.texts_to(2003) if "Напоминаю" in t and "Видеоролик" in t]
        buttons = [b.get("callback_data") for row in tg.fake.buttons(2002) for b in row]
        assert "go|video" in buttons

        # no team yet: the coordinator hears of the missed deadline, in the intern's time
        await _at(app, clock, VIDEO_VLAD + timedelta(hours=1))
        [flag] = [t for t in tg.fake.texts_to(TG_COORDINATOR) if "Влада Востокова" in t and "к сроку" in t]
        assert "23:00 по времени интерна (Владивосток (МСК+7))" in flag and "у вас — понедельник" in flag
        assert not [t for t in tg.fake.texts_to(TG_COORDINATOR) if "Михаил Москвин" in t and "к сроку" in t]

        # the coordinator moves the wall-clock time over Telegram
        await tg.say(TG_COORDINATOR, "/move")
        video = next(label for label in tg.labels(TG_COORDINATOR) if "Видеоролик" in label)
        assert "по времени каждого интерна" in video
        [ask] = await tg.press(TG_COORDINATOR, video)
        assert "по часам интерна" in ask
        [moved] = await tg.say(TG_COORDINATOR, "30.12.2026 23:59")
        assert "среда, 30 декабря, 23:59 по времени каждого интерна" in moved
        await _at(app, clock, utc(2026, 12, 28, 22))  # 08:00 in Vladivostok
        async with app.s.db.read() as conn:
            moscow = await persons.find_account(conn, "telegram", "2003")
            assert moscow is not None
            rows = video_rows(await store.of_person(conn, moscow.person_id))
        assert rows[("overdue", "")].moment == utc(2026, 12, 30, 20, 59)


async def test_over_vk_each_intern_is_reminded_and_flagged_by_their_own_clock(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    async with vk_chat(settings, clock) as vk:
        app = vk.app
        far = await _intern(app, "vk", "4001", "Asia/Vladivostok", "Влада Востокова")
        near = await _intern(app, "vk", "4002", "Europe/Moscow", "Михаил Москвин")
        tutor = await _intern(app, "vk", "4003", "Europe/Moscow", "Тьютор Тамара")
        async with app.s.db.transaction() as conn:
            await persons.grant_role(conn, tutor, "tutor", clock.now())
            team = await teams.create(conn, "Синица", clock.now(), tutor)
            for member in (far, near):
                await teams.put_member(conn, team, member, clock.now())
        await _at(app, clock, PLANNED)
        await _at(app, clock, VIDEO_48H_VLAD)
        assert [t for t in vk.fake.texts_to(4001) if "Напоминаю" in t and "Видеоролик" in t]
        assert not [t for t in vk.fake.texts_to(4002) if "Напоминаю" in t and "Видеоролик" in t]
        await _at(app, clock, VIDEO_VLAD + timedelta(hours=1))
        [flag] = [t for t in vk.fake.texts_to(4003) if "Влада Востокова" in t and "к сроку" in t]
        assert "по времени интерна (Владивосток (МСК+7))" in flag
        assert not [t for t in vk.fake.texts_to(4003) if "Михаил Москвин" in t and "к сроку" in t]
        await _at(app, clock, VIDEO_MSK + timedelta(hours=9))
        assert [t for t in vk.fake.texts_to(4003) if "Михаил Москвин" in t and "к сроку" in t]
        assert [t for t in vk.fake.texts_to(4002) if "Видеоролик мероприятия» прошёл" in t]


async def test_over_max_the_reminder_comes_by_the_interns_own_clock(
    settings: Settings, clock: FakeClock
) -> None:
    clock.set(PLANNED)
    async with max_chat(settings, clock) as mx:
        await _intern(mx.app, "max", "5001", "Asia/Vladivostok", "Влада Востокова")
        await _at(mx.app, clock, PLANNED)
        assert any("23:00 по вашему времени (Владивосток (МСК+7))" in t for t in mx.fake.texts_to(5001))
        await _at(mx.app, clock, VIDEO_48H_VLAD - timedelta(minutes=1))
        assert not [t for t in mx.fake.texts_to(5001) if "Напоминаю" in t and "Видеоролик" in t]
        await _at(mx.app, clock, VIDEO_48H_VLAD)
        [first] = [t for t in mx.fake.texts_to(5001) if "Напоминаю" in t and "Видеоролик" in t]
        assert "понедельник, 28 декабря, 23:00" in first
