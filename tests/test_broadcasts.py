"""Broadcasts: placeholders, every kind of audience, scheduling, and the delivery report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import delivery
from bot.app import App
from bot.clock import FakeClock
from bot.messages import DeliveryError, Reply
from handlers.coordination import broadcasts as bc_module
from storage import broadcasts, outbox, persons, stages, teams
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat

BODY = "{{ name }}: {{ team }} / {{ next_stage }} {{ next_deadline }} / {{ event_link }}"


class FakeVk:
    """A second messenger in-process: records what it sent, refuses blocked chats."""

    platform = "vk"

    def __init__(self, blocked: set[str], failing: set[str] | None = None) -> None:
        self.blocked = blocked
        self.failing = failing or set()
        self.sent: list[tuple[str, Reply]] = []

    async def send(self, chat_ref: str, reply: Reply, *, idem: int | None = None) -> str | None:
        if chat_ref in self.blocked:
            raise DeliveryError("Forbidden: bot was blocked by the user", permanent=True)
        if chat_ref in self.failing:
            raise DeliveryError("Internal Server Error")
        self.sent.append((chat_ref, reply))
        return str(len(self.sent))


async def _cohort(app: App) -> dict[str, int]:
    ids = {u: await seed_intern(app, u) for u in ("i1", "i2", "i3", "i4", "i5", "i6")}
    ids["v1"] = await seed_intern(app, "v1", platform="vk")
    ids["v2"] = await seed_intern(app, "v2", platform="vk")
    ids["tom"] = await make_tutor(app, "tom")
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        team = await teams.create(conn, "Команда A", now, ids["tom"])
        for u in ("i1", "i2"):
            await teams.put_member(conn, team, ids[u], now)
        for u in ("i1", "i3"):
            await stages.set_status(conn, ids[u], "homework", "open", now)
        for u in ("i1", "i2", "i3", "i4"):
            await stages.set_status(conn, ids[u], "video", "submitted", now)
        for u in ("i1", "i2"):
            await stages.set_status(conn, ids[u], "reflection", "submitted", now)
    ids["team"] = team
    return ids


async def _compose(chat: ConsoleChat, body: str = BODY) -> int:
    await chat.say("/broadcast", "alice")
    menu = (await chat.say(body, "alice"))[-1]
    assert "Кому отправить" in menu.text
    return int(menu.buttons[0][0].payload.split("|")[1])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("all", {"i1", "i2", "i3", "i4", "i5", "i6", "v1", "v2"}),
        ("tutors", {"tom"}),
        ("stage:homework", {"i1", "i3"}),
        ("team:{team}", {"i1", "i2"}),
        ("missing:video", {"i5", "i6", "v1", "v2"}),
        ("survey", {"i3", "i4", "i5", "i6", "v1", "v2"}),
        ("platform:vk", {"v1", "v2"}),
    ],
)
async def test_broadcast_to_each_audience_with_report(
    chat: ConsoleChat, spec: str, expected: set[str]
) -> None:
    app = chat.app
    vk = FakeVk(blocked={"v2"})
    app.s.delivery.register(vk)
    ids = await _cohort(app)
    spec = spec.format(team=ids["team"])
    bc = await _compose(chat)
    await chat.press(f"bc|{bc}|a|{spec}")
    preview = chat.last("alice")
    assert f" {len(expected)} человек" in preview.text and "Сообщение получ" in preview.text
    assert preview.buttons[0][0].payload == f"bc|{bc}|now"
    await chat.press(f"bc|{bc}|now")
    assert f"отправляется: {len(expected)} сообщени" in chat.last("alice").text
    await chat.press(f"bc|{bc}|now")  # a double press sends nothing twice
    assert "второй раз не отправляю" in chat.last("alice").text
    await app.s.delivery.run_once()

    got = {u for u in ("i1", "i2", "i3", "i4", "i5", "i6", "tom") if chat.all(u)}
    got |= {ref for ref, _ in vk.sent}
    assert got == expected - {"v2"}
    for user in got:
        replies = chat.all(user) if user != "v1" else [r for _, r in vk.sent]
        assert len(replies) == 1
    if "i1" in expected:
        text = chat.all("i1")[0].text
        assert text.startswith("Интерн i1: Команда A / ")
        assert "https://zoom.example.org/" in text
    if "i3" in expected:
        assert chat.all("i3")[0].text.startswith("Интерн i3: — / ")

    chat.new("alice")
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
    await app.s.delivery.run_once()
    got_alice = chat.new("alice")
    report = [r for r in got_alice if "Отчёт о рассылке" in r.text]
    assert len(report) == 1 and f"Отчёт о рассылке №{bc}" in report[0].text
    unreachable = 1 if "v2" in expected else 0
    # v2 blocked the bot and has no team: the coordinator is also asked to reach them directly
    lost = [r for r in got_alice if "не получает сообщений бота" in r.text]
    assert len(lost) == unreachable and all("Интерн v2" in r.text for r in lost)
    assert f"доставлено: {len(expected) - unreachable}" in report[0].text
    assert f"недоступны (заблокировали бота): {unreachable}" in report[0].text
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 0  # reported once


async def test_report_counts_messages_that_failed_after_every_retry(chat: ConsoleChat) -> None:
    app = chat.app
    app.s.delivery.register(FakeVk(blocked=set(), failing={"v1"}))
    await seed_intern(app, "i1")
    await seed_intern(app, "v1", platform="vk")
    bc = await _compose(chat, "Текст")
    await chat.press(f"bc|{bc}|a|all")
    await chat.press(f"bc|{bc}|now")
    await app.s.delivery.run_once()
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 0  # v1 is still being retried
    for _ in range(delivery.MAX_ATTEMPTS):
        app.s.clock.advance(seconds=delivery.MAX_BACKOFF_S)
        await app.s.delivery.run_once()
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
    await app.s.delivery.run_once()
    report = chat.last("alice").text
    assert "доставлено: 1" in report and "не удалось отправить: 1" in report


async def test_unknown_placeholder_lists_the_known_ones_and_keeps_the_dialogue(
    chat: ConsoleChat,
) -> None:
    await chat.say("/broadcast", "alice")
    wrong, echo = await chat.say("Привет, {{ nmae }}!", "alice")
    assert "Неизвестная подстановка {{ nmae }} — может быть, {{ name }}?" in wrong.text
    assert "{{ event_link }}" in wrong.text and echo.text == "Привет, {{ nmae }}!"
    broken, _ = await chat.say("Привет, {{ name }", "alice")
    assert "незакрытая скобка {{" in broken.text and "unexpected" not in broken.text
    sneaky, _ = await chat.say("{{ name.__class__.__mro__ }}", "alice")
    assert "без точек, скобок и вычислений" in sneaky.text  # the sandbox refuses on a dry run
    await seed_intern(chat.app, "i1")
    assert "Кому отправить" in (await chat.say("Привет, {{ name }}!", "alice"))[-1].text
    assert chat.all("i1") == []


async def test_scheduled_broadcast_waits_for_its_time(chat: ConsoleChat) -> None:
    app = chat.app
    await seed_intern(app, "i1")
    bc = await _compose(chat, "Напоминание для {{ name }}")
    await chat.press(f"bc|{bc}|a|all")
    await chat.press(f"bc|{bc}|at")
    assert "Europe/Moscow" in chat.last("alice").text
    assert "Не понял" in (await chat.say("завтра", "alice"))[-1].text
    assert "уже прошло" in (await chat.say("01.09 08:00", "alice"))[-1].text
    confirm = (await chat.say("02.09 10:00", "alice"))[-1]
    assert "02.09.2026 10:00" in confirm.text
    await chat.press(f"bc|{bc}|go")
    assert "запланирована на 02.09.2026 10:00" in chat.last("alice").text
    done = await app.s.scheduler.tick()
    assert (done["broadcast_fanout"], done["broadcast_reports"]) == (0, 0)
    await app.s.delivery.run_once()
    assert chat.all("i1") == []
    listing = (await chat.say("/broadcasts", "alice"))[-1]
    assert f"№{bc} — ждёт отправки (02.09.2026 10:00)" in listing.text
    app.s.clock.advance(timedelta(hours=22, minutes=1))  # 07:01 UTC = 10:01 MSK
    assert (await app.s.scheduler.tick())["broadcast_fanout"] == 1
    await app.s.delivery.run_once()
    assert chat.all("i1")[0].text == "Напоминание для Интерн i1"
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
    await app.s.delivery.run_once()
    assert "доставлено: 1" in chat.last("alice").text


async def test_scheduled_broadcast_can_be_cancelled(chat: ConsoleChat) -> None:
    app = chat.app
    await seed_intern(app, "i1")
    bc = await _compose(chat, "Текст")
    await chat.press(f"bc|{bc}|a|all")
    await chat.press(f"bc|{bc}|at")
    await chat.say("02.09 10:00", "alice")
    await chat.press(f"bc|{bc}|go")
    listing = (await chat.say("/broadcasts", "alice"))[-1]
    assert listing.buttons[0][0].payload == f"bc|{bc}|x"
    await chat.press(f"bc|{bc}|x")
    assert "отменена" in chat.last("alice").text
    app.s.clock.advance(timedelta(days=2))
    assert (await app.s.scheduler.tick())["broadcast_fanout"] == 0
    await app.s.delivery.run_once()
    assert chat.all("i1") == []


async def test_large_broadcast_is_written_in_batches(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = chat.app
    monkeypatch.setattr(bc_module, "BATCH", 3)
    for n in range(1, 9):
        await seed_intern(app, f"i{n}")
    bc = await _compose(chat, "Привет, {{ name }}")
    await chat.press(f"bc|{bc}|a|all")
    await chat.press(f"bc|{bc}|now")
    async with app.s.db.read() as conn:
        assert (await outbox.status_counts(conn, f"bc:{bc}:")) == {"pending": 3}
    assert (await app.s.scheduler.tick())["broadcast_fanout"] == 2  # 3 + 2 more, one batch each
    await app.s.delivery.run_once()
    assert all(chat.all(f"i{n}")[0].text == f"Привет, Интерн i{n}" for n in range(1, 9))
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 1
    await app.s.delivery.run_once()
    assert "Отчёт о рассылке" in chat.last("alice").text and "доставлено: 8" in chat.last("alice").text
    assert (await app.s.scheduler.tick())["broadcast_fanout"] == 0


async def test_broadcast_refused_for_interns_and_tutors(chat: ConsoleChat) -> None:
    await seed_intern(chat.app, "i1")
    await make_tutor(chat.app, "tom")
    bc = await _compose(chat, "Текст")
    for user in ("i1", "tom"):
        assert "только координаторам" in (await chat.say("/broadcast", user))[-1].text
        await chat.press(f"bc|{bc}|a|all")
        assert "только координаторам" in chat.last(user).text
    async with chat.app.s.db.read() as conn:
        draft = await broadcasts.get(conn, bc)
    assert draft is not None and draft.status == "draft" and draft.audience == ""


async def test_a_broadcast_waits_out_each_recipients_night_unless_urgent(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    app = chat.app
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 20:00 in Moscow, 03:00 in Vladivostok
    await seed_intern(app, "msk")
    far = await seed_intern(app, "far")
    async with app.s.db.transaction() as conn:
        await persons.update_person(conn, far, timezone="Asia/Vladivostok")

    bc = await _compose(chat, "Завтра встреча")
    await chat.press(f"bc|{bc}|a|all")
    assert f"bc|{bc}|urgent" in [b.payload for row in chat.last("alice").buttons for b in row]
    await chat.press(f"bc|{bc}|now")
    assert "получат утром" in chat.last("alice").text
    await app.s.delivery.run_once()
    assert [r.text for r in chat.new("msk")] == ["Завтра встреча"]
    assert chat.new("far") == []  # asleep
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 0  # not everyone has it yet
    clock.set(datetime(2026, 12, 1, 22, 0, tzinfo=UTC))  # 08:00 in Vladivostok
    await app.s.delivery.run_once()
    assert [r.text for r in chat.new("far")] == ["Завтра встреча"]
    assert (await app.s.scheduler.tick())["broadcast_reports"] == 1

    clock.set(datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
    urgent = await _compose(chat, "Ссылка на встречу изменилась")
    await chat.press(f"bc|{urgent}|a|all")
    await chat.press(f"bc|{urgent}|urgent")
    assert "Срочная рассылка" in chat.last("alice").text
    await app.s.delivery.run_once()
    assert [r.text for r in chat.new("far")] == ["Ссылка на встречу изменилась"]
    assert [r.text for r in chat.new("msk")] == ["Ссылка на встречу изменилась"]
