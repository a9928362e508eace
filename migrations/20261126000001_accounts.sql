-- Accounts (SPEC §3): people, one-time email codes, PIN log-in guard, signed-in
-- devices, per-IP limits, consent and the audit log. All the SQL that reads or
-- writes these tables lives in app/src/accounts/store.rs.

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    email               citext NOT NULL UNIQUE,
    -- argon2id PHC string.
    pin_hash            text NOT NULL,
    text_size           text NOT NULL DEFAULT 'standard'
                        CHECK (text_size IN ('standard', 'large', 'extra-large')),
    is_admin            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL
);

-- One row per code sent. Only a keyed digest of the code is kept.
CREATE TABLE email_codes (
    id                  bigserial PRIMARY KEY,
    email               citext NOT NULL,
    digest              bytea NOT NULL,
    sent_at             timestamptz NOT NULL,
    used_at             timestamptz,
    wrong_tries         integer NOT NULL DEFAULT 0 CHECK (wrong_tries >= 0)
);
CREATE INDEX email_codes_by_address ON email_codes (email, sent_at DESC);

-- The PIN log-in guard is kept per address, whether or not an account has it, so
-- that a lockout does not reveal which addresses have accounts.
CREATE TABLE pin_guard (
    email               citext PRIMARY KEY,
    locked_until        timestamptz,
    pin_login_disabled  boolean NOT NULL DEFAULT false
);
CREATE TABLE pin_failures (
    email               citext NOT NULL,
    failed_at           timestamptz NOT NULL
);
CREATE INDEX pin_failures_by_address ON pin_failures (email, failed_at DESC);

-- Per-IP limits: one row per attempt, counted over the last hour.
CREATE TABLE ip_attempts (
    ip                  text NOT NULL,
    action              text NOT NULL CHECK (action IN ('login', 'code')),
    at                  timestamptz NOT NULL
);
CREATE INDEX ip_attempts_by_ip ON ip_attempts (ip, action, at DESC);

-- A signed-in device. The tower-sessions session only points at one of these;
-- ending it (sign out, sign out everywhere, PIN reset) signs that device out even
-- though its cookie lives on.
CREATE TABLE devices (
    id                  uuid PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label               text NOT NULL,
    created_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    ended_at            timestamptz
);
CREATE INDEX devices_by_user ON devices (user_id) WHERE ended_at IS NULL;

-- Acceptance of the Terms and the Privacy policy, one row per acceptance.
CREATE TABLE consents (
    id                  bigserial PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    terms_version       text NOT NULL,
    privacy_version     text NOT NULL,
    accepted_at         timestamptz NOT NULL,
    ip                  text NOT NULL,
    user_agent          text NOT NULL
);
CREATE INDEX consents_by_user ON consents (user_id, accepted_at DESC);

-- Security events. Append-only; the keyed hash chain comes with the audit issue.
CREATE TABLE audit_log (
    id                  bigserial PRIMARY KEY,
    at                  timestamptz NOT NULL,
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    event               text NOT NULL,
    ip                  text,
    detail              jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_by_user ON audit_log (user_id, at DESC);

-- tower-sessions' PostgreSQL store (tower-sessions-sqlx-store 0.15), created here
-- so that every schema change lives in migrations/. Its rows only point at a
-- device above.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id                  text PRIMARY KEY NOT NULL,
    data                bytea NOT NULL,
    expiry_date         timestamptz NOT NULL
);
