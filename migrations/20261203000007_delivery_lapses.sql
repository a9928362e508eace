-- How many times in a row a delivery's worker took it and never answered (its
-- lease ran out: a crash, a kill, a send that hung the process). A worker's
-- claim fails a row that lapsed this often instead of taking it again, so one
-- poisoned row cannot crash every process forever; an answered try resets it.
ALTER TABLE deliveries ADD COLUMN lapses integer NOT NULL DEFAULT 0;
