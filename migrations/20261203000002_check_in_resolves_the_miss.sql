-- A check-in resolves a miss (issue 16): whenever it comes after the deadline,
-- also after local midnight, when it belongs to the next day. A resolved miss
-- gets no repeat alert and no "I'm on it"; its alerts not yet sent are canceled
-- (so no "all is well" can arrive before the alarm it answers).
ALTER TABLE misses ADD COLUMN resolved_at timestamptz;
UPDATE misses m SET resolved_at = c.checked_in_at
    FROM checkins c WHERE c.member_id = m.member_id AND c.local_day = m.local_day;
CREATE INDEX misses_open ON misses (member_id, deadline_at) WHERE resolved_at IS NULL;

ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'canceled'));
