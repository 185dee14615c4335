"""The programme loader: a good file, broken files named by field and line, the timeline."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import BUNDLED_PROGRAM, PACKAGE_ROOT
from scenarios.loader import ProgrammeError, load_programme, parse_programme
from scenarios.timeline import render_timeline

GOOD = BUNDLED_PROGRAM.read_text(encoding="utf-8")


def _break(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_good_file_and_its_moments() -> None:
    programme = parse_programme(GOOD)
    first = programme.moment(programme.events[0].starts_at)
    assert first.isoformat() == "2026-12-08T17:00:00+03:00"
    assert programme.stage("video").submission is not None
    assert programme.stage("video").submission.video.max_minutes == 15  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old", "new", "field", "needle"),
    [
        ("          kind: email\n", "          kind: emial\n", "stages.0.form.questions.1.kind",
         "kind: emial"),
        ('starts_at: "start+7d 17:00"', 'starts_at: "next tuesday"', "events.0.starts_at",
         "next tuesday"),
        ("before_event: [24h, 1h]", "before_event: [24h, soon]", "reminders.before_event.1",
         "soon"),
        ("    event: presentation\n", "    event: presentaton\n", "programme", None),
        ("  min_size: 3", "  min_size: 3\n  mix_cities: yes", "teams.mix_cities", "mix_cities"),
    ],
)
def test_broken_files_name_field_and_line(
    old: str, new: str, field: str, needle: str | None
) -> None:
    text = _break(old, new)
    with pytest.raises(ProgrammeError) as caught:
        parse_programme(text, "p.yaml")
    message = str(caught.value)
    assert field in message
    if needle is not None:
        assert f"p.yaml:{_line_of(text, needle)}:" in message


def test_unknown_event_reference_is_named() -> None:
    with pytest.raises(ProgrammeError, match="unknown event 'presentaton'"):
        parse_programme(_break("    event: presentation\n", "    event: presentaton\n"))


def test_yaml_syntax_error_has_a_line() -> None:
    text = _break("title:\n  ru: Цифровая", "title:\n  ru: [Цифровая")
    with pytest.raises(ProgrammeError, match=r"p.yaml:\d+: not valid YAML"):
        parse_programme(text, "p.yaml")


def test_missing_file() -> None:
    with pytest.raises(ProgrammeError, match="cannot read"):
        load_programme(Path("/nonexistent/programme.yaml"))


def test_timeline_is_ordered_and_complete() -> None:
    programme = parse_programme(GOOD)
    text = render_timeline(programme)
    lines = text.splitlines()[1:]
    stamps = [line[:19] for line in lines]
    assert stamps == sorted(stamps)
    assert "Встреча 1. Проблематизация и погружение" in text
    assert "срок этапа: Видеоролик мероприятия" in text
    assert "напоминание: 1h до «Встреча 3. Итоговая конференция»" in text
    # every planned reminder is listed, with when a night-time one really arrives
    assert "2026-12-14 пн 09:00    напоминание: утро дня срока «Домашнее задание команды»" in text
    # 2 days before 23:00 falls in the quiet hours: listed when it really arrives
    assert "2026-12-13 вс 08:00    напоминание: 2d до «Домашнее задание команды»" in text
    assert "2026-12-12 сб 23:00    напоминание" not in text


def test_check_program_command(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check-program"], cwd=PACKAGE_ROOT,
        capture_output=True, text=True, timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout and "Итоговая конференция" in ok.stdout
    broken = tmp_path / "p.yaml"
    broken.write_text(_break("          kind: email\n", "          kind: emial\n"), "utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "check-program", str(broken)], cwd=PACKAGE_ROOT,
        capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 1
    assert f"{broken}:{_line_of(broken.read_text('utf-8'), 'emial')}:" in bad.stderr


def test_bundled_programme_covers_the_whole_practice() -> None:
    """Every part of shared/PRACTICE.md has its stage, and the timeline shows what each brings."""
    programme = parse_programme(GOOD)
    kinds = [(s.id, s.kind) for s in programme.stages]
    assert kinds[0] == ("application", "application")
    assert [e.id for e in programme.events] == ["problematisation", "presentation", "final"]
    problematisation = programme.stage("problematisation")
    assert problematisation.event == "problematisation" and problematisation.form is not None
    homework = programme.stage("homework").submission
    assert homework is not None and homework.per == "team"
    presentation = programme.stage("presentation")
    assert len(presentation.prompts) == 8 and "3 минут" in str(presentation.announcement)
    video = programme.stage("video").submission
    assert video is not None and video.per == "person" and video.video is not None
    assert (video.video.min_minutes, video.video.max_minutes) == (10, 15)
    assert len(programme.form("reflection").questions) == 8
    assert "5 минут" in str(programme.stage("final_meeting").announcement)
    final = programme.stage("final")
    assert final.materials and final.form is not None
    assert {q.store_as for q in final.form.questions} == {"full_name", "email"}
    # the course is on the «authoring» route only, so only those interns need it
    assert programme.completion == ["application", "homework", "video", "reflection", "course"]
    assert programme.stage("course").for_levels == ["author"]
    text = render_timeline(programme)
    assert "Домашнее задание команды [homework] — работа команды (text, file, link)" in text
    assert "работа каждого (video, link), 10–15 мин" in text
    assert "вопросов-подсказок: 8" in text and "материалов: 3" in text
    assert text.splitlines()[-1].startswith("условия сертификата: Заявка, Домашнее задание команды")


def test_timeline_reminders_are_the_ones_the_bot_plans() -> None:
    """check-program shows exactly the planner's reminders, for an intern in the programme's zone."""
    from types import SimpleNamespace

    from handlers.internship.reminders import Moments, plan_for
    from scenarios.timeline import timeline

    programme = parse_programme(GOOD)
    reminded = [s for s in programme.stages if s.kind != "application" and s.deadline]
    at = Moments(
        events={e.id: programme.moment(e.starts_at) for e in programme.events},
        deadlines={s.id: programme.moment(s.deadline) for s in reminded},  # type: ignore[arg-type]
        opens={s.id: programme.moment(s.opens_at) if s.opens_at else None for s in reminded},
    )
    planned = plan_for(SimpleNamespace(programme=programme), 1, programme.zone, at,  # type: ignore[arg-type]
                       programme.start - timedelta(days=1))
    shown = [(moment, text) for moment, text in timeline(programme)
             if text.startswith(("  напоминание:", "  сигнал:")) and "молчит 7d" not in text]
    assert sorted(p.due_at for p in planned) == sorted(moment for moment, _ in shown)
    assert not any("«Заявка»" in text for _, text in shown)  # applicants get no reminders
    # A 48-hour reminder that would fall at 23:00 waits for the end of the quiet hours.
    [homework_48h] = [m for m, t in shown if "2d до «Домашнее задание команды»" in t]
    assert homework_48h.astimezone(programme.zone).strftime("%H:%M") == "08:00"
    assert any("утро дня срока «Видеоролик мероприятия»" in t for _, t in shown)
