-- Issue 21: an alert that escalates in the order the family chose, repeats until
-- someone responds (up to a chosen count), and that a Contact can close.

-- Each miss walks its Member's escalation: `step` is the last step told (1 at
-- the first alert), `repeats` the repeat alerts sent, `next_step_at` when the
-- next step or repeat is due (NULL: nothing more; cleared when someone responds,
-- the Member checks in, or the alert is closed).
ALTER TABLE misses
    ADD COLUMN step smallint NOT NULL DEFAULT 1,
    ADD COLUMN repeats smallint NOT NULL DEFAULT 0,
    ADD COLUMN next_step_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN closed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN close_outcome text CHECK (close_outcome IN ('fine', 'hospital', 'other')),
    ADD COLUMN close_note text CHECK (char_length(close_note) <= 500);

-- Open misses keep their one repeat under the new rule; those already repeated
-- are counted.
UPDATE misses SET repeats = 1 WHERE realerted_at IS NOT NULL;
UPDATE misses SET next_step_at = detected_at + interval '30 minutes'
    WHERE realerted_at IS NULL AND acknowledged_at IS NULL AND resolved_at IS NULL;

CREATE INDEX misses_next_step ON misses (next_step_at) WHERE next_step_at IS NOT NULL;
DROP INDEX IF EXISTS misses_waiting_for_ack_open;

-- A Member's escalation: with no row, or gap_min NULL, everyone is alerted at
-- once. Otherwise Contacts are told step by step (connections.alert_step), the
-- next step gap_min minutes after the one before unless someone responded; the
-- last step tells everyone not yet told. Repeats every 30 minutes after that.
CREATE TABLE escalations (
    member_id   uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    gap_min     smallint CHECK (gap_min BETWEEN 5 AND 60),
    repeats     smallint NOT NULL DEFAULT 4 CHECK (repeats BETWEEN 0 AND 10),
    updated_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL
);
ALTER TABLE connections ADD COLUMN alert_step smallint CHECK (alert_step BETWEEN 1 AND 5);

-- Closing an alert tells every Contact.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_known;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_known;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));

-- The "If I miss a check-in" plan: written by the Member (or a Contact she lets),
-- read by her active Contacts on the alert. Sensitive: never logged, exported,
-- purged with her account (CASCADE), each Contact's view audited.
CREATE TABLE plans (
    member_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    address           text NOT NULL DEFAULT '' CHECK (char_length(address) <= 300),
    access            text NOT NULL DEFAULT '' CHECK (char_length(access) <= 300),
    key_holder        text NOT NULL DEFAULT '' CHECK (char_length(key_holder) <= 100),
    key_holder_phone  text NOT NULL DEFAULT '' CHECK (char_length(key_holder_phone) <= 40),
    neighbours        text NOT NULL DEFAULT '' CHECK (char_length(neighbours) <= 500),
    doctor            text NOT NULL DEFAULT '' CHECK (char_length(doctor) <= 300),
    health            text NOT NULL DEFAULT '' CHECK (char_length(health) <= 1000),
    pets              text NOT NULL DEFAULT '' CHECK (char_length(pets) <= 300),
    notes             text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 1000),
    -- She lets her Contacts write it too (she sees every change).
    contacts_may_edit boolean NOT NULL DEFAULT false,
    updated_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at        timestamptz NOT NULL
);
