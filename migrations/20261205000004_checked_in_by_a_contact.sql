-- "I'm with her now": a Contact who is with the Member checks her in on her behalf.
-- The check-in counts like hers and says who made it. A Contact who later leaves
-- Pruuf leaves the day counted, with no name on it.
ALTER TABLE checkins ADD COLUMN checked_in_by uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE checkins DROP CONSTRAINT checkins_source_check;
ALTER TABLE checkins ADD CONSTRAINT checkins_source_check
    CHECK (source IN ('web', 'sms', 'push', 'contact'));
