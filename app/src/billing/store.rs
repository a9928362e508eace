//! All the SQL of billing: a Contact's billing columns, Stripe events and dead
//! letters, open Checkout Sessions, sent notices and the scheduled jobs' claims.
use super::rules::{Account, AccountState, Plan};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A Contact's billing row, as the rules and the page need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillingRow {
    pub id: Uuid,
    pub email: String,
    pub time_zone: String,
    pub account_state: String,
    pub grandfathered_free: bool,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub past_due_since: Option<DateTime<Utc>>,
    pub disputed_at: Option<DateTime<Utc>>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub plan: Option<String>,
    pub subscription_status: Option<String>,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
    /// Whether they are a Member now (an active connection as Member).
    pub is_member: bool,
    /// Whether they are a Contact now (an active connection as Contact).
    pub is_contact: bool,
}

impl BillingRow {
    pub fn account(&self) -> Account {
        Account {
            state: AccountState::parse(&self.account_state).unwrap_or(AccountState::Frozen),
            grandfathered_free: self.grandfathered_free,
            trial_ends_at: self.trial_ends_at,
            past_due_since: self.past_due_since,
            disputed: self.disputed_at.is_some(),
        }
    }

    pub fn plan(&self) -> Option<Plan> {
        self.plan.as_deref().and_then(|p| Plan::parse(p).ok())
    }
}

const COLUMNS: &str = "u.id, u.email::text AS email, u.time_zone, u.account_state, u.grandfathered_free,
     u.trial_ends_at, u.past_due_since, u.disputed_at, u.stripe_customer_id,
     u.stripe_subscription_id, u.plan, u.subscription_status, u.cancel_at_period_end,
     u.current_period_end,
     EXISTS (SELECT 1 FROM connections c WHERE c.member_id = u.id AND c.ended_at IS NULL) AS is_member,
     EXISTS (SELECT 1 FROM connections c WHERE c.contact_id = u.id AND c.ended_at IS NULL) AS is_contact";

/// The account state alone, read under a share lock so a state change cannot slip
/// between the check and the action that follows in the same transaction.
pub async fn account_state(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT account_state FROM users WHERE id = $1 FOR SHARE")
        .bind(user)
        .fetch_optional(conn)
        .await
}

pub async fn billing(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<BillingRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(user)
        .fetch_optional(conn)
        .await
}

/// The row, locked for this transaction: every state change goes through here.
pub async fn lock_billing(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<BillingRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.id = $1 FOR UPDATE OF u"
    ))
    .bind(user)
    .fetch_optional(conn)
    .await
}

pub async fn user_by_customer(
    conn: &mut PgConnection,
    customer: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM users WHERE stripe_customer_id = $1")
        .bind(customer)
        .fetch_optional(conn)
        .await
}

/// Writes the state machine's outcome.
pub async fn save_account(conn: &mut PgConnection, user: Uuid, a: &Account) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET account_state = $2, grandfathered_free = grandfathered_free OR $3,
                trial_ends_at = $4, past_due_since = $5,
                disputed_at = CASE WHEN $6 THEN COALESCE(disputed_at, now()) ELSE NULL END
         WHERE id = $1",
    )
    .bind(user)
    .bind(a.state.as_str())
    .bind(a.grandfathered_free)
    .bind(a.trial_ends_at)
    .bind(a.past_due_since)
    .bind(a.disputed)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Stripe's subscription as last seen.
pub struct SubscriptionFacts<'a> {
    pub id: Option<&'a str>,
    pub plan: Option<Plan>,
    pub status: Option<&'a str>,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTime<Utc>>,
}

pub async fn save_subscription(
    conn: &mut PgConnection,
    user: Uuid,
    s: &SubscriptionFacts<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET stripe_subscription_id = $2, plan = $3, subscription_status = $4,
                cancel_at_period_end = $5, current_period_end = $6, billing_synced_at = $7
         WHERE id = $1",
    )
    .bind(user)
    .bind(s.id)
    .bind(s.plan.map(Plan::as_str))
    .bind(s.status)
    .bind(s.cancel_at_period_end)
    .bind(s.current_period_end)
    .bind(now)
    .execute(conn)
    .await
    .map(|_| ())
}

pub async fn set_customer(conn: &mut PgConnection, user: Uuid, customer: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET stripe_customer_id = $2 WHERE id = $1 AND stripe_customer_id IS NULL",
    )
    .bind(user)
    .bind(customer)
    .execute(conn)
    .await
    .map(|_| ())
}

/// An open Checkout Session of `user` for `plan` that has at least ten minutes left.
pub async fn open_checkout(
    conn: &mut PgConnection,
    user: Uuid,
    plan: Plan,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT url FROM checkout_sessions
         WHERE user_id = $1 AND plan = $2 AND expires_at > $3 + interval '10 minutes'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user)
    .bind(plan.as_str())
    .bind(now)
    .fetch_optional(conn)
    .await
}

pub async fn save_checkout(
    conn: &mut PgConnection,
    id: &str,
    user: Uuid,
    plan: Plan,
    url: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO checkout_sessions (id, user_id, plan, url, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .bind(plan.as_str())
    .bind(url)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// A paid or abandoned session is not offered again.
pub async fn close_checkouts(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM checkout_sessions WHERE user_id = $1")
        .bind(user)
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn checkout_owner(conn: &mut PgConnection, id: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT user_id FROM checkout_sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn event_seen(conn: &mut PgConnection, id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM stripe_events WHERE id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Records the event id; `false` if it was already there (a duplicate).
pub async fn claim_event(
    conn: &mut PgConnection,
    id: &str,
    type_: &str,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO stripe_events (id, type, created_at, processed_at, outcome)
         VALUES ($1, $2, $3, $4, 'received') ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(type_)
    .bind(created_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn event_outcome(
    conn: &mut PgConnection,
    id: &str,
    user: Option<Uuid>,
    outcome: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE stripe_events SET user_id = $2, outcome = $3 WHERE id = $1")
        .bind(id)
        .bind(user)
        .bind(outcome)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Keeps a failed event (or counts one more failure of it).
pub async fn dead_letter(
    pool: &PgPool,
    event_id: &str,
    type_: &str,
    payload: &str,
    error: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO stripe_dead_letters (id, event_id, type, payload, error, first_failed_at, last_failed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (event_id) DO UPDATE SET error = EXCLUDED.error, attempts = stripe_dead_letters.attempts + 1,
             last_failed_at = EXCLUDED.last_failed_at, resolved_at = NULL",
    )
    .bind(Uuid::new_v4())
    .bind(event_id)
    .bind(type_)
    .bind(payload)
    .bind(error)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

pub async fn resolve_dead_letter(
    conn: &mut PgConnection,
    event_id: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE stripe_dead_letters SET resolved_at = $2 WHERE event_id = $1 AND resolved_at IS NULL")
        .bind(event_id)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: Uuid,
    pub event_id: String,
    pub type_: String,
    pub payload: String,
    pub error: String,
    pub attempts: i32,
    pub first_failed_at: DateTime<Utc>,
}

/// Open dead letters, oldest first (bounded).
pub async fn dead_letters(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<DeadLetter>> {
    sqlx::query_as(
        "SELECT id, event_id, type AS type_, payload, error, attempts, first_failed_at
         FROM stripe_dead_letters WHERE resolved_at IS NULL ORDER BY first_failed_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn dead_letter_by_id(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<DeadLetter>> {
    sqlx::query_as(
        "SELECT id, event_id, type AS type_, payload, error, attempts, first_failed_at
         FROM stripe_dead_letters WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Claims a notice for this person and occasion; `false` if it was sent before.
pub async fn claim_notice(
    conn: &mut PgConnection,
    user: Uuid,
    key: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO billing_notices (user_id, key, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(key)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn notice_sent(conn: &mut PgConnection, user: Uuid, key: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM billing_notices WHERE user_id = $1 AND key = $2)",
    )
    .bind(user)
    .bind(key)
    .fetch_one(conn)
    .await
}

/// People the scheduled pass must look at: trials that end within 15 days, grace
/// periods, and plans ending within 7 days (bounded, oldest first).
pub async fn due_for_pass(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM users
         WHERE (account_state = 'trial' AND trial_ends_at <= $1 + interval '15 days')
            OR (account_state = 'past_due')
            OR (account_state = 'canceled' AND current_period_end <= $1 + interval '7 days')
         ORDER BY COALESCE(trial_ends_at, past_due_since, current_period_end)
         LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Everyone with a Stripe customer, after `after` (a page of the reconciliation).
pub async fn customers_after(
    pool: &PgPool,
    after: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT id, stripe_customer_id FROM users
         WHERE stripe_customer_id IS NOT NULL AND id > $1 AND account_state <> 'deleted'
         ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Claims a scheduled job's run for `period` (e.g. a day); a run left unfinished
/// for an hour (its process died) may be claimed again.
pub async fn claim_job(
    pool: &PgPool,
    job: &str,
    period: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO job_runs (job, period, started_at) VALUES ($1, $2, $3)
         ON CONFLICT (job, period) DO UPDATE SET started_at = EXCLUDED.started_at
         WHERE job_runs.finished_at IS NULL AND job_runs.started_at < EXCLUDED.started_at - interval '1 hour'",
    )
    .bind(job)
    .bind(period)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn finish_job(
    pool: &PgPool,
    job: &str,
    period: &str,
    now: DateTime<Utc>,
    summary: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE job_runs SET finished_at = $3, summary = $4 WHERE job = $1 AND period = $2")
        .bind(job)
        .bind(period)
        .bind(now)
        .bind(summary)
        .execute(pool)
        .await
        .map(|_| ())
}
