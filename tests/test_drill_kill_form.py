"""Fault drill: the bot process is SIGKILLed in the middle of the application form.

A real `python -m bot run` on the console with its database in tmp; the person
resumes at the same question after a restart, with every earlier answer kept.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import APPLICATION
from tests.drills.process import BotProcess

QUESTIONS = ["full_name", "email", "organisation", "position", "region", "timezone", "consent"]


def progress(database: Path) -> tuple[str, int, dict[str, object]]:
    conn = sqlite3.connect(database)
    try:
        row = conn.execute(
            "SELECT status, step, answers FROM form_progress WHERE form_id = 'application'"
        ).fetchone()
    finally:
        conn.close()
    assert row is not None, "no application form in progress"
    return row[0], row[1], json.loads(row[2])


def test_sigkill_after_an_answer_resumes_at_the_next_question(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    bot = BotProcess(database)
    try:
        bot.send("/start")
        seen = bot.wait_for("Вопрос 1 из 7")
        for number, answer in enumerate(APPLICATION[:3], start=2):
            bot.send(answer)
            seen = bot.wait_for(f"Вопрос {number} из 7", seen)
        assert bot.kill() == -9
    finally:
        bot.close()

    status, step, answers = progress(database)
    assert (status, step) == ("in_progress", 3)
    assert answers == {"full_name": APPLICATION[0], "email": APPLICATION[1], "organisation": APPLICATION[2]}

    bot = BotProcess(database)
    try:
        bot.send("/start")
        seen = bot.wait_for("Продолжим с того места, где вы остановились.")
        seen = bot.wait_for("Вопрос 4 из 7", seen)
        assert "Вопрос 1 из 7" not in bot.output
        bot.send(APPLICATION[3], APPLICATION[4], "2", "1")
        start = bot.wait_for("Проверьте, пожалуйста, ответы", seen)
        seen = bot.wait_for("Всё верно?", start)
        summary = bot.output[start:seen]
        for answer in APPLICATION:  # the three from before the kill and the two after
            assert answer in summary
        bot.send("1")
        bot.wait_for("Заявка отправлена!", seen)
        assert bot.finish() == 0
    finally:
        bot.close()
    status, _, answers = progress(database)
    assert status == "submitted"
    assert list(answers) == QUESTIONS


def test_sigkill_at_any_moment_leaves_a_consistent_prefix(tmp_path: Path) -> None:
    """Answers are typed without waiting and the process is killed while it works through them.

    Whatever was committed is a whole prefix of the answers: the step always equals the
    number of answers kept, and a restart asks exactly the next question.
    """
    database = tmp_path / "bot.sqlite3"
    bot = BotProcess(database)
    try:
        bot.send("/start")
        seen = bot.wait_for("Вопрос 1 из 7")
        bot.send(*APPLICATION)
        bot.wait_for("Вопрос 2 из 7", seen)  # it is working through them now
        assert bot.kill() == -9
    finally:
        bot.close()

    status, step, answers = progress(database)
    assert status == "in_progress"
    assert 1 <= step <= len(APPLICATION)
    assert list(answers) == QUESTIONS[:step]
    assert list(answers.values()) == [a.lower() if "@" in a else a for a in APPLICATION[:step]]

    bot = BotProcess(database)
    try:
        bot.send("/start")
        bot.wait_for(f"Вопрос {step + 1} из 7")
        assert bot.finish() == 0
    finally:
        bot.close()
