-- Issue 19, after review.
-- 1. Words an admin types (a reason to reveal someone's details) may name
--    people; like client addresses they are kept beside the chain, which covers
--    a keyed digest of them (`detail.note_digest`), so the purge can erase them.
CREATE TABLE audit_notes (
    entry_id    bigint PRIMARY KEY REFERENCES audit_log (id),
    note        text NOT NULL
);

-- 2. An account's audit reference never changes: swapping two would quietly
--    give one person's history to another without touching the chain.
CREATE FUNCTION users_audit_ref_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.audit_ref IS DISTINCT FROM OLD.audit_ref THEN
        RAISE EXCEPTION 'an account''s audit reference never changes'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER users_audit_ref_fixed BEFORE UPDATE OF audit_ref ON users
    FOR EACH ROW EXECUTE FUNCTION users_audit_ref_is_fixed();
