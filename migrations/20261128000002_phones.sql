-- Mobile numbers for text messages (SPEC §3, §6). All the SQL that reads or writes
-- these lives in app/src/phones/store.rs.

-- One number per person and one owner per number, in E.164. Only a verified
-- number gets alerts and reminders.
CREATE TABLE phones (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    number              text NOT NULL UNIQUE CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    status              text NOT NULL
                        CHECK (status IN ('pending', 'verified', 'opted_out', 'unusable')),
    -- A Member's choice of a text reminder before their deadline.
    sms_reminders       boolean NOT NULL DEFAULT false,
    added_at            timestamptz NOT NULL,
    -- The one reminder to reply YES, 24 hours after the first text.
    verify_reminded_at  timestamptz,
    verified_at         timestamptz
);
CREATE INDEX phones_waiting_for_yes ON phones (added_at)
    WHERE status = 'pending' AND verify_reminded_at IS NULL;

-- Inbound texts already handled, by Twilio's message id: Twilio may deliver a
-- webhook more than once, and a repeat must change nothing.
CREATE TABLE sms_inbound (
    message_sid         text PRIMARY KEY,
    received_at         timestamptz NOT NULL
);

-- What the provider last said about a sent delivery (Twilio's status callbacks:
-- queued, sent, delivered, undelivered, failed).
ALTER TABLE deliveries ADD COLUMN provider_status text;
CREATE INDEX deliveries_by_provider_id ON deliveries (provider_id) WHERE provider_id IS NOT NULL;
