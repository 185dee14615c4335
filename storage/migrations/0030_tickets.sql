-- Questions from interns to their tutor (issue 5). A ticket is assigned to one person
-- (the team's tutor, or whoever a coordinator reassigned it to); coordinators see all.
-- Status: open (waiting to be taken) -> taken -> answered -> closed, or escalated
-- (coordinators were told) from open/taken.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    intern_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
    tutor_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    status TEXT NOT NULL
        CHECK (status IN ('open', 'taken', 'answered', 'closed', 'escalated')),
    stage_id TEXT,
    step TEXT,
    question TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    -- the "not taken" clock runs from the (re)assignment, the "not answered" clock from
    -- the intern's oldest unanswered message; NULL when nothing waits for an answer
    assigned_at TEXT NOT NULL,
    waiting_since TEXT,
    taken_at TEXT,
    first_answer_at TEXT,
    closed_at TEXT,
    escalated_at TEXT,
    escalation_reason TEXT,
    -- bumped on every escalation, so each one gets its own idempotency key
    escalations INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tickets_status ON tickets(status, created_at);
CREATE INDEX tickets_tutor ON tickets(tutor_id, status);
CREATE INDEX tickets_intern ON tickets(intern_id, status);

-- The conversation inside a ticket. Files are kept as the messenger's file id (and the
-- platform it is valid on), never as bytes.
CREATE TABLE ticket_messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    author_role TEXT NOT NULL CHECK (author_role IN ('intern', 'tutor', 'coordinator')),
    text TEXT NOT NULL DEFAULT '',
    file_kind TEXT,
    file_id TEXT,
    file_name TEXT,
    file_mime TEXT,
    file_platform TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);

-- A messenger reply ("reply to this message") names the message by its id in that chat:
-- find the outbox row it was, and so the ticket (tickets' keys start with 'tk:<id>:').
CREATE INDEX outbox_message_ref ON outbox(platform, chat_ref, message_ref)
    WHERE message_ref IS NOT NULL;
