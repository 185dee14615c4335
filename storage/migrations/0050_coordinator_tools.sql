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
-- message is an outbox row keyed `bc:<id>:<person>`, so the delivery report is a count
-- over those keys and a repeated "send" writes nothing twice.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    audience TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'queued', 'done', 'cancelled')),
    recipients INTEGER NOT NULL DEFAULT 0,
    send_at TEXT,
    created_at TEXT NOT NULL,
    reported_at TEXT
);
CREATE INDEX broadcasts_status ON broadcasts(status);
