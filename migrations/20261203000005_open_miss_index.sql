-- Per-tick work does not grow with history (issue 16, item 10). The repeat-alert
-- query reads misses nobody acknowledged or alerted again; a miss resolved by a
-- check-in before that stayed in the old index forever, so every 3-second pass
-- walked all of them. The new index holds open misses only.
CREATE INDEX misses_waiting_for_ack_open ON misses (detected_at)
    WHERE acknowledged_at IS NULL AND realerted_at IS NULL AND resolved_at IS NULL;
DROP INDEX misses_waiting_for_ack;
