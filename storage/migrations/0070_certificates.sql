-- The certificate registry: one row per certificate ever issued. A corrected name gives a
-- new row that replaces the old one (status 'replaced', replaced_by its number); a revoked
-- one stays, so its number still answers /verify honestly.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE COLLATE NOCASE,
    series TEXT NOT NULL,
    seq INTEGER NOT NULL,
    person_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    programme_title TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    lang TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'replaced', 'revoked')),
    replaced_by TEXT,
    changed_at TEXT,
    changed_by INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    -- the PDF as drawn, kept once: outbox rows name it (OutFile.ref) instead of copying it
    pdf BLOB,
    UNIQUE (series, seq)
);
-- at most one valid certificate per person: a second issue cannot slip in, even twice at once
CREATE UNIQUE INDEX certificates_one_valid ON certificates(person_id) WHERE status = 'valid';
CREATE INDEX certificates_unrendered ON certificates(id) WHERE pdf IS NULL;
