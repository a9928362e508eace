-- Issue 19: the audit log becomes a keyed hash chain that nobody can rewrite.
--
-- Each entry from now on carries `seq` (its place in the chain, 1, 2, 3, ...),
-- `prev_hash` (the entry before's hash; 32 zero bytes for the first) and
-- `hash` = HMAC-SHA256(PRUUF_AUDIT_KEY, prev_hash || canonical entry), written by
-- the server under one advisory lock, so the chain never forks. The key never
-- reaches the database: a writer without it cannot make a hash that verifies.
-- All the SQL lives in app/src/audit/store.rs.

-- Who an entry is about is an opaque reference, not the account's id: the purge
-- of a deleted account deletes the user row, and with it the only link between
-- the reference and the person, so the entries become anonymous without being
-- rewritten (they cannot be: see the trigger below).
ALTER TABLE users ADD COLUMN audit_ref uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX users_by_audit_ref ON users (audit_ref);

-- The address a request came from is kept beside the chain, so that the purge
-- can erase it. The chain covers a keyed digest of it (`ip_digest`).
CREATE TABLE audit_ips (
    entry_id    bigint PRIMARY KEY REFERENCES audit_log (id),
    ip          text NOT NULL
);
INSERT INTO audit_ips (entry_id, ip) SELECT id, ip FROM audit_log WHERE ip IS NOT NULL;

ALTER TABLE audit_log ADD COLUMN actor uuid;
ALTER TABLE audit_log ADD COLUMN subject uuid;
UPDATE audit_log a SET actor = u.audit_ref FROM users u WHERE u.id = a.user_id;
DROP INDEX audit_log_by_user;
ALTER TABLE audit_log DROP COLUMN user_id;
ALTER TABLE audit_log DROP COLUMN ip;
ALTER TABLE audit_log ADD COLUMN seq bigint UNIQUE;
ALTER TABLE audit_log ADD COLUMN prev_hash bytea CHECK (octet_length(prev_hash) = 32);
ALTER TABLE audit_log ADD COLUMN hash bytea CHECK (octet_length(hash) = 32);
ALTER TABLE audit_log ADD COLUMN ip_digest bytea;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained_together
    CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
CREATE INDEX audit_log_by_actor ON audit_log (actor, at DESC) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_by_subject ON audit_log (subject, at DESC) WHERE subject IS NOT NULL;

-- Entries written before the chain existed are kept, unchained: `audit verify`
-- counts them apart. Any other entry without a place in the chain is a forgery.
INSERT INTO server_settings (key, value)
SELECT 'audit_unchained_upto', coalesce(max(id), 0)::text FROM audit_log
ON CONFLICT (key) DO NOTHING;

-- Append-only, whoever asks: UPDATE, DELETE and TRUNCATE are refused.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Each server process's heartbeat, for the admin Health page: one row per
-- process, written every few seconds; rows a day old are removed.
CREATE TABLE process_beats (
    process_id  uuid PRIMARY KEY,
    host        text NOT NULL,
    started_at  timestamptz NOT NULL,
    beat_at     timestamptz NOT NULL,
    -- Seconds since each background job of that process last finished a pass.
    jobs        jsonb NOT NULL DEFAULT '{}'::jsonb
);
