-- What a message is about, as app::notify::Kind lists it: a writer with a
-- misspelt kind fails at once instead of leaving a row no reader understands
-- (the workers read kinds strictly). Keep the two lists and Kind in step.
ALTER TABLE deliveries ADD CONSTRAINT deliveries_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
    'missed', 'missed_again', 'late_update', 'unreachable', 'reminder', 'test',
    'acknowledged', 'checked_in', 'checked_in_late', 'schedule_changed', 'paused',
    'pause_ended', 'sms_verify', 'phone_verified', 'sms_stopped',
    'billing_trial_started', 'billing_paid', 'billing_payment_failed',
    'billing_frozen', 'billing_disputed', 'billing_now_free', 'billing_canceled',
    'billing_resumed', 'billing_warning'));
