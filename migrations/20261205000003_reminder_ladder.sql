-- Issue 21: up to three reminders per deadline (at the lead, 15 minutes before,
-- at the deadline), each claimed once.
ALTER TABLE reminders ADD COLUMN rung smallint NOT NULL DEFAULT 0 CHECK (rung BETWEEN 0 AND 2);
ALTER TABLE reminders DROP CONSTRAINT reminders_member_id_deadline_at_key;
ALTER TABLE reminders ADD CONSTRAINT reminders_one_per_rung UNIQUE (member_id, deadline_at, rung);
