"""The bank of solutions end to end (console): consent asked of every author and honoured,
browsing in pages and by line, exemplary and hidden works, the export sheet, erasure,
and a second cohort on the same database that finds the first cohort's bank.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from bot.clock import FakeClock
from bot.settings import Settings
from scenarios.loader import parse_programme
from storage import bank
from tests.cohort import seed_intern
from tests.conftest import ConsoleChat, make_chat, texts
from tests.internship_cohort import BEFORE_START, enrol_cohort
from tests.test_internship_cohort import payloads, press, send_file, tick

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "default_programme.yaml"


def entry_of(replies: list) -> int:  # type: ignore[type-arg]
    asked = [p for p in payloads(replies) if p.startswith("bq|")]
    assert asked, texts(replies)
    return int(asked[0].split("|")[1])


async def homework(chat: ConsoleChat, user: str, tutor: str, text: str, with_file: bool = False) -> None:
    await press(chat, user, "go|homework")
    await chat.say(text, user)
    if with_file:
        await send_file(chat, user, kind="document", file_id=f"doc-{user}", name="plan.docx", size=20_000)
    await press(chat, user, "hw|send")
    await tick(chat)
    card = chat.new(tutor)
    ok = [p for p in payloads(card) if p.startswith("rev|") and p.endswith("|ok")]
    await press(chat, tutor, ok[-1])
    await tick(chat)


async def test_bank_consent_browse_hide_export_forget(chat: ConsoleChat, clock: FakeClock,
                                                     settings: Settings) -> None:
    s = chat.app.s
    clock.set(BEFORE_START)
    ids = await enrol_cohort(chat)
    clock.set(s.programme.moment("start+7d 19:00"))
    await tick(chat)
    for user in ids:
        chat.new(user)

    # team A: boris hands in, tom accepts; every member is asked once
    await homework(chat, "boris", "tom", "Вебинар для родителей: цели и задачи")
    asked = {u: chat.new(u) for u in ("ann", "boris", "vera", "gleb")}
    assert asked["gleb"] == [] or "bq|" not in " ".join(payloads(asked["gleb"]))
    team_a = entry_of(asked["boris"])
    assert "никто из команды не против" in texts(asked["ann"])
    published = texts(await press(chat, "boris", f"bq|{team_a}|yes"))
    assert "теперь в банке решений" in published
    assert "уже ответили" in texts(await press(chat, "boris", f"bq|{team_a}|no"))  # asked once
    assert "авторам работы" in texts(await press(chat, "gleb", f"bq|{team_a}|yes"))
    await press(chat, "ann", f"bq|{team_a}|yes")
    await press(chat, "vera", f"bq|{team_a}|no")  # one "no" keeps the team's work out for good

    # team B: gleb hands in with a file; gleb and dina agree, egor never answers
    await homework(chat, "gleb", "tina", "Квест для родителей в онлайн-доске", with_file=True)
    team_b = entry_of(chat.new("gleb"))
    line = await press(chat, "gleb", f"bq|{team_b}|yes")
    assert f"bq|{team_b}|line|parents" in payloads(line)
    await press(chat, "gleb", f"bq|{team_b}|line|parents")
    await press(chat, "dina", f"bq|{team_b}|yes")

    # a personal video: dina alone is asked
    clock.set(s.programme.moment("start+14d 19:00"))
    await tick(chat)
    await press(chat, "dina", "go|video")
    await chat.say("https://vk.com/video-1_dina", "dina")
    await chat.say("12", "dina")
    await tick(chat)
    card = chat.new("tina")
    await press(chat, "tina", [p for p in payloads(card) if p.endswith("|ok")][-1])
    await tick(chat)
    video = entry_of(chat.new("dina"))
    await press(chat, "dina", f"bq|{video}|yes")

    # every intern browses: the declined work never shows, names only with consent
    listing = texts(await chat.say("/bank", "egor"))
    assert "2 работы" in listing and "Вебинар" not in listing
    assert "Команда A" not in listing and "Команда B" in listing
    opened = await press(chat, "egor", f"bk|o|{team_b}|-|-|-|0")
    shown = texts(opened)
    assert "Квест для родителей" in shown and "Работа с родителями" in shown
    assert "Глебов Глеб Петрович" in shown and "Данилова Дина Ильинична" in shown
    assert "Егоров" not in shown
    assert any(r.file is not None and r.file.file_id == "doc-gleb" for r in opened)  # same messenger
    assert "bkh|" not in " ".join(payloads(opened)) and "bkx|" not in " ".join(payloads(opened))
    assert "нет" in texts(await press(chat, "ann", f"bk|o|{team_a}|-|-|-|0")).lower()  # «в банке нет»
    by_line = texts(await press(chat, "ann", "bk|parents|-|-|0"))
    assert "1 работа" in by_line and "Команда B" in by_line
    choices = await press(chat, "ann", "bk|f|l|-|-|-|0")
    assert "bk|lessons|-|-|0" in payloads(choices)

    # a tutor marks their own team's work exemplary; not another team's
    assert "своих команд" in texts(await press(chat, "tom", f"bkx|{team_b}"))
    assert "образцовая" in texts(await press(chat, "tina", f"bkx|{team_b}"))
    assert "⭐" in texts(await chat.say("/bank", "ann"))

    # a coordinator hides the video; interns no longer see it; an intern cannot hide
    assert "доступна только" in texts(await press(chat, "ann", f"bkh|{video}"))
    assert "скрыта" in texts(await press(chat, "alice", f"bkh|{video}"))
    assert "1 работа" in texts(await chat.say("/bank", "ann"))
    assert "нет" in texts(await press(chat, "ann", f"bk|o|{video}|-|-|-|0")).lower()

    # the export's bank sheet: published works (the hidden one flagged), never the declined
    reply = (await chat.say("/export", "alice"))[-1]
    book = load_workbook(io.BytesIO(reply.file.data or b""))  # type: ignore[union-attr]
    rows = [list(r) for r in book["Банк решений"].iter_rows(values_only=True)]
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert header[0] == "ID" and sorted(r["ID"] for r in body) == sorted([team_b, video])
    by_id = {r["ID"]: r for r in body}
    assert by_id[team_b]["Авторы"] == "Глебов Глеб Петрович, Данилова Дина Ильинична"
    assert by_id[team_b]["Образцовая"] == "да" and by_id[video]["Скрыта"] == "да"
    assert by_id[team_b]["Направление"] == "Работа с родителями"

    # dina's erasure: her video leaves the bank, her name leaves the team's work
    await chat.say("/forget", "dina")
    await press(chat, "dina", "fg|ask")
    await tick(chat)
    erase = [p for p in payloads(chat.new("alice")) if p.startswith("fgc|") and p.endswith("|ok")]
    await press(chat, "alice", erase[-1])
    async with s.db.read() as conn:
        assert await bank.get(conn, video) is None
        assert ids["dina"] not in await bank.named_authors(conn, team_b)
    shown = texts(await press(chat, "ann", f"bk|o|{team_b}|-|-|-|0"))
    assert "Глебов Глеб Петрович" in shown and "Данилова" not in shown

    # a second cohort on the same database finds the first cohort's bank
    await chat.app.stop()
    later = parse_programme(BUNDLED.read_text(encoding="utf-8").replace(
        'starts_at: "2026-12-01 09:00"', 'starts_at: "2027-03-01 09:00"', 1))
    app, chat2 = await make_chat(settings, clock, programme=later)
    try:
        await seed_intern(app, "newcomer")
        listing = texts(await chat2.say("/bank", "newcomer"))
        assert "1 работа" in listing and "Команда B" in listing and "2026-12-01" in listing
    finally:
        await app.stop()


async def test_bank_pages(chat: ConsoleChat, clock: FakeClock) -> None:
    """Twelve works: five a page, buttons forward and back, the last page has no «next»."""
    app = chat.app
    pid = await seed_intern(app, "reader")
    now = clock.now()
    async with app.s.db.transaction() as conn:
        for n in range(12):
            entry = await bank.create(
                conn, submission_id=1000 + n, programme_id="p", cohort="p 2026-01-01", topic="Тема",
                stage_id="video", title=f"Работа {n:02d}", level="modify",
                items=[{"kind": "text", "text": f"текст {n}"}], submitter_id=pid, team_name=None,
                authors=[pid], now=now)
            assert entry is not None
            await bank.answer(conn, entry, pid, True, now)
    first = await chat.say("/bank", "reader")
    assert "12 работ (стр. 1 из 3)" in first[0].text
    assert "bk|-|-|-|1" in payloads(first) and "bk|-|-|-|-1" not in payloads(first)
    second = await press(chat, "reader", "bk|-|-|-|1")
    assert "стр. 2 из 3" in second[0].text and {"bk|-|-|-|0", "bk|-|-|-|2"} <= set(payloads(second))
    last = await press(chat, "reader", "bk|-|-|-|2")
    assert "стр. 3 из 3" in last[0].text and "bk|-|-|-|3" not in payloads(last)
    assert sum(1 for p in payloads(last) if p.startswith("bk|o|")) == 2
    by_level = await press(chat, "reader", "bk|-|modify|-|0")
    assert "Модификация шаблона" in by_level[0].text
    assert "работ с такими условиями" in (await press(chat, "reader", "bk|-|author|-|0"))[0].text
    assert "уже не работает" in texts(await press(chat, "reader", "bk|nonsense"))
