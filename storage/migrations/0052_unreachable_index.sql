-- The scheduler looks for people the bot can no longer reach on every tick: only the
-- (few) unreachable accounts are indexed, so the look costs nothing with 10,000 people.
CREATE INDEX accounts_unreachable ON accounts(person_id) WHERE unreachable_at IS NOT NULL;
