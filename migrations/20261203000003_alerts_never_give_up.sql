-- Never give up on an unresolved alert (issue 16, item 4).
-- 1. "We could not reach Tom": each Contact whose every alert about a miss failed
--    is reported to the Member's other Contacts once; this row is that "once".
CREATE TABLE unreachable_told (
    miss_id       uuid NOT NULL REFERENCES misses (id) ON DELETE CASCADE,
    recipient_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    told_at       timestamptz NOT NULL,
    PRIMARY KEY (miss_id, recipient_id)
);
-- 2. That notice is about a miss too: it goes before everything else, with the
--    alerts (the priority is generated from the kind; recreated with the new kind).
DROP INDEX deliveries_due_by_priority;
ALTER TABLE deliveries DROP COLUMN priority;
ALTER TABLE deliveries ADD COLUMN priority smallint NOT NULL
    GENERATED ALWAYS AS (CASE WHEN kind IN ('missed', 'missed_again', 'late_update', 'unreachable') THEN 0 ELSE 1 END) STORED;
CREATE INDEX deliveries_due_by_priority ON deliveries (priority, next_attempt_at) WHERE status = 'pending';
-- 3. Finding the Contacts nobody could reach: a miss's failed alerts.
CREATE INDEX deliveries_failed_alerts ON deliveries (miss_id) WHERE status = 'failed';
