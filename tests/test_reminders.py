"""Reminders planned as rows and sent by the tick at each person's local time."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.messages import Reply
from handlers.internship import timetable
from storage import attention, persons, stages
from storage import reminders as store
from tests.conftest import ConsoleChat, fill_application, texts
from tests.reminder_helpers import make_person, run_at, team_with_tutor, utc

# The bundled programme: meeting 1 on 2026-12-08 17:00 MSK (14:00 UTC); homework due
# 2026-12-14 23:00 MSK (20:00 UTC), open from 2026-12-08 19:00 MSK.
EVENT = utc(2026, 12, 8, 14)
HOMEWORK_DUE = utc(2026, 12, 14, 20)


def about(replies: list[Reply], needle: str) -> list[Reply]:
    return [r for r in replies if needle in r.text]


def event_rows(rows: list[store.Reminder], ref: str = "problematisation") -> dict[str, object]:
    return {r.slot: r.due_at for r in rows if r.kind == "event" and r.ref == ref}


async def test_event_reminders_land_at_each_local_time(chat: ConsoleChat, clock: FakeClock) -> None:
    moscow = await make_person(chat, "msk", tz="Europe/Moscow")
    vlad = await make_person(chat, "vlad", tz="Asia/Vladivostok")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.read() as conn:
        msk_rows = event_rows(await store.of_person(conn, moscow))
        vlad_rows = event_rows(await store.of_person(conn, vlad))
    assert msk_rows == {"24h": EVENT - timedelta(hours=24), "1h": EVENT - timedelta(hours=1)}
    # Vladivostok (UTC+10): 24 h before is midnight there, so it waits for 08:00 local;
    # 1 h before is 23:00 local, and the morning would come after the meeting: sent on time.
    assert vlad_rows == {"24h": utc(2026, 12, 7, 22), "1h": EVENT - timedelta(hours=1)}

    await run_at(chat, clock, EVENT - timedelta(hours=24))
    [msk_day] = chat.new("msk")
    assert "вторник, 8 декабря, 17:00" in msk_day.text
    assert "https://zoom.example.org/j/1000000001" in msk_day.text
    assert msk_day.buttons[0][0].url == "https://zoom.example.org/j/1000000001"
    assert chat.new("vlad") == []
    await run_at(chat, clock, utc(2026, 12, 7, 22))
    [vlad_day] = chat.new("vlad")
    assert "среда, 9 декабря, 00:00" in vlad_day.text
    await run_at(chat, clock, EVENT - timedelta(hours=1))
    assert len(chat.new("msk")) == 1 and len(chat.new("vlad")) == 1
    await run_at(chat, clock, EVENT + timedelta(minutes=5))
    assert chat.new("msk") == [] and chat.new("vlad") == []


async def test_deadline_reminders_wait_out_quiet_hours_and_skip_finished(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    late = await make_person(chat, "late", tz="Europe/Moscow")
    done = await make_person(chat, "done", tz="Europe/Moscow")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.transaction() as conn:
        await stages.set_status(conn, done, "homework", "submitted", clock.now())
    await run_at(chat, clock, utc(2026, 12, 9, 6))  # the stage opened (and was announced) on time
    chat.new("late")
    # 48 h before is 23:00 Moscow, inside the quiet hours: it waits for 08:00.
    await run_at(chat, clock, HOMEWORK_DUE - timedelta(hours=48))
    assert chat.new("late") == []  # (the earlier stages' flags wait for the morning too)
    await run_at(chat, clock, utc(2026, 12, 13, 5))
    [first] = about(chat.new("late"), "Напоминаю")
    assert "Домашнее задание команды" in first.text and "понедельник, 14 декабря, 23:00" in first.text
    assert {"go|homework", "ask", "menu|next"} <= work_buttons(first)  # act with one tap
    await run_at(chat, clock, utc(2026, 12, 14, 6))  # 09:00 on the day of the deadline
    assert len(about(chat.new("late"), "Напоминаю")) == 1
    assert not about(chat.all("done"), "Домашнее")
    async with chat.app.s.db.read() as conn:
        states = {(r.kind, r.slot): r.state for r in await store.of_person(conn, done)
                  if r.ref == "homework"}
    assert states[("deadline", "48h")] == states[("deadline", "morning")] == "skipped"
    assert late != done


async def test_moving_a_deadline_after_planning_moves_its_reminders(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await make_person(chat, "ann", tz="Europe/Moscow")
    await run_at(chat, clock, utc(2026, 12, 14, 6))  # the morning reminder of the old deadline
    assert len(about(chat.new("ann"), "Напоминаю: срок этапа «Домашнее")) == 1
    s = chat.app.s
    async with s.db.transaction() as conn:
        later = HOMEWORK_DUE + timedelta(days=2)
        await timetable.move(conn, "deadline", "homework", later, None, clock.now())
    await run_at(chat, clock, utc(2026, 12, 14, 22))  # the old deadline passed: not overdue
    async with s.db.read() as conn:
        assert not [i for i in await attention.open_items(conn) if i.ref == "homework"]
    await run_at(chat, clock, utc(2026, 12, 15, 5))  # 48 h before the new one, 08:00 Moscow
    [again] = about(chat.new("ann"), "Напоминаю: срок этапа «Домашнее")
    await run_at(chat, clock, utc(2026, 12, 16, 6))  # the morning of the new deadline
    assert len(about(chat.new("ann"), "Напоминаю: срок этапа «Домашнее")) == 1
    assert "среда, 16 декабря, 23:00" in again.text


async def test_catch_up_after_downtime_sends_what_is_useful_and_drops_the_rest(
    chat: ConsoleChat, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await make_person(chat, "ann", tz="Europe/Moscow")
    await chat.app.s.scheduler.tick()
    # The bot was down from before the 24 h reminder until 30 minutes before the meeting.
    await run_at(chat, clock, EVENT - timedelta(minutes=30))
    [only] = chat.new("ann")
    assert "17:00" in only.text
    # Down again over meeting 2 entirely: both its reminders are dropped and logged.
    with caplog.at_level(logging.INFO, logger="handlers.internship.reminders"):
        await run_at(chat, clock, utc(2026, 12, 15, 18))
    assert not [r for r in chat.new("ann") if "Встреча 2" in r.text]
    assert "the event has already begun" in caplog.text


async def test_missed_deadline_tells_the_tutor_once_and_gives_the_intern_a_next_step(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    intern = await make_person(chat, "ann", tz="Europe/Moscow", name="Анна Смирнова")
    tutor = await make_person(chat, "tom", tz="Asia/Yekaterinburg", role="tutor")
    await team_with_tutor(chat, tutor, [intern])
    await chat.app.s.scheduler.tick()
    chat.new("ann")
    await run_at(chat, clock, HOMEWORK_DUE + timedelta(hours=1))
    # 21:00 UTC is midnight in Moscow and 02:00 in Yekaterinburg: both hear at 08:00 local.
    assert about(chat.new("ann"), "прошёл") == [] and chat.new("tom") == []
    await run_at(chat, clock, utc(2026, 12, 15, 3))
    [flag] = about(chat.new("tom"), "Домашнее")
    await run_at(chat, clock, utc(2026, 12, 15, 5))
    [kind] = about(chat.new("ann"), "«Домашнее задание команды» прошёл")
    assert "Пришлите текст, файл или ссылку" in kind.text
    assert {"go|homework", "ask", "menu|next"} <= work_buttons(kind)
    assert "Анна Смирнова" in flag.text and "Синица" in flag.text and "ничего не сдано" in flag.text
    await run_at(chat, clock, utc(2026, 12, 16, 3))
    assert about(chat.new("tom"), "Домашнее") == [] and about(chat.new("ann"), "прошёл") == []
    async with chat.app.s.db.read() as conn:
        items = await attention.open_items(conn, {intern})
    assert ("overdue", "homework") in {(i.kind, i.ref) for i in items}
    async with chat.app.s.db.transaction() as conn:  # handed in late after all
        await stages.set_status(conn, intern, "homework", "submitted", clock.now())
    await run_at(chat, clock, utc(2026, 12, 16, 4))
    async with chat.app.s.db.read() as conn:
        items = await attention.open_items(conn, {intern})
    assert ("overdue", "homework") not in {(i.kind, i.ref) for i in items}


async def test_silence_nudges_the_intern_then_tells_the_tutor(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(utc(2026, 12, 8, 15))
    intern = await make_person(chat, "ann", tz="Europe/Moscow")
    talker = await make_person(chat, "bob", tz="Europe/Moscow")
    tutor = await make_person(chat, "tom", tz="Europe/Moscow", role="tutor")
    await team_with_tutor(chat, tutor, [intern, talker])
    await chat.app.s.scheduler.tick()
    # homework opens 12-08 19:00 MSK; three silent days later (12-11 16:00 UTC) a nudge.
    await run_at(chat, clock, utc(2026, 12, 11, 10))
    await chat.say("Мы работаем над заданием", "bob")
    await run_at(chat, clock, utc(2026, 12, 11, 17))
    nudges = [r for r in chat.new("ann") if "Давно вас не слышно" in r.text]
    assert len(nudges) >= 1 and "Домашнее задание команды" in texts(nudges)
    assert "«💬 Вопрос тьютору»" in nudges[0].text and {"go|homework", "ask"} <= work_buttons(nudges[0])
    assert not [r for r in chat.new("bob") if "Давно вас не слышно" in r.text]
    assert not [r for r in chat.new("tom") if "молчит" in r.text]
    # The video stage opens 12-15 19:00 MSK and is due 12-28: seven silent days
    # (12-22 19:00 MSK) and the tutor is told, once; bob keeps talking and is not flagged.
    await run_at(chat, clock, utc(2026, 12, 19, 10))
    await chat.say("Снимаем видео", "bob")
    await run_at(chat, clock, utc(2026, 12, 22, 15))
    assert about(chat.new("tom"), "молчит") == []
    await run_at(chat, clock, utc(2026, 12, 22, 16, 1))
    [flag] = about(chat.new("tom"), "молчит")
    assert "Интерн ann" in flag.text and "7 дней" in flag.text and "Видеоролик" in flag.text
    assert "понедельник, 28 декабря, 23:00" in flag.text  # the deadline, in the tutor's time
    await run_at(chat, clock, utc(2026, 12, 25, 16))
    assert about(chat.new("tom"), "молчит") == []
    async with chat.app.s.db.read() as conn:
        flagged = {(i.person_id, i.kind, i.ref) for i in await attention.open_items(conn)}
    assert (intern, "silent", "video") in flagged and (talker, "silent", "video") not in flagged
    await chat.say("Извините, болела. Видео почти готово!", "ann")
    await run_at(chat, clock, utc(2026, 12, 25, 16, 1))
    async with chat.app.s.db.read() as conn:
        flagged = {(i.person_id, i.kind, i.ref) for i in await attention.open_items(conn)}
    assert (intern, "silent", "video") not in flagged


async def test_an_approved_applicant_gets_a_plan_and_a_late_joiner_gets_what_is_still_useful(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    clock.set(EVENT - timedelta(hours=5))  # approved on the day of meeting 1
    await fill_application(chat, "intern")
    await chat.as_user("alice").press("app|1|ok")
    await run_at(chat, clock, EVENT - timedelta(hours=4))
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", "intern")
        assert account is not None
        rows = await store.of_person(conn, account.person_id)
    assert {(r.kind, r.ref) for r in rows} >= {("event", "presentation"), ("deadline", "homework")}
    # The 24 h reminder of today's meeting was due before they joined: sent at once.
    day = about(chat.new("intern"), "🔔 Напоминание")
    assert len(day) == 1 and "Проблематизация" in day[0].text


async def test_someone_who_is_no_longer_an_intern_gets_nothing(chat: ConsoleChat, clock: FakeClock) -> None:
    gone = await make_person(chat, "gone")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.transaction() as conn:
        await conn.execute("UPDATE persons SET deleted_at = '2026-09-02' WHERE id = ?", (gone,))
    await run_at(chat, clock, EVENT - timedelta(minutes=30))
    assert chat.new("gone") == []
    async with chat.app.s.db.read() as conn:
        states = {r.state for r in await store.of_person(conn, gone) if r.due_at <= clock.now()}
    assert states == {"cancelled"}


async def test_a_new_time_zone_moves_the_planned_reminders(chat: ConsoleChat, clock: FakeClock) -> None:
    ann = await make_person(chat, "ann", tz="Europe/Moscow")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.transaction() as conn:
        await persons.update_person(conn, ann, timezone="Asia/Vladivostok")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.read() as conn:
        rows = event_rows(await store.of_person(conn, ann))
    assert rows["24h"] == utc(2026, 12, 7, 22)  # 08:00 in Vladivostok, no longer 17:00 Moscow


async def test_a_reminder_of_an_item_gone_from_the_programme_is_set_aside_not_blocking(
    chat: ConsoleChat, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    ann = await make_person(chat, "ann", tz="Europe/Moscow")
    await chat.app.s.scheduler.tick()
    async with chat.app.s.db.transaction() as conn:  # as if the file lost meeting 1 after planning
        await conn.execute("UPDATE reminders SET ref = 'gone' WHERE person_id = ? AND kind = 'event'"
                           " AND ref = 'problematisation' AND slot = '24h'", (ann,))
    with caplog.at_level(logging.ERROR, logger="handlers.internship.reminders"):
        await run_at(chat, clock, EVENT - timedelta(minutes=30))
    assert "set aside" in caplog.text
    assert len(about(chat.new("ann"), "🔔 Напоминание")) == 1  # the 1 h one still came


async def test_without_a_tutor_the_coordinators_hear_of_a_missed_deadline(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await make_person(chat, "ann", tz="Europe/Moscow", name="Анна Смирнова")
    await chat.app.s.scheduler.tick()
    await run_at(chat, clock, HOMEWORK_DUE + timedelta(hours=12))
    flags = about(chat.all("alice"), "«Домашнее задание команды» не завершён к сроку")
    assert len(flags) == 1 and "Анна Смирнова" in flags[0].text and "без команды" in flags[0].text


def work_buttons(reply: Reply) -> set[str]:
    return {b.payload for row in reply.buttons for b in row if b.payload}
