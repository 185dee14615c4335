"""/schedule in the coordinator's own time: a reminder planned in many zones is one line
with its spread and count, and the figures under the list add up to the list."""

from __future__ import annotations

import re

import pytest

from bot.clock import FakeClock
from handlers.coordination import schedule_view
from storage import outbox, persons
from storage.db import fetchone
from tests.conftest import ConsoleChat
from tests.reminder_helpers import make_person, run_at, utc

ZONES = {"ann": "Europe/Moscow", "bob": "Asia/Vladivostok", "cat": "Asia/Yekaterinburg"}


async def _cohort(chat: ConsoleChat) -> None:
    for user, zone in ZONES.items():
        await make_person(chat, user, tz=zone)
    await chat.app.s.scheduler.tick()


async def _planned_in_db(chat: ConsoleChat) -> int:
    async with chat.app.s.db.read() as conn:
        row = await fetchone(conn, "SELECT COUNT(*) AS n FROM reminders WHERE state = 'planned'")
    assert row is not None
    return int(row["n"])


def _figures(text: str) -> tuple[list[int], int, int]:
    """(people on each line, the total, "later"), as the coordinator reads them."""
    lines = [int(m) for m in re.findall(r"^• .*, (\d+) человека?$", text, re.M)]
    total = re.search(r"Всего запланировано напоминаний: (\d+)\.", text)
    later = re.search(r"позже — ещё (\d+)", text)
    assert total is not None, text
    return lines, int(total.group(1)), int(later.group(1)) if later else 0


async def test_a_reminder_in_many_zones_is_one_line_with_its_spread_in_the_coordinators_time(
    chat: ConsoleChat,
) -> None:
    await _cohort(chat)
    [shown] = await chat.say("/schedule", "alice")
    assert "время — ваше, Москва (МСК)" in shown.text
    # 48 h before 10 Dec 23:00 MSK is night for everyone: each gets it at 08:00 their time
    assert "• за 48 ч до срока «Проблематизация и погружение»: 9 дек 01:00–08:00, 3 человека" in shown.text
    assert "утром в день срока «Проблематизация и погружение»: 10 дек 02:00–09:00 (у каждого в 09:00" in (
        shown.text)
    assert "за 1 ч до встречи «Встреча 1. Проблематизация и погружение»: 8 дек 16:00, 3 человека" in (
        shown.text)
    assert len(re.findall(r"за 48 ч до срока «Проблематизация", shown.text)) == 1  # one line, not three

    async with chat.app.s.db.transaction() as conn:  # the coordinator moves to Vladivostok
        alice = await persons.find_account(conn, "console", "alice")
        assert alice is not None
        await persons.update_person(conn, alice.person_id, timezone="Asia/Vladivostok")
    [there] = await chat.say("/schedule", "alice")
    assert "Владивосток" in there.text.splitlines()[0]
    assert "за 48 ч до срока «Проблематизация и погружение»: 9 дек 08:00–15:00, 3 человека" in there.text


@pytest.mark.parametrize("limit", [3, 12, 500])
async def test_the_figures_under_the_list_add_up_to_the_list(
    chat: ConsoleChat, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(schedule_view, "LIMIT", limit)
    await _cohort(chat)
    [shown] = await chat.say("/schedule", "alice")
    lines, total, later = _figures(shown.text)
    async with chat.app.s.db.read() as conn:
        row = await fetchone(conn, "SELECT COUNT(DISTINCT kind || ref || slot) AS n FROM reminders"
                                   " WHERE state = 'planned'")
    assert row is not None
    assert len(lines) == min(limit, row["n"])
    assert sum(lines) + later == total == await _planned_in_db(chat)
    assert (later > 0) == (limit < row["n"])


async def test_the_queue_agrees_with_the_outbox_and_leaves_the_list(
    chat: ConsoleChat, clock: FakeClock
) -> None:
    await _cohort(chat)
    [before] = await chat.say("/schedule", "alice")
    _, total_before, _ = _figures(before.text)
    await chat.say("/pause", "alice")
    # 17:00 MSK: the 24 h reminder of meeting 1 is due for ann and cat; bob's (00:00 in
    # Vladivostok) waits in the plan for his morning
    await run_at(chat, clock, utc(2026, 12, 7, 14))
    [during] = await chat.say("/schedule", "alice")
    lines, total, later = _figures(during.text)
    async with chat.app.s.db.read() as conn:
        queued = (await outbox.status_counts(conn, "rem:")).get("pending", 0)
    assert queued == 2
    assert "⏸ приостановлена" in during.text and "Напоминаний в очереди на отправку: 2;" in during.text
    assert total == total_before - queued == sum(lines) + later  # written messages left the plan
    assert "• за 24 ч до встречи «Встреча 1. Проблематизация и погружение»: 8 дек 01:00, 1 человек" in (
        during.text)
    await chat.say("/resume", "alice")
    await run_at(chat, clock, utc(2026, 12, 7, 14, 1))
    [after] = await chat.say("/schedule", "alice")
    assert "в очереди на отправку: 0; доставлено: 2," in after.text
