-- Limits on what sends or costs (issue 17) read how often a person was told of a
-- kind lately: test alerts per hour, and the like.
CREATE INDEX deliveries_by_recipient_kind ON deliveries (recipient_id, kind, created_at);

-- PIN guesses since the last good log-in, however slow (20 turn PIN log-in off),
-- and when the guard last changed (an address without an account forgets it).
ALTER TABLE pin_guard
    ADD COLUMN strikes int NOT NULL DEFAULT 0,
    ADD COLUMN touched_at timestamptz NOT NULL DEFAULT now();

-- Reminder tokens are now made when the push is sent (from the reminder's id and
-- the server's key): none may stay in the outbox.
UPDATE deliveries SET payload = payload - 'token' WHERE payload ? 'token';

-- Texts asking a number to reply YES, for the per-person and per-number caps.
CREATE TABLE phone_verify_texts (
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    number              text NOT NULL,
    at                  timestamptz NOT NULL
);
CREATE INDEX phone_verify_texts_by_user ON phone_verify_texts (user_id, at);
CREATE INDEX phone_verify_texts_by_number ON phone_verify_texts (number, at);

-- The site-wide count of failed PIN log-ins in the last minute.
CREATE INDEX pin_failures_by_time ON pin_failures (failed_at);

-- Invitations count against the sender's address too.
ALTER TABLE ip_attempts DROP CONSTRAINT ip_attempts_action_check;
ALTER TABLE ip_attempts ADD CONSTRAINT ip_attempts_action_check
    CHECK (action IN ('login', 'code', 'invite'));
