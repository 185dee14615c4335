-- Retention: finished outbox rows whose body still holds the message, oldest first.
-- Partial, so the index shrinks as the retention job blanks bodies, and the job's
-- hourly look costs nothing once the backlog is done.
CREATE INDEX outbox_unblanked ON outbox(created_at)
    WHERE status IN ('sent', 'failed', 'unreachable', 'cancelled') AND body != '{"text": ""}';
