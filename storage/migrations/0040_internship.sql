-- The internship after approval: stage openings, event absences, submissions for review,
-- and completion per person.

-- A stage opened (by its date or by a coordinator): interns are told once per stage.
CREATE TABLE stage_openings (
    stage_id TEXT PRIMARY KEY,
    opened_at TEXT NOT NULL,
    opened_by INTEGER REFERENCES persons(id) ON DELETE SET NULL
);

-- "I won't attend": the team's tutor is told, coordinators list them with /absences.
CREATE TABLE event_absences (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (person_id, event_id)
);

-- Work handed in for review. One owner per stage: a team ('t:<id>') or a person ('p:<id>');
-- every send is a new version, so the history of returns and resubmissions is kept.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    stage_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    items TEXT NOT NULL,
    minutes REAL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'returned', 'superseded')),
    comment TEXT,
    reviewed_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    reviewed_at TEXT,
    UNIQUE (stage_id, owner, version)
);
CREATE INDEX submissions_status ON submissions(stage_id, status);

-- Everything the programme requires is done: recorded once, with the criteria checked.
CREATE TABLE completions (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    completed_at TEXT NOT NULL,
    criteria TEXT NOT NULL
);
