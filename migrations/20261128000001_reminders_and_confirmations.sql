-- Member reminders and each Contact's choice of check-in confirmations (SPEC §5,
-- §6). The SQL that reads or writes these lives in app/src/alerts/store.rs.

-- "Every check-in" (true) or "only when something is wrong" (false), and by which
-- channels; the default is every check-in, by web push only. Missed alerts and
-- late updates do not read these: they always go out.
ALTER TABLE users
    ADD COLUMN confirm_every    boolean NOT NULL DEFAULT true,
    ADD COLUMN confirm_channels text[] NOT NULL DEFAULT ARRAY['push']::text[]
        CHECK (confirm_channels <@ ARRAY['email', 'push', 'sms']::text[]);

-- One reminder per Member per deadline, claimed like a miss: whoever inserts the
-- row sends it. A row is written also when nothing was sent (already checked in,
-- paused, no device), so the detector does not look at that deadline again.
CREATE TABLE reminders (
    id              uuid PRIMARY KEY,
    member_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deadline_at     timestamptz NOT NULL,
    local_day       date NOT NULL,
    sent            boolean NOT NULL,
    -- SHA-256 (hex) of the token in the push, which lets "I'm OK" on the
    -- notification check the Member in that day without opening the app.
    token_hash      text UNIQUE,
    created_at      timestamptz NOT NULL,
    UNIQUE (member_id, deadline_at)
);
