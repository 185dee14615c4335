"""A realistic cohort written straight into a fresh database, for benchmarks that need volume.

Rows look like what the bot itself writes after an application season: each intern
has a person, a Telegram or VK account, the intern role, an approved application
with answers, the submitted application form, a team, and the survey half-way
through for half of them. Bulk SQL, because the figures measure the bot holding and
serving this data, not how long it took the bot to collect it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from bot.clock import FakeClock, to_iso
from storage.db import Database

TEAM_SIZE = 5
TUTOR_EVERY = 50
PLATFORMS = ("vk", "telegram", "max")
"""A third of the people on each messenger, so the memory figure includes all three adapters at work."""
"""One tutor per 50 persons (ten teams each)."""


async def migrate(path: Path) -> None:
    db = Database(path)
    await db.open()
    await db.close()


def seed(path: Path, persons: int) -> dict[str, int]:
    """Create `persons` persons (interns and their tutors); return the row counts."""
    asyncio.run(migrate(path))
    stamp = to_iso(FakeClock().now())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    tutors = [n for n in range(1, persons + 1) if n % TUTOR_EVERY == 0]
    interns = [n for n in range(1, persons + 1) if n % TUTOR_EVERY != 0]
    conn.executemany(
        "INSERT INTO persons(id, full_name, email, locale, timezone, created_at)"
        " VALUES (?, ?, ?, 'ru', 'Europe/Moscow', ?)",
        ((n, f"Иванова Мария Петровна {n}", f"teacher{n}@school.example.ru", stamp)
         for n in range(1, persons + 1)),
    )
    conn.executemany(
        "INSERT INTO accounts(person_id, platform, user_ref, chat_ref, display_name, language_code,"
        " created_at, last_seen_at) VALUES (?, ?, ?, ?, 'Мария', 'ru', ?, ?)",
        ((n, PLATFORMS[n % 3], str(10**8 + n), str(10**8 + n), stamp, stamp)
         for n in range(1, persons + 1)),
    )
    conn.executemany(
        "INSERT INTO roles(person_id, role, granted_at) VALUES (?, ?, ?)",
        [(n, "intern", stamp) for n in interns] + [(n, "tutor", stamp) for n in tutors],
    )
    answers = {
        "full_name": "Иванова Мария Петровна", "email": "teacher@school.example.ru",
        "organisation": "МБОУ «Средняя общеобразовательная школа № 5» г. Казани",
        "position": "Учитель начальных классов", "region": "Казань, Республика Татарстан",
        "timezone": "Europe/Moscow", "consent": True,
    }
    body = json.dumps(answers, ensure_ascii=False)
    conn.executemany(
        "INSERT INTO applications(person_id, status, answers, created_at, decided_at)"
        " VALUES (?, 'approved', ?, ?, ?)",
        ((n, body, stamp, stamp) for n in interns),
    )
    conn.executemany(
        "INSERT INTO form_progress(person_id, form_id, status, step, answers, started_at,"
        " updated_at, submitted_at) VALUES (?, 'application', 'submitted', 6, ?, ?, ?, ?)",
        ((n, body, stamp, stamp, stamp) for n in interns),
    )
    survey = json.dumps(
        {"audience_feedback": "Коллеги попросили провести семинар ещё раз.", "satisfaction": 4,
         "goals_achieved": "partly"}, ensure_ascii=False,
    )
    halfway = interns[::2]
    conn.executemany(
        "INSERT INTO form_progress(person_id, form_id, status, step, answers, started_at,"
        " updated_at) VALUES (?, 'reflection', 'in_progress', 3, ?, ?, ?)",
        ((n, survey, stamp, stamp) for n in halfway),
    )
    conn.executemany(
        "INSERT INTO dialog_state(person_id, kind, ref, data, updated_at)"
        " VALUES (?, 'form', 'reflection', '{}', ?)",
        ((n, stamp) for n in halfway),
    )
    conn.executemany(
        "INSERT INTO stage_status(person_id, stage_id, status, updated_at)"
        " VALUES (?, 'application', 'accepted', ?)",
        ((n, stamp) for n in interns),
    )
    teams = [interns[i:i + TEAM_SIZE] for i in range(0, len(interns), TEAM_SIZE)]
    for number, members in enumerate(teams, start=1):
        tutor = tutors[(number - 1) // 10 % len(tutors)] if tutors else None
        conn.execute(
            "INSERT INTO teams(id, name, tutor_id, created_at) VALUES (?, ?, ?, ?)",
            (number, f"Команда {number}", tutor, stamp),
        )
        conn.executemany(
            "INSERT INTO team_members(person_id, team_id, joined_at) VALUES (?, ?, ?)",
            ((m, number, stamp) for m in members),
        )
    conn.execute("COMMIT")
    counts = {
        table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("persons", "accounts", "applications", "form_progress", "teams")
    }
    conn.close()
    return counts
