-- Alerts first (issue 16): a worker claims the alerts about a missed check-in,
-- their repeat and the "all is well" update after them before anything else in
-- the queue (confirmations, reminders, test alerts, account and billing notices),
-- so a backlog of those never delays an alarm. 0 = about a miss, 1 = the rest.
-- Generated from the kind, so no writer can forget it.
ALTER TABLE deliveries ADD COLUMN priority smallint NOT NULL
    GENERATED ALWAYS AS (CASE WHEN kind IN ('missed', 'missed_again', 'late_update') THEN 0 ELSE 1 END) STORED;
CREATE INDEX deliveries_due_by_priority ON deliveries (priority, next_attempt_at) WHERE status = 'pending';
