"""Coordinator controls: /move with buttons and a typed moment, /pause, /resume, /schedule."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from handlers.internship import timetable
from storage import outbox
from storage import reminders as store
from tests.conftest import ConsoleChat, texts
from tests.reminder_helpers import make_person, run_at, utc

HOMEWORK_DUE = utc(2026, 12, 14, 20)


async def test_only_coordinators_may_move_pause_resume_or_see_the_schedule(chat: ConsoleChat) -> None:
    await make_person(chat, "ann")
    for command in ("/move", "/pause", "/resume", "/schedule"):
        [refusal] = await chat.say(command, "ann")
        assert "только координаторам" in refusal.text
    await chat.say("/start", "ann")
    await chat.press("mv|d|homework")
    assert "только координаторам" in chat.last("ann").text
    assert chat.app.s.delivery.paused is False
    async with chat.app.s.db.read() as conn:
        assert await timetable.stage_deadline(conn, chat.app.s.programme, "homework") == HOMEWORK_DUE


async def test_moving_a_deadline_with_buttons_replans_reminders_and_can_tell_interns(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    ann = await make_person(chat, "ann", tz="Asia/Vladivostok")
    await chat.app.s.scheduler.tick()
    [menu] = await chat.say("/move", "alice")
    payloads = [b.payload for row in menu.buttons for b in row]
    assert {"mv|e|problematisation", "mv|d|homework", "mv|d|video", "mv|cancel"} <= set(payloads)
    assert all(len(p.encode()) <= 64 for p in payloads)
    await chat.press("mv|d|homework")
    assert "понедельник, 14 декабря, 23:00" in chat.last("alice").text
    [bad] = await chat.say("в следующую среду", "alice")
    assert "Не получилось прочитать дату" in bad.text
    [past] = await chat.say("01.01.2026 10:00", "alice")
    assert "уже прошло" in past.text
    [done] = await chat.say("16.12.2026 23:00", "alice")
    assert "среда, 16 декабря, 23:00" in done.text and "для 1 интерна" in done.text
    async with chat.app.s.db.read() as conn:
        moved = await timetable.stage_deadline(conn, chat.app.s.programme, "homework")
        rows = {r.slot: r for r in await store.of_person(conn, ann)
                if r.kind == "deadline" and r.ref == "homework"}
    assert moved == HOMEWORK_DUE + timedelta(days=2)
    assert rows["48h"].moment == moved and rows["48h"].state == "planned"

    await chat.press(done.buttons[0][0].payload)
    assert "для 1 интерна" in chat.last("alice").text
    await chat.press(done.buttons[0][0].payload)  # a second press sends nothing twice
    assert "уже сообщено" in chat.last("alice").text
    while await chat.app.s.delivery.run_once():
        pass
    [notice] = [r for r in chat.all("ann") if "изменён" in r.text]
    assert "четверг, 17 декабря, 06:00" in notice.text  # in Vladivostok time


async def test_pause_holds_reminders_until_resume(chat: ConsoleChat, clock: FakeClock) -> None:
    await make_person(chat, "ann", tz="Europe/Moscow")
    await chat.app.s.scheduler.tick()
    [paused] = await chat.say("/pause", "alice")
    assert "приостановлена" in paused.text
    await run_at(chat, clock, utc(2026, 12, 7, 14))  # the 24 h reminder of meeting 1
    assert not [r for r in chat.all("ann") if "Напоминание" in r.text]
    [status] = await chat.say("/schedule", "alice")  # a direct reply still comes
    assert "приостановлена" in status.text and "в очереди на отправку: 1" in status.text
    [resumed] = await chat.say("/resume", "alice")
    assert "возобновлена" in resumed.text
    await run_at(chat, clock, utc(2026, 12, 7, 14, 1))
    assert len([r for r in chat.all("ann") if "Напоминание" in r.text]) == 1


async def test_schedule_lists_what_comes_next(chat: ConsoleChat, clock: FakeClock) -> None:
    await make_person(chat, "ann")
    await make_person(chat, "bob")
    await chat.app.s.scheduler.tick()
    [shown] = await chat.say("/schedule", "alice")
    first = shown.text.splitlines()[1]
    assert "Проблематизация" in first and "за 24 ч" in first and "2 человека" in first
    assert "работает" in shown.text
    async with chat.app.s.db.read() as conn:
        assert await outbox.status_counts(conn, "rem:") == {}
    assert "Ближайшие напоминания" in texts([shown])
