-- Issue 21: helpers without an account. A neighbour or key holder can be a step
-- of a Member's escalation without signing up: they are texted once to agree
-- (YES), texted when their step comes, and their "1" counts as "I'm on it".
-- STOP from their number ends it. The Member sees everyone on her list.
CREATE TABLE helpers (
    id          uuid PRIMARY KEY,
    member_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 255),
    number      text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    -- Their place in the order (1-5, like connections.alert_step); NULL: the last step.
    alert_step  smallint CHECK (alert_step BETWEEN 1 AND 5),
    -- asked: texted, no answer yet; agreed: replied YES; stopped: replied STOP;
    -- removed: taken off the list (kept, so the texts asking them still count
    -- against the limits if they are added again).
    status      text NOT NULL DEFAULT 'asked' CHECK (status IN ('asked', 'agreed', 'stopped', 'removed')),
    added_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    added_at    timestamptz NOT NULL,
    answered_at timestamptz,
    -- They replied STOP (kept when they are taken off the list: a number that
    -- said STOP is never asked again; START clears it).
    stopped_at  timestamptz,
    UNIQUE (member_id, number)
);
CREATE INDEX helpers_by_number ON helpers (number);

-- A delivery goes to a person with an account or to a helper, never both.
-- (NOT VALID: every existing row has a recipient; new rows are checked.)
ALTER TABLE deliveries
    ALTER COLUMN recipient_id DROP NOT NULL,
    ADD COLUMN helper_id uuid REFERENCES helpers (id) ON DELETE CASCADE,
    ADD CONSTRAINT deliveries_one_recipient
        CHECK (num_nonnulls(recipient_id, helper_id) = 1) NOT VALID;
CREATE INDEX deliveries_by_helper ON deliveries (helper_id) WHERE helper_id IS NOT NULL;

-- "I'm on it" from a helper's text: who, when no account said it.
ALTER TABLE misses ADD COLUMN acknowledged_helper uuid REFERENCES helpers (id) ON DELETE SET NULL;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_known;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_known;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
