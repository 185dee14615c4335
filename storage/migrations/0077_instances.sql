-- Several bot processes on one database (PostgreSQL): who is alive, who holds which role,
-- and which instance is delivering which outbox row.
CREATE TABLE instances (
    name TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

-- A role one instance at a time may play (the scheduler, polling a messenger), held
-- until `expires_at` and renewed while its holder is alive.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- A pending row being delivered by `claimed_by`; another instance takes it over only
-- once `claimed_until` has passed (its claimer died).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
