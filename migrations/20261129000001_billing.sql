-- Billing (SPEC §7). All the SQL that reads or writes these lives in
-- app/src/billing/store.rs; the state machine is app/src/billing/rules.rs.

-- A Contact's billing, beside `users.account_state` (which the detector reads).
ALTER TABLE users
    ADD COLUMN trial_ends_at          timestamptz,
    -- The first failed payment of the current failure: the grace runs from here.
    ADD COLUMN past_due_since         timestamptz,
    -- A charge was disputed: frozen until support steps in.
    ADD COLUMN disputed_at            timestamptz,
    ADD COLUMN stripe_customer_id     text UNIQUE,
    ADD COLUMN stripe_subscription_id text UNIQUE,
    -- Stripe's subscription as last applied (webhook, return from Checkout,
    -- reconciliation): what the billing page shows.
    ADD COLUMN plan                   text CHECK (plan IN ('monthly', 'annual')),
    ADD COLUMN subscription_status    text,
    ADD COLUMN cancel_at_period_end   boolean NOT NULL DEFAULT false,
    ADD COLUMN current_period_end     timestamptz,
    ADD COLUMN billing_synced_at      timestamptz;

CREATE INDEX users_trials_ending ON users (trial_ends_at) WHERE account_state = 'trial';
CREATE INDEX users_past_due ON users (past_due_since) WHERE account_state = 'past_due';
CREATE INDEX users_with_customer ON users (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

-- Each Stripe event, once. A duplicate delivery finds its id here and changes
-- nothing. Written in the same transaction as the change it made.
CREATE TABLE stripe_events (
    id              text PRIMARY KEY CHECK (char_length(id) BETWEEN 3 AND 255),
    type            text NOT NULL,
    -- Stripe's own time for the event.
    created_at      timestamptz NOT NULL,
    processed_at    timestamptz NOT NULL,
    user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    -- 'applied', 'ignored: unknown customer', 'ignored: type', ...
    outcome         text NOT NULL
);

-- An event whose processing failed (Stripe is answered 5xx and retries). Kept with
-- its raw body and error until a retry or an admin's replay succeeds.
CREATE TABLE stripe_dead_letters (
    id              uuid PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    type            text NOT NULL,
    payload         text NOT NULL,
    error           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 1,
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    resolved_at     timestamptz
);
CREATE INDEX stripe_dead_letters_open ON stripe_dead_letters (first_failed_at) WHERE resolved_at IS NULL;

-- The Checkout Session a Contact has open, reused while it is: a double click
-- cannot make two.
CREATE TABLE checkout_sessions (
    id              text PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan            text NOT NULL CHECK (plan IN ('monthly', 'annual')),
    url             text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX checkout_sessions_by_user ON checkout_sessions (user_id, expires_at DESC);

-- Each warning or notice about billing, once per person and occasion
-- (e.g. 'trial_7:2026-12-31'); claimed in the transaction that sends it.
CREATE TABLE billing_notices (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             text NOT NULL,
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Scheduled jobs that run once per period across every server process: the
-- first process to insert (job, period) runs it.
CREATE TABLE job_runs (
    job             text NOT NULL,
    period          text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    summary         jsonb,
    PRIMARY KEY (job, period)
);
