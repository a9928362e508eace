-- Issue 23: calls. A call is one more channel of the delivery engine ('call':
-- leased, retried, in the trail like any other), for three kinds: a Member's
-- daily check-in call, the call confirming her number for it, and (for a
-- Contact who chose it) a missed check-in alert that rings.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check
    CHECK (channel IN ('email', 'push', 'sms', 'call'));

-- A Contact's choice: be called (as well) when someone misses a check-in.
ALTER TABLE users ADD COLUMN call_alerts boolean NOT NULL DEFAULT false;

-- A Member's daily check-in call: at `call_at` (her check-ins' zone) to
-- `number`, once it is confirmed (her confirmed mobile is; another number, a
-- landline, by answering a call and pressing 1). `next_call_at` is when the
-- call pass places the next one, `next_try` which of the day's tries it is;
-- both are moved forward when a call is written (never waiting on Twilio's
-- callback, so a lost callback cannot stop the calls).
CREATE TABLE daily_calls (
    member_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    number         text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{6,14}$'),
    call_at        time NOT NULL CHECK (date_trunc('minute', call_at) = call_at),
    retry_minutes  smallint NOT NULL DEFAULT 10 CHECK (retry_minutes BETWEEN 5 AND 30),
    tries          smallint NOT NULL DEFAULT 2 CHECK (tries BETWEEN 1 AND 3),
    confirmed_at   timestamptz,
    next_call_at   timestamptz,
    next_try       smallint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX daily_calls_due ON daily_calls (next_call_at) WHERE confirmed_at IS NOT NULL;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_kind_known;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask', 'weekly_summary',
    'daily_call', 'call_confirm',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_known;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'alert_closed', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped', 'helper_ask', 'weekly_summary',
    'daily_call', 'call_confirm',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
