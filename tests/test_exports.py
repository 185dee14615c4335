"""Exports: the XLSX read back with openpyxl cell by cell, CSV, the CLI, deleted people."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from bot.cli import export_to
from bot.clock import to_iso
from bot.settings import Settings
from storage import forms, stages, submissions, teams, tickets
from storage.forms import FormProgress
from tests.cohort import make_tutor, seed_intern
from tests.conftest import ConsoleChat

SURVEY = {"audience_feedback": "Родителям понравилось", "satisfaction": 5, "goals_achieved": "yes",
          "difficulties": "Время", "tutor_help": 4, "emotions": "Отлично", "usefulness": 5,
          "will_use": "yes"}


async def _setup(chat: ConsoleChat) -> dict[str, int]:
    app = chat.app
    ids = {
        "anna": await seed_intern(app, "anna", name="Анна Смирнова", region="Казань", position="Учитель"),
        "boris": await seed_intern(app, "boris", name="Борис Орлов", region="Пермь",
                                   position="=HYPERLINK(\"x\")"),
        "gone": await seed_intern(app, "gone", name="Удалённый Человек", region="Омск"),
        "tom": await make_tutor(app, "tom"),
    }
    now = app.s.clock.now()
    async with app.s.db.transaction() as conn:
        team = await teams.create(conn, "Команда A", now, ids["tom"])
        for user in ("anna", "boris", "gone"):
            await teams.put_member(conn, team, ids[user], now)
        for stage in ("homework", "video", "reflection"):
            await stages.set_status(conn, ids["anna"], stage, "accepted", now)
        await stages.set_status(conn, ids["boris"], "homework", "returned", now)
        await stages.set_status(conn, ids["boris"], "video", "submitted", now)  # not yet reviewed
        await stages.set_status(conn, ids["boris"], "reflection", "submitted", now)  # a form: sent is done
        await stages.set_status(conn, ids["anna"], "final", "submitted", now)  # name and e-mail confirmed
        await forms.save(conn, FormProgress(ids["anna"], "reflection", "submitted", 8, SURVEY), now)
        await forms.save(conn, FormProgress(ids["gone"], "reflection", "submitted", 8,
                                            {**SURVEY, "satisfaction": 1}), now)
        owner = submissions.team_owner(team)
        first = await submissions.create(
            conn, stage_id="homework", owner=owner, team_id=team, person_id=ids["anna"], minutes=None,
            items=[{"kind": "text", "text": "План вебинара"},
                   {"kind": "link", "url": "https://disk.example.ru/plan"},
                   {"kind": "file", "kind_of": "document", "name": "plan.pdf", "file_id": "F1"}],
            now=now)
        await submissions.review(conn, first, "returned", ids["tom"], now + timedelta(hours=2),
                                 "Уточните цели")
        await submissions.create(conn, stage_id="video", owner=submissions.person_owner(ids["boris"]),
                                 team_id=None, person_id=ids["boris"], minutes=12.5, now=now,
                                 items=[{"kind": "link", "url": "https://rutube.ru/v/1"}])
        await submissions.create(conn, stage_id="video", owner=submissions.person_owner(ids["gone"]),
                                 team_id=None, person_id=ids["gone"], minutes=11, now=now,
                                 items=[{"kind": "link", "url": "https://rutube.ru/v/gone"}])
        asked = await tickets.create(conn, intern_id=ids["boris"], team_id=team, tutor_id=ids["tom"],
                                     stage_id="homework", step=None, question="Где шаблон?", now=now)
        await tickets.answered(conn, asked, now + timedelta(minutes=30))
        await tickets.create(conn, intern_id=ids["gone"], team_id=team, tutor_id=ids["tom"],
                             stage_id=None, step=None, question="Вопрос удалённого", now=now)
        await conn.execute("UPDATE persons SET deleted_at = ? WHERE id = ?", (to_iso(now), ids["gone"]))
    return ids


def _rows(book, title: str) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [list(r) for r in book[title].iter_rows(values_only=True)]


async def test_xlsx_export_cell_by_cell(chat: ConsoleChat) -> None:
    ids = await _setup(chat)
    reply = (await chat.say("/export", "alice"))[-1]
    assert "4 человека, 1 команда; к сертификату готов 1 человек" in reply.text  # with alice
    assert reply.file is not None and reply.file.name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(reply.file.data or b""))
    assert book.sheetnames == ["Участники", "Команды", "Этапы", "Анкета", "Анкета — сводка",
                               "Работы", "Обращения",
                               "Реестр сертификатов",  # numbers and statuses (issue 14)
                               "Уровни", "Отчёт", "Банк решений",  # learning paths (issue 17)
                               "Сертификаты"]  # tables of issues 6 and 5
    people = _rows(book, "Участники")
    assert people[0][:7] == ["ID", "ФИО", "E-mail", "Мессенджеры", "Роли", "Команда", "Заявка"]
    by_id = {r[0]: r for r in people[1:]}
    assert sorted(by_id) == sorted([1, ids["anna"], ids["boris"], ids["tom"]])  # 1: alice
    assert by_id[ids["anna"]][:7] == [ids["anna"], "Анна Смирнова", "anna@example.ru", "console",
                                      "Интерн", "Команда A", "одобрена"]
    assert "Казань" in by_id[ids["anna"]] and "Учитель" in by_id[ids["anna"]]
    assert "'=HYPERLINK(\"x\")" in by_id[ids["boris"]]  # a formula is kept as text
    assert by_id[ids["tom"]][:5] == [ids["tom"], None, None, "console", "Тьютор"]
    assert by_id[1][4] == "Координатор"
    assert all("Удалённый" not in str(c) for r in people for c in r)

    # the tutor never applied: named by their messenger name, as everywhere in the bot
    assert _rows(book, "Команды") == [["Команда", "Тьютор", "Участников", "Состав"],
                                      ["Команда A", "tom", 2, "Анна Смирнова, Борис Орлов"]]
    stage_rows = _rows(book, "Этапы")
    homework = stage_rows[0].index("Домашнее задание команды")
    assert stage_rows[1][homework] == "принято" and stage_rows[2][homework] == "на доработке"
    assert stage_rows[2][stage_rows[0].index("Рефлексивная анкета")] == "сдано"

    survey = _rows(book, "Анкета")
    assert len(survey) == 2 and survey[1][:4] == ["Анна Смирнова", "Команда A", "Родителям понравилось", "5"]
    assert survey[1][4] == "Да, все"
    summary = {r[0]: r[1:] for r in _rows(book, "Анкета — сводка")[1:]}
    assert list(summary["Заполнили анкету"]) == [1, None, "1 / 2"]
    satisfaction = next(v for k, v in summary.items() if k.startswith("Насколько вы довольны"))
    assert list(satisfaction) == [1, 5, "5: 1"]
    goals = next(v for k, v in summary.items() if k.startswith("Удалось ли"))
    assert list(goals) == [1, None, "Да, все: 1; Частично: 0; Нет: 0"]

    assert _rows(book, "Работы") == [
        ["№", "Этап", "Команда", "Кто отправил", "Версия", "Статус", "Содержание", "Ссылки",
         "Длительность, мин", "Комментарий тьютора", "Кто проверил", "Отправлено", "Проверено"],
        [1, "Домашнее задание команды", "Команда A", "Анна Смирнова", 1, "возвращена",
         "План вебинара\nhttps://disk.example.ru/plan\nplan.pdf", "https://disk.example.ru/plan",
         None, "Уточните цели", "tom", "01.09.2026 12:00", "01.09.2026 14:00"],
        [2, "Видеоролик мероприятия", None, "Борис Орлов", 1, "ждёт проверки", "https://rutube.ru/v/1",
         "https://rutube.ru/v/1", 12.5, None, None, "01.09.2026 12:00", None],
    ]  # the deleted person's video is left out
    assert _rows(book, "Обращения") == [
        ["№", "ФИО", "Команда", "Тьютор", "Статус", "Этап", "Вопрос", "Задан", "Первый ответ",
         "Закрыт", "Передан координаторам"],
        [1, "Борис Орлов", "Команда A", "tom", "отвечен", "Домашнее задание команды", "Где шаблон?",
         "01.09.2026 12:00", "01.09.2026 12:30", None, None],
    ]

    certificates = _rows(book, "Сертификаты")
    assert certificates[0][:2] == ["ФИО", "E-mail"] and certificates[0][-1] == "Сертификат"
    assert "Домашнее задание команды" in certificates[0] and "Рефлексивная анкета" in certificates[0]
    assert certificates[1][:2] == ["Анна Смирнова", "anna@example.ru"] and certificates[1][-1] == "да"
    assert certificates[2][0] == "Борис Орлов" and certificates[2][-1] == "нет"
    boris = dict(zip(certificates[0], certificates[2], strict=True))
    assert boris["Рефлексивная анкета"] == "да" and boris["Домашнее задание команды"] == "нет"
    assert [v for k, v in boris.items() if "видео" in str(k).lower()] == ["нет"]  # sent, not accepted
    assert certificates[0][-2] == "Данные подтверждены"
    assert (certificates[1][-2], boris["Данные подтверждены"]) == ("да", "нет")
    assert len(certificates) == 3


async def test_csv_export_in_chat_and_from_the_command_line(
    chat: ConsoleChat, settings: Settings, tmp_path: Path
) -> None:
    await _setup(chat)
    reply = (await chat.say("/export csv", "alice"))[-1]
    assert reply.file is not None and reply.file.name.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(reply.file.data or b""))
    assert sorted(archive.namelist()) == sorted(
        ["persons.csv", "teams.csv", "stages.csv", "survey.csv", "summary.csv", "submissions.csv",
         "tickets.csv", "registry.csv", "levels.csv", "report.csv", "bank.csv",
         "certificates.csv"])
    rows = list(csv.reader(io.StringIO(archive.read("certificates.csv").decode("utf-8-sig"))))
    assert rows[1][0] == "Анна Смирнова" and rows[1][-1] == "да"

    assert await export_to(settings, tmp_path / "out" / "report.xlsx") == 0
    book = load_workbook(tmp_path / "out" / "report.xlsx")
    assert book["Команды"]["A2"].value == "Команда A"
    assert await export_to(settings, tmp_path / "report.csv") == 0
    people = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    assert "Анна Смирнова" in people and "Удалённый" not in people
    assert "Команда A" in (tmp_path / "report-teams.csv").read_text(encoding="utf-8-sig")
    assert await export_to(settings, tmp_path / "report.pdf") == 2
    settings.database_path = tmp_path / "missing.sqlite3"
    settings.database_url = ""  # the SQLite file it names is missing, whatever ran above
    assert await export_to(settings, tmp_path / "again.xlsx") == 2
    assert not settings.database_path.exists() and not (tmp_path / "again.xlsx").exists()


async def test_export_refused_for_interns_and_tutors(chat: ConsoleChat) -> None:
    await _setup(chat)
    for user in ("anna", "tom"):
        reply = (await chat.say("/export", user))[-1]
        assert "только координаторам" in reply.text and reply.file is None
