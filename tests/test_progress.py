"""`/progress`: counts, overdue people, tickets when present, survey rate, and the chart."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from handlers.coordination import charts
from storage import forms, stages, teams, tickets
from storage.forms import FormProgress
from tests.cohort import make_tutor, seed_cohort
from tests.conftest import ConsoleChat


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def _setup(chat: ConsoleChat) -> tuple[list[int], int, int]:
    app = chat.app
    ids = await seed_cohort(app, 6)
    tutor = await make_tutor(app, "tom")
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        mine = await teams.create(conn, "Команда A", now, tutor)
        other = await teams.create(conn, "Команда B", now)
        for pid in ids[:3]:
            await teams.put_member(conn, mine, pid, now)
        for pid in ids[3:]:
            await teams.put_member(conn, other, pid, now)
        for pid in ids[:2]:
            await stages.set_status(conn, pid, "homework", "submitted", now)
        await stages.set_status(conn, ids[2], "homework", "returned", now)
        await stages.set_status(conn, ids[0], "reflection", "submitted", now)
        await forms.save(conn, FormProgress(ids[4], "reflection", step=2), now)
    return ids, mine, other


async def test_coordinator_progress_text_and_chart(chat: ConsoleChat) -> None:
    _, mine, other = await _setup(chat)
    chat.app.s.clock._now = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)  # after the homework deadline
    replies = await chat.say("/progress", "alice")
    text, picture = replies[-2], replies[-1]
    assert "все интерны — 6 чел." in text.text
    assert "• Домашнее задание команды: 2 / 1 / 3" in text.text
    assert "✏️ «Рефлексивная анкета», вопрос 3: сейчас заполняет 1 человек" in text.text
    assert "Просрочен этап «Домашнее задание команды»: 4 чел." in text.text
    assert "🎫 0 открытых обращений" in text.text
    assert "Анкету заполнили: 1 из 6 (17%)" in text.text
    assert [b.payload for row in text.buttons for b in row] == [f"pg|{mine}", f"pg|{other}"]
    assert picture.file is not None and picture.file.mime == "image/png"
    width, height = png_size(picture.file.data or b"")
    rows = len(chat.app.s.programme.stages)
    assert (width, height) == (800, round(max(3.0, 1.4 + 0.55 * rows) * 100))

    await chat.press(f"pg|{mine}")
    team_text = chat.all("alice")[-2].text
    assert "Команда A — 3 чел." in team_text and "Домашнее задание команды: 2 / 1 / 0" in team_text


async def test_tutor_sees_only_own_teams_and_interns_are_refused(chat: ConsoleChat) -> None:
    _, mine, other = await _setup(chat)
    replies = await chat.say("/progress", "tom")
    assert "мои команды — 3 чел." in replies[-2].text
    assert [b.payload for row in replies[-2].buttons for b in row] == [f"pg|{mine}"]
    await chat.press(f"pg|{other}")
    assert "Это не ваша команда" in chat.last("tom").text
    assert "доступна только" in (await chat.say("/progress", "i1"))[-1].text
    await chat.press(f"pg|{mine}")
    assert "доступна только" in chat.last("i1").text


async def test_open_tickets_are_counted(chat: ConsoleChat) -> None:
    ids, _, _ = await _setup(chat)
    async with chat.app.s.db.transaction() as conn:
        for intern in ids[:2]:
            await tickets.create(conn, intern_id=intern, team_id=None, tutor_id=None, stage_id=None,
                                 step=None, question="?", now=chat.app.s.clock.now())
        await tickets.close(conn, 2, chat.app.s.clock.now())
    text = (await chat.say("/progress", "alice"))[-2].text
    assert "🎫 1 открытое обращение" in text


def test_chart_is_a_png_of_sensible_size() -> None:
    png = charts.stage_bars(["Заявка", "Очень длинное название этапа программы"] * 3,
                            [[5, 1, 0] * 2, [1, 2, 3] * 2, [0, 3, 3] * 2],
                            ["сдали", "в работе", "не начали"], "Прогресс")
    width, height = png_size(png)
    assert width == 800 and 300 <= height <= 600
    assert 5_000 < len(png) < 300_000
