-- Issue 18: people have names, a Contact may keep the Member's phone number, a
-- Member may share her own, and an account can be deleted (then purged 30 days on).

-- "What should we call you?" (the name others see). Accounts made before this have
-- none: they are named by their address until they give one in Settings.
ALTER TABLE users ADD COLUMN name text
    CHECK (name IS NULL OR char_length(name) BETWEEN 2 AND 255);
-- The Member agreed to show her verified mobile number to her Contacts as
-- call and text links (Settings; off until she says so).
ALTER TABLE users ADD COLUMN share_phone boolean NOT NULL DEFAULT false;
-- "Delete my account": when it was asked for. The address is moved out of the way
-- at once (so signing up again with it starts fresh) and kept here only until the
-- purge, 30 days later, clears it with everything else.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users ADD COLUMN deleted_email citext;
CREATE INDEX users_to_purge ON users (deleted_at) WHERE deleted_at IS NOT NULL;

-- The number the inviting Contact typed for the Member ("optional phone"), seen by
-- that Contact only.
ALTER TABLE connections ADD COLUMN member_phone text
    CHECK (member_phone IS NULL OR member_phone ~ '^\+[1-9][0-9]{6,14}$');
ALTER TABLE invites ADD CONSTRAINT invites_phone_e164
    CHECK (invitee_phone IS NULL OR invitee_phone ~ '^\+[1-9][0-9]{6,14}$');
