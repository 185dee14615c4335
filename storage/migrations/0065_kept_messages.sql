-- What a person wrote outside any dialog (a question, a photo, a voice message), kept until
-- they choose with one tap to send it to their tutor (or the coordinators) or not to:
-- nothing a person types is lost, and nobody is asked to type it again.
CREATE TABLE kept_messages (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    platform TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    file TEXT,
    state TEXT NOT NULL DEFAULT 'kept' CHECK (state IN ('kept', 'sent', 'dropped')),
    ticket_id INTEGER,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX kept_messages_waiting ON kept_messages(person_id) WHERE state = 'kept';
