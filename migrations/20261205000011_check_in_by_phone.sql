-- Issue 23: checking in by phone: a Member calls Pruuf's number from her
-- confirmed phone and enters her PIN on the keypad.
ALTER TABLE checkins DROP CONSTRAINT checkins_source_check;
ALTER TABLE checkins ADD CONSTRAINT checkins_source_check
    CHECK (source IN ('web', 'sms', 'push', 'contact', 'phone'));
