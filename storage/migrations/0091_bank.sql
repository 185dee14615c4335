-- The bank of solutions: accepted work its authors let the next cohorts see. Rows are
-- never tied to a cohort's lifetime: a later run of the programme on this database
-- reads them. `items` are as submitted (text, links, messenger file references with
-- the messenger they came from).
CREATE TABLE bank_entries (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL UNIQUE,
    programme_id TEXT NOT NULL,
    cohort TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    stage_id TEXT NOT NULL,
    title TEXT NOT NULL,
    line TEXT,
    level TEXT,
    items TEXT NOT NULL,
    submitter_id INTEGER NOT NULL,
    team_name TEXT,
    state TEXT NOT NULL DEFAULT 'asking' CHECK (state IN ('asking', 'published', 'declined')),
    exemplary INTEGER NOT NULL DEFAULT 0,
    exemplary_by INTEGER,
    hidden INTEGER NOT NULL DEFAULT 0,
    hidden_by INTEGER,
    created_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX bank_entries_shown ON bank_entries(state, hidden, line, level);
-- Each author's answer to "may it join the bank?": asked once, answered once.
CREATE TABLE bank_authors (
    entry_id INTEGER NOT NULL REFERENCES bank_entries(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL,
    consent TEXT NOT NULL DEFAULT 'asked' CHECK (consent IN ('asked', 'yes', 'no')),
    answered_at TEXT,
    PRIMARY KEY (entry_id, person_id)
);
CREATE INDEX bank_authors_person ON bank_authors(person_id);
