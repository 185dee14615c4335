-- Small per-adapter positions that must survive a restart, e.g. the VK Bots Long Poll
-- `ts`: resuming from it gets the events that arrived while the bot was down.
CREATE TABLE adapter_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
