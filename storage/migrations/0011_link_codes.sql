-- One-time codes that link a person's second messenger account to them (/link).
-- A code is short-lived and used once; `account_id` is where it was asked for, so
-- that account hears that the link worked.
CREATE TABLE link_codes (
    code TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX link_codes_person ON link_codes(person_id);
