"""A coordinator with 300 interns, over the console: every confirmation has a Cancel that
leaves nothing half-done, /openstage speaks of a meeting by the clock, «Что дальше»
follows the timeline, and a tutor who accepts an invitation is given a team in one tap."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.clock import FakeClock
from bot.messages import Reply
from handlers.internship import timetable
from storage import attention, broadcasts, openings, outbox, persons, stages, teams
from storage.db import fetchone
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


def cancel_of(reply: Reply) -> str:
    [found] = [b.payload for row in reply.buttons for b in row if b.label == "Отмена"]
    return found


async def person_of(chat: ConsoleChat, user: str) -> int:
    async with chat.app.s.db.read() as conn:
        account = await persons.find_account(conn, "console", user)
    assert account is not None
    return account.person_id


async def outbox_rows(chat: ConsoleChat, prefix: str) -> int:
    async with chat.app.s.db.read() as conn:
        return sum((await outbox.status_counts(conn, prefix)).values())


# --- Cancel on every confirmation screen -------------------------------------------------


async def test_opening_a_stage_can_be_cancelled_and_nothing_is_sent(chat: ConsoleChat) -> None:
    ann = await seed_intern(chat.app, "ann")
    [menu] = await chat.say("/openstage", "alice")
    assert "open|video" in payloads(menu)
    await chat.press("open|video")
    confirm = chat.last("alice")
    assert payloads(confirm) == ["open|video|yes", "open|video|no"]
    await chat.press(cancel_of(confirm))
    assert "не открываю — интернам ничего не отправлено" in chat.last("alice").text
    async with chat.app.s.db.read() as conn:
        assert "video" not in await openings.opened(conn)
        assert "video" not in await stages.statuses_of(conn, ann)
    assert await outbox_rows(chat, "open:video:") == 0
    await chat.press("open|video|yes")  # the same screen still opens it when meant
    assert "открыт" in chat.last("alice").text and await outbox_rows(chat, "open:video:") == 1


async def test_every_broadcast_screen_has_a_cancel_that_sends_nothing(chat: ConsoleChat) -> None:
    await seed_intern(chat.app, "ann")
    [ask] = await chat.say("/broadcast", "alice")
    await chat.press(cancel_of(ask))
    assert "никому ничего не отправлено" in chat.last("alice").text
    # the dialogue is closed: the next line is not taken for a broadcast text
    assert all("Кому отправить" not in r.text for r in await chat.say("Текст", "alice"))

    cancelled: list[int] = []
    for path in (["stages"], ["teams"], ["plats"], ["a|all"], ["a|all", "at"], ["a|all", "at", "when"]):
        await chat.say("/broadcast", "alice")
        [menu] = await chat.say("Привет, {{ name }}", "alice")
        bc = int(menu.buttons[0][0].payload.split("|")[1])
        assert f"bc|{bc}|x" == cancel_of(menu)
        for step in path:
            if step == "when":
                await chat.say("02.09 10:00", "alice")  # the confirmation of a later sending
            else:
                await chat.press(f"bc|{bc}|{step}")
        screen = chat.last("alice")
        assert cancel_of(screen) == f"bc|{bc}|x", (path, screen)
        if path[0] in ("stages", "teams", "plats"):
            assert f"bc|{bc}|aud" in payloads(screen)  # and a way back to the audiences
        await chat.press(cancel_of(screen))
        assert "никому ничего не отправлено" in chat.last("alice").text
        await chat.press(f"bc|{bc}|now")  # an old "send" button of the cancelled draft
        assert "отменена" in chat.last("alice").text
        cancelled.append(bc)
    async with chat.app.s.db.read() as conn:
        assert {(await broadcasts.get(conn, bc)).status for bc in cancelled} == {"cancelled"}  # type: ignore[union-attr]
    assert await outbox_rows(chat, "bc:") == 0
    assert chat.all("ann") == []


async def test_move_can_be_cancelled_on_each_screen_and_nothing_moves(chat: ConsoleChat) -> None:
    programme = chat.app.s.programme
    async with chat.app.s.db.read() as conn:
        before = await timetable.stage_deadline(conn, programme, "homework")
    [menu] = await chat.say("/move", "alice")
    assert cancel_of(menu) == "mv|cancel"
    await chat.press("mv|d|homework")
    asked = chat.last("alice")
    await chat.press(cancel_of(asked))
    assert "ничего не переносим" in chat.last("alice").text
    await chat.say("16.12.2026 23:00", "alice")  # no longer taken as the new moment
    await chat.press("mv|d|homework")
    [bad] = await chat.say("когда-нибудь", "alice")
    await chat.press(cancel_of(bad))
    assert "ничего не переносим" in chat.last("alice").text
    async with chat.app.s.db.read() as conn:
        assert await timetable.stage_deadline(conn, programme, "homework") == before
        assert await fetchone(conn, "SELECT 1 FROM schedule_overrides") is None


async def test_forget_can_be_cancelled_and_no_request_reaches_a_coordinator(chat: ConsoleChat) -> None:
    ann = await seed_intern(chat.app, "ann")
    await chat.say("/start", "alice")
    chat.new("alice")
    [confirm] = await chat.say("/forget", "ann")
    await chat.press(cancel_of(confirm))
    assert "ничего не удаляю" in chat.last("ann").text
    async with chat.app.s.db.read() as conn:
        assert await attention.open_items(conn, {ann}) == []
        assert (await persons.get_person(conn, ann)).full_name == "Интерн ann"
    assert chat.new("alice") == []


async def test_revoking_a_role_and_forming_teams_can_be_cancelled(chat: ConsoleChat) -> None:
    tom = await make_tutor(chat.app, "tom")
    for n in range(4):
        await seed_intern(chat.app, f"i{n}")
    await chat.say("/start", "alice")
    await chat.press(f"rv|{tom}|tutor")
    await chat.press(cancel_of(chat.last("alice")))
    assert "ничего не меняю" in chat.last("alice").text
    await chat.press("tm|auto")
    await chat.press(cancel_of(chat.last("alice")))
    assert "ничего не меняю" in chat.last("alice").text
    async with chat.app.s.db.read() as conn:
        assert "tutor" in await persons.roles_of(conn, tom)
        assert await teams.all_teams(conn) == []


# --- /openstage speaks of the meeting by the clock ----------------------------------------


async def test_a_stage_opened_before_its_meeting_never_thanks_for_the_meeting(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await seed_intern(chat.app, "ann")
    clock.set(datetime(2026, 12, 5, 9, tzinfo=UTC))  # meeting 1 is on 8 December, 17:00 MSK
    await chat.say("/openstage", "alice")
    await chat.press("open|problematisation")
    confirm = chat.last("alice").text
    assert "ещё впереди" in confirm and "прошла" not in confirm
    await chat.press("open|problematisation|yes")
    await chat.app.s.delivery.run_once()
    [notice] = chat.all("ann")
    assert "Спасибо за участие во встрече" not in notice.text
    assert "Встреча ещё впереди" in notice.text and "08.12.2026, 17:00" in notice.text
    assert "https://zoom.example.org/j/1000000001" in notice.text


async def test_a_stage_opened_after_its_meeting_speaks_of_it_as_past(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await seed_intern(chat.app, "ann")
    clock.set(datetime(2026, 12, 8, 16, tzinfo=UTC))  # 19:00 MSK: the 90-minute meeting is over
    await chat.say("/openstage", "alice")
    await chat.press("open|problematisation")
    assert "уже прошла" in chat.last("alice").text
    await chat.press("open|problematisation|yes")
    await chat.app.s.delivery.run_once()
    [notice] = chat.all("ann")
    assert "Спасибо за участие во встрече" in notice.text
    assert "прошла" in notice.text and "Ссылка" not in notice.text


async def test_a_stage_opened_during_its_meeting_says_it_is_under_way(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await seed_intern(chat.app, "ann")
    clock.set(datetime(2026, 12, 8, 14, 30, tzinfo=UTC))  # 17:30 MSK
    await chat.say("/openstage", "alice")
    await chat.press("open|presentation")
    assert "«Встреча 2" in chat.last("alice").text and "ещё впереди" in chat.last("alice").text
    await chat.press("open|problematisation")
    assert "идёт сейчас" in chat.last("alice").text


# --- «Что дальше» in the order of the timeline ------------------------------------------


async def test_whats_next_lists_open_stages_in_the_order_of_the_timeline(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    ann = await seed_intern(chat.app, "ann")
    now = clock.now()
    async with chat.app.s.db.transaction() as conn:
        for stage in ("problematisation", "homework"):
            await openings.record(conn, stage, now, None)
            await stages.set_status(conn, ann, stage, "open", now)
    await chat.say("/menu", "ann")
    await chat.as_user("ann").press("menu|next")
    text = chat.last("ann").text
    assert text.index("Проблематизация") < text.index("Домашнее задание")
    async with chat.app.s.db.transaction() as conn:  # the homework is now due first
        await timetable.move(conn, "deadline", "homework", datetime(2026, 12, 9, 20, tzinfo=UTC), None, now)
    await chat.as_user("ann").press("menu|next")
    text = chat.last("ann").text
    assert text.index("Домашнее задание") < text.index("Проблематизация")
    buttons = payloads(chat.last("ann"))
    assert buttons.index("go|homework") < buttons.index("go|problematisation")


# --- a tutor accepts an invitation: a team in one tap -------------------------------------


async def test_a_tutor_who_accepts_is_given_a_team_from_the_coordinators_notice(chat: ConsoleChat) -> None:
    ids = [await seed_intern(chat.app, f"i{n}") for n in range(3)]
    old = await make_tutor(chat.app, "old")
    now = chat.app.s.clock.now()
    async with chat.app.s.db.transaction() as conn:
        led = await teams.create(conn, "Ведомая", now, old)
        free = await teams.create(conn, "Свободная", now)
        for pid in ids:
            await teams.put_member(conn, free, pid, now)
    await chat.say("/invite tutor", "alice")
    code = re.search(r"/start (inv-[A-Z0-9]+)", chat.last("alice").text)
    assert code is not None
    chat.new("alice")
    await chat.say(f"/start {code.group(1)}", "tom")
    tom = await person_of(chat, "tom")
    got = chat.new("alice")
    notices = [r for r in got if "Назначьте тьютору команду" in r.text]
    assert len(notices) == 1, [r.text for r in got]
    notice = notices[0]
    assert payloads(notice) == [f"tm|for|{tom}"] and "Назначить команду" in notice.buttons[0][0].label

    await chat.as_user("tom").press(f"tm|for|{tom}")  # the button is the coordinators' alone
    assert "только координаторам" in chat.last("tom").text
    await chat.as_user("alice").press(f"tm|for|{tom}")
    choice = chat.last("alice")
    assert payloads(choice) == [f"tm|tutor|{free}|{tom}", f"tm|tutor|{led}|{tom}", "tm|no"]
    await chat.press(f"tm|tutor|{free}|{tom}")
    assert "Тьютор команды «Свободная»" in chat.last("alice").text
    async with chat.app.s.db.read() as conn:
        team = await teams.get(conn, free)
    assert team is not None and team.tutor_id == tom
    assert any("Вы тьютор команды «Свободная»" in r.text for r in chat.all("tom"))


async def test_the_give_a_team_button_for_someone_no_longer_a_tutor(chat: ConsoleChat) -> None:
    ann = await seed_intern(chat.app, "ann")
    await chat.say("/start", "alice")
    await chat.press(f"tm|for|{ann}")
    assert "больше не тьютор" in chat.last("alice").text
    tom = await make_tutor(chat.app, "tom")
    await chat.press(f"tm|for|{tom}")
    assert "Команд пока нет" in chat.last("alice").text and "tm|no" in payloads(chat.last("alice"))
