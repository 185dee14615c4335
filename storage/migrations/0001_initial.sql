-- Persons own progress; messenger accounts only point at a person, so one person
-- can later link Telegram and VK and keep one progress.
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    full_name TEXT,
    email TEXT,
    locale TEXT,
    timezone TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    user_ref TEXT NOT NULL,
    chat_ref TEXT NOT NULL,
    display_name TEXT,
    language_code TEXT,
    unreachable_at TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (platform, user_ref)
);
CREATE INDEX accounts_person ON accounts(person_id);

CREATE TABLE roles (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('intern', 'tutor', 'coordinator')),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
    answers TEXT NOT NULL,
    reason TEXT,
    decided_by INTEGER REFERENCES persons(id),
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX applications_status ON applications(status, created_at);
CREATE INDEX applications_person ON applications(person_id);

-- A form in progress or submitted: where the person stands and what they answered.
CREATE TABLE form_progress (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    form_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'review', 'submitted')),
    step INTEGER NOT NULL DEFAULT 0,
    answers TEXT NOT NULL DEFAULT '{}',
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at TEXT,
    PRIMARY KEY (person_id, form_id)
);
CREATE INDEX form_progress_status ON form_progress(form_id, status);

-- What the person is doing right now in the chat (filling a form, typing a reason...).
CREATE TABLE dialog_state (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- Updates already handled, so a messenger re-delivering one never acts twice.
CREATE TABLE processed_updates (
    platform TEXT NOT NULL,
    update_ref TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (platform, update_ref)
);

-- Every message the bot sends is written here first (with its idempotency key) in the
-- same transaction as the change that caused it, then delivered.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE,
    person_id INTEGER REFERENCES persons(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    chat_ref TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'reply',
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    message_ref TEXT,
    error TEXT
);
CREATE INDEX outbox_due ON outbox(status, not_before);
