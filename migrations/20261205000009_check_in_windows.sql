-- Issue 22: check-in windows. A Member has 1 to 4 check-ins a day, each with
-- its own time, optionally on some days of the week only (weekdays 09:00,
-- weekends 11:00; or 09:00 and 20:00 every day). A window is a time and a set
-- of weekdays (a bit mask: Monday 1, Tuesday 2, ... Sunday 64; every day 127).
-- On a day, its windows in time order are slots 0, 1, ...: each slot has its
-- own check-in, reminder, miss and alert.
--
-- `next_deadline` stays one indexed UTC instant per Member (the earliest open
-- window), with `next_slot` saying which of its day's windows it is: the
-- detector's cost does not grow with windows.
ALTER TABLE schedules
    ADD COLUMN window_times time[],
    ADD COLUMN window_days  smallint[],
    ADD COLUMN next_slot    smallint NOT NULL DEFAULT 0 CHECK (next_slot BETWEEN 0 AND 3);
-- Existing single-deadline schedules migrate unchanged: one window, every day.
UPDATE schedules SET window_times = ARRAY[deadline], window_days = ARRAY[127::smallint];
ALTER TABLE schedules
    ALTER COLUMN window_times SET NOT NULL,
    ALTER COLUMN window_days SET NOT NULL,
    ADD CONSTRAINT schedules_windows_shape CHECK (
        cardinality(window_times) BETWEEN 1 AND 4
        AND cardinality(window_days) = cardinality(window_times)
        AND 0 < ALL (window_days) AND 128 > ALL (window_days));
-- A schedule written with one deadline only (an older writer, a bulk load)
-- gets one window, every day, at that time.
CREATE FUNCTION schedules_one_window() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.window_times IS NULL THEN
        NEW.window_times := ARRAY[NEW.deadline];
        NEW.window_days := ARRAY[127::smallint];
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER schedules_one_window BEFORE INSERT ON schedules
    FOR EACH ROW EXECUTE FUNCTION schedules_one_window();
COMMENT ON COLUMN schedules.deadline IS 'The first window''s time (kept for readers that show one time).';

-- One check-in, one miss and one "running late" per Member per day per slot.
ALTER TABLE checkins ADD COLUMN slot smallint NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 3);
ALTER TABLE checkins DROP CONSTRAINT checkins_member_id_local_day_key;
ALTER TABLE checkins ADD CONSTRAINT checkins_one_per_slot UNIQUE (member_id, local_day, slot);

ALTER TABLE misses ADD COLUMN slot smallint NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 3);
ALTER TABLE misses DROP CONSTRAINT misses_member_id_local_day_key;
ALTER TABLE misses ADD CONSTRAINT misses_one_per_slot UNIQUE (member_id, local_day, slot);

ALTER TABLE late_days ADD COLUMN slot smallint NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 3);
ALTER TABLE late_days DROP CONSTRAINT late_days_pkey;
ALTER TABLE late_days ADD PRIMARY KEY (member_id, local_day, slot);
