-- The check-in (SPEC §5). All the SQL that reads or writes these tables lives in
-- app/src/checkin/store.rs.

-- The person's own time zone (IANA), as their browser last reported it: used to
-- show a Contact the time "your time".
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- A Member's schedule. `next_deadline` is the deadline the detector watches (a UTC
-- instant, indexed), so that finding who is due never evaluates time zones row by row.
CREATE TABLE schedules (
    member_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    deadline            time NOT NULL CHECK (date_trunc('minute', deadline) = deadline),
    time_zone           text NOT NULL,
    reminder_on         boolean NOT NULL DEFAULT true,
    reminder_lead_min   smallint NOT NULL DEFAULT 60 CHECK (reminder_lead_min IN (15, 30, 60)),
    grace_min           smallint NOT NULL DEFAULT 15 CHECK (grace_min IN (0, 15, 30, 60)),
    next_deadline       timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX schedules_by_next_deadline ON schedules (next_deadline);

-- One check-in per Member per local day: the database says so, not only the code.
CREATE TABLE checkins (
    id                  uuid PRIMARY KEY,
    member_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_day           date NOT NULL,
    checked_in_at       timestamptz NOT NULL,
    deadline_at         timestamptz NOT NULL,
    late                boolean NOT NULL,
    source              text NOT NULL CHECK (source IN ('web', 'sms', 'push')),
    UNIQUE (member_id, local_day)
);

-- "I'm away": no check-in expected on these days (first and last included).
CREATE TABLE pauses (
    id                  uuid PRIMARY KEY,
    member_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_day           date NOT NULL,
    last_day            date NOT NULL,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL,
    canceled_at         timestamptz,
    CHECK (last_day >= first_day),
    CHECK (last_day - first_day < 90)
);
CREATE INDEX pauses_by_member ON pauses (member_id, last_day) WHERE canceled_at IS NULL;

-- The in-app notification list, and the requests the delivery workers (the
-- alerts issue) send by each Contact's channels.
CREATE TABLE notifications (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'checked_in', 'checked_in_late', 'schedule_changed', 'paused', ...
    kind                text NOT NULL,
    -- The Member it is about, if any.
    about_id            uuid REFERENCES users (id) ON DELETE CASCADE,
    body                text NOT NULL,
    link                text,
    created_at          timestamptz NOT NULL,
    read_at             timestamptz
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at DESC);
