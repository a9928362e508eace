-- Issue 22: the weekly summary: each Member's week (on time, late, missed,
-- paused) in one email to each Contact who wants it (on by default), Monday
-- from 8 AM in the Contact's own zone. One row per Contact and week: sent once.
ALTER TABLE users ADD COLUMN weekly_summary boolean NOT NULL DEFAULT true;
CREATE TABLE weekly_summaries (
    contact_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week_start  date NOT NULL,
    sent_at     timestamptz NOT NULL,
    PRIMARY KEY (contact_id, week_start)
);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_known;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask', 'weekly_summary',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_known;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask', 'weekly_summary',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
