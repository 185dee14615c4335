-- Reminders as data: one row per person and per thing to remind of (an event, a stage
-- deadline, a silent intern, an overdue stage), so a restart misses nothing and a
-- moved deadline only updates rows. `moment` is what the reminder is about (the event
-- start, the deadline); `due_at` is when to act, quiet hours already applied.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'deadline', 'silence', 'overdue')),
    ref TEXT NOT NULL,
    slot TEXT NOT NULL DEFAULT '',
    moment TEXT NOT NULL,
    due_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'planned'
        CHECK (state IN ('planned', 'sent', 'skipped', 'stale', 'cancelled')),
    note TEXT,
    done_at TEXT,
    UNIQUE (person_id, kind, ref, slot)
);
-- The tick reads only planned rows that are due: a partial index keeps it cheap however
-- many sent and skipped rows pile up.
CREATE INDEX reminders_due ON reminders(due_at) WHERE state = 'planned';
CREATE INDEX reminders_item ON reminders(kind, ref);

-- Who already has a plan, made for which time zone: new interns are found by their
-- absence here, and someone who gives another time zone is planned again.
CREATE TABLE reminder_plans (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    timezone TEXT,
    planned_at TEXT NOT NULL
);

-- Small named switches that must survive a restart (sending paused, last schedule change seen).
CREATE TABLE bot_flags (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

-- A message that is useless after a moment (a reminder of an event that has started) is
-- dropped instead of sent late, e.g. after a long pause or a messenger outage.
ALTER TABLE outbox ADD COLUMN expires_at TEXT;
