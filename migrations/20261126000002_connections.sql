-- Connections (SPEC §2, §4). All the SQL that reads or writes these tables lives in
-- app/src/connections/store.rs.

-- Set the first time the person's connection as a Member becomes active; never
-- cleared (SPEC §2).
ALTER TABLE users ADD COLUMN grandfathered_free boolean NOT NULL DEFAULT false;
-- The Contact's account state (the billing issue moves it); a frozen Contact
-- cannot invite.
ALTER TABLE users ADD COLUMN account_state text NOT NULL DEFAULT 'trial_pending'
    CHECK (account_state IN ('trial_pending', 'trial', 'active', 'active_free', 'past_due',
                             'canceled', 'frozen', 'deleted'));

-- An invitation, which may go to someone without an account yet.
CREATE TABLE invites (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[A-HJ-NP-Z2-9]{6}$'),
    inviter_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Who the invitee will be: 'member' (a Contact invites a Member) or 'contact'.
    invitee_role        text NOT NULL CHECK (invitee_role IN ('member', 'contact')),
    invitee_name        text NOT NULL CHECK (char_length(invitee_name) BETWEEN 2 AND 255),
    invitee_email       citext NOT NULL,
    invitee_phone       text,
    sent_at             timestamptz NOT NULL,
    last_sent_at        timestamptz NOT NULL,
    accepted_at         timestamptz,
    accepted_by         uuid REFERENCES users (id) ON DELETE SET NULL,
    canceled_at         timestamptz
);
CREATE INDEX invites_by_inviter ON invites (inviter_id) WHERE accepted_at IS NULL AND canceled_at IS NULL;
CREATE INDEX invites_by_email ON invites (invitee_email) WHERE accepted_at IS NULL AND canceled_at IS NULL;

-- A Contact looking out for a Member. One active row per pair; an ended one stays
-- for the record, and a new invite after it makes a new row.
CREATE TABLE connections (
    id                  uuid PRIMARY KEY,
    member_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contact_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What each calls the other ("Mum", "Tom").
    member_name         text NOT NULL,
    contact_name        text NOT NULL,
    invite_id           uuid REFERENCES invites (id) ON DELETE SET NULL,
    started_at          timestamptz NOT NULL,
    ended_at            timestamptz,
    ended_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    CHECK (member_id <> contact_id)
);
CREATE UNIQUE INDEX connections_one_active_per_pair ON connections (member_id, contact_id)
    WHERE ended_at IS NULL;
CREATE INDEX connections_by_contact ON connections (contact_id) WHERE ended_at IS NULL;
