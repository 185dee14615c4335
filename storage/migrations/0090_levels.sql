-- Each intern's level from the diagnostic (scenarios/diagnostic.py): the route follows
-- `level` (the entry sitting's, or a coordinator's choice); start_* and end_* keep the
-- two sittings, so growth is measured on the same scale.
CREATE TABLE intern_levels (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id),
    level TEXT,
    start_level TEXT,
    start_score INTEGER,
    start_at TEXT,
    end_level TEXT,
    end_score INTEGER,
    end_at TEXT,
    changed_by INTEGER,
    changed_at TEXT
);
-- Every setting of a level, by whom: a sitting (by the intern) or a coordinator's change.
CREATE TABLE level_history (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL CHECK (kind IN ('start', 'end', 'set')),
    level TEXT NOT NULL,
    score INTEGER,
    by_person INTEGER,
    at TEXT NOT NULL
);
CREATE INDEX level_history_person ON level_history(person_id, id);
