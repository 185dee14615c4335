-- New applications reach coordinators as a digest (programme: coordinators.new_applications):
-- the first after a quiet spell at once with its card; the ones arriving within the next
-- window wait here and go as one message when the window closes. Windows and what they hold
-- are rows, so a restart in the middle of a window neither loses nor repeats the digest.
CREATE TABLE application_digests (
    id INTEGER PRIMARY KEY,
    opened_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    sent_at TEXT,
    sent_count INTEGER          -- applications the closing message counted (0: none left, no message)
);
CREATE INDEX application_digests_due ON application_digests(closes_at) WHERE sent_at IS NULL;

CREATE TABLE application_digest_items (
    application_id INTEGER PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    digest_id INTEGER NOT NULL REFERENCES application_digests(id) ON DELETE CASCADE
);
CREATE INDEX application_digest_items_digest ON application_digest_items(digest_id);
