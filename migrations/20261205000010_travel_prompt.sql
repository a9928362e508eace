-- Issue 22: travel. When the Member's browser reports a time zone other than
-- her schedule's, she is asked once whether to use it for her check-ins while
-- she is away; this is the zone she was last asked about (not asked again for
-- it, whatever she answered).
ALTER TABLE schedules ADD COLUMN travel_asked_zone text;
