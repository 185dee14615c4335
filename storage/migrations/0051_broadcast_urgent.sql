-- An urgent broadcast goes out at once to everybody; any other waits out each
-- recipient's quiet hours (their local night) like every other non-urgent message.
ALTER TABLE broadcasts ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
