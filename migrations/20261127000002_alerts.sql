-- Missed check-ins and the delivery outbox (SPEC §6). All the SQL that reads or
-- writes these tables lives in app/src/alerts/store.rs.

-- One row per Member per local day that was missed: the claim. Whoever inserts it
-- (any server process) owns the alert; everyone else's insert does nothing.
CREATE TABLE misses (
    id                  uuid PRIMARY KEY,
    member_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_day           date NOT NULL,
    deadline_at         timestamptz NOT NULL,
    detected_at         timestamptz NOT NULL,
    acknowledged_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_at     timestamptz,
    -- Set once when nobody acknowledged within 30 minutes and everyone was alerted again.
    realerted_at        timestamptz,
    UNIQUE (member_id, local_day)
);
CREATE INDEX misses_waiting_for_ack ON misses (detected_at)
    WHERE acknowledged_at IS NULL AND realerted_at IS NULL;

-- The outbox: one row per message per recipient per channel. A worker claims rows
-- with FOR UPDATE SKIP LOCKED and a lease; a row is marked sent only after the
-- provider accepted it, so a crash mid-send leaves it to be sent again when the
-- lease runs out.
CREATE TABLE deliveries (
    id                  uuid PRIMARY KEY,
    recipient_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    member_id           uuid REFERENCES users (id) ON DELETE CASCADE,
    miss_id             uuid REFERENCES misses (id) ON DELETE CASCADE,
    -- 'missed', 'missed_again', 'late_update', 'checked_in'
    kind                text NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'push', 'sms')),
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL,
    lease_until         timestamptz,
    last_error          text,
    provider_id         text,
    -- What to say: names and times already written for this recipient.
    payload             jsonb NOT NULL,
    created_at          timestamptz NOT NULL,
    sent_at             timestamptz
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_by_miss ON deliveries (miss_id);

-- Web push subscriptions, one per browser; deleted when the push service says the
-- subscription is gone (404/410).
CREATE TABLE push_subscriptions (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint            text NOT NULL UNIQUE,
    p256dh              text NOT NULL,
    auth                text NOT NULL,
    created_at          timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- Settings the server makes for itself once (the VAPID key when none is configured).
CREATE TABLE server_settings (
    key                 text PRIMARY KEY,
    value               text NOT NULL
);
