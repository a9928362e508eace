-- Issue 18: a browser counts as a working way to reach someone only once a push
-- reached it (its push service took one: a test alert, a reminder, an alert).
-- Subscriptions from before this had been in use: they count from their start.
ALTER TABLE push_subscriptions ADD COLUMN confirmed_at timestamptz;
UPDATE push_subscriptions SET confirmed_at = created_at;
