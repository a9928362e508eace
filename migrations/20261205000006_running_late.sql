-- Issue 22: "I'm running late": today's deadline moved later once, by up to 3
-- hours, before it passes (by the Member, or a Contact who may act for her).
-- The schedule's next_deadline carries the moved time for the detector and
-- the reminders; this row keeps it to once a day and says who moved it.
CREATE TABLE late_days (
    member_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_day   date NOT NULL,
    moved_from  timestamptz NOT NULL,
    moved_to    timestamptz NOT NULL CHECK (moved_to > moved_from),
    moved_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    moved_at    timestamptz NOT NULL,
    PRIMARY KEY (member_id, local_day)
);
