-- A check-in resolves a miss (issue 16): whenever it comes after the deadline,
-- also after local midnight, when it belongs to the next day. A resolved miss
-- gets no repeat alert and no "I'm on it"; its alerts not yet handed over are
-- canceled (so no "all is well" can arrive before the alarm it answers, and no
-- alarm after it).
ALTER TABLE misses ADD COLUMN resolved_at timestamptz;
UPDATE misses m SET resolved_at = c.checked_in_at
    FROM checkins c WHERE c.member_id = m.member_id AND c.local_day = m.local_day;
CREATE INDEX misses_open ON misses (member_id, deadline_at) WHERE resolved_at IS NULL;

-- 'claimed': a worker has it in its batch but has not started sending it
-- (a check-in can still cancel it); 'sending': taken, being handed over.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'claimed', 'sending', 'sent', 'failed', 'canceled'));
DROP INDEX deliveries_leased;
CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE status IN ('claimed', 'sending');
