-- Shared by several features: teams and tutors, where each person stands in each stage,
-- things that need a human's attention, and coordinators' changes to the timetable.
CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    tutor_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX teams_tutor ON teams(tutor_id);

CREATE TABLE team_members (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL
);
CREATE INDEX team_members_team ON team_members(team_id);

-- One row per person and stage: open, submitted, returned, accepted, done, skipped.
-- Reminders, progress reports and certificates all read it, so each feature only has
-- to keep its own rows right.
CREATE TABLE stage_status (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    stage_id TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'submitted', 'returned', 'accepted', 'done', 'skipped')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (person_id, stage_id)
);
CREATE INDEX stage_status_stage ON stage_status(stage_id, status);

-- "Needs attention" items (overdue, silent, ...) raised once per person, kind and ref.
CREATE TABLE attention (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    UNIQUE (person_id, kind, ref)
);
CREATE INDEX attention_open ON attention(resolved_at, created_at);

-- A coordinator moved an event or a deadline: this wins over the programme file.
CREATE TABLE schedule_overrides (
    item_kind TEXT NOT NULL CHECK (item_kind IN ('event', 'deadline', 'opens')),
    item_id TEXT NOT NULL,
    moment TEXT NOT NULL,
    changed_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (item_kind, item_id)
);
