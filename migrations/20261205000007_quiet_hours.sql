-- Issue 22: quiet hours, per person (e.g. 21:00-08:00 in their own zone). Quiet
-- confirmations and notices wait until they end; missed-check-in alerts, their
-- updates and reminders never wait.
ALTER TABLE users
    ADD COLUMN quiet_from time,
    ADD COLUMN quiet_to time,
    ADD CONSTRAINT users_quiet_hours CHECK (
        (quiet_from IS NULL AND quiet_to IS NULL)
        OR (quiet_from IS NOT NULL AND quiet_to IS NOT NULL AND quiet_from <> quiet_to));

-- When a message written at `now` for someone with quiet hours `qfrom`-`qto` in
-- `zone` may go: `now`, or the end of the quiet hours it falls in (a window may
-- cross midnight). Mirrors notify::rules::QuietHours::waits_until.
CREATE FUNCTION quiet_end(now timestamptz, zone text, qfrom time, qto time) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN zone IS NULL OR qfrom IS NULL OR qto IS NULL THEN now
        WHEN NOT (CASE WHEN qfrom < qto THEN l::time >= qfrom AND l::time < qto
                       ELSE l::time >= qfrom OR l::time < qto END) THEN now
        WHEN l::time < qto THEN (l::date + qto) AT TIME ZONE zone
        ELSE (l::date + 1 + qto) AT TIME ZONE zone
    END
    FROM (SELECT now AT TIME ZONE zone AS l) s
$$;
