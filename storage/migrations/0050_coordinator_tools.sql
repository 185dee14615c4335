-- One-time invitations to a role: a coordinator hands out a code (or a Telegram deep
-- link carrying it); the first person to use it before it expires gets the role.
CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('tutor', 'coordinator')),
    created_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    used_at TEXT
);

-- A coordinator's broadcast: the template, who it goes to and when. Each recipient's
-- message is an outbox row keyed `bc:<id>:<person>`, written in batches in person-id
-- order (`cursor` is the last person written), so a large broadcast never holds the
-- database for long, a restart resumes where it stopped, and the delivery report is a
-- count over those keys. draft -> queued (confirmed) -> sent (all rows written) -> done
-- (reported); a draft or a queued one can be cancelled.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    audience TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'queued', 'sent', 'done', 'cancelled')),
    send_at TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    recipients INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    reported_at TEXT
);
CREATE INDEX broadcasts_status ON broadcasts(status);
