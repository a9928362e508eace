//! The admin side's SQL (server only): reading across every domain's tables for
//! the operator, the admin flag, and each process's heartbeat. Changes to
//! deliveries and Stripe events go through their own domains (`notify::outbox`,
//! `billing`), never from here.
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Sets or clears the admin flag of the (not deleted) account at `email`.
pub async fn set_admin(tx: &mut PgConnection, email: &str, on: bool) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "UPDATE users SET is_admin = $2 WHERE email = $1::citext AND deleted_at IS NULL RETURNING id",
    )
    .bind(email)
    .bind(on)
    .fetch_optional(tx)
    .await
}

/// Who is an admin now (for the command line's answer).
pub async fn admin_count(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE is_admin AND deleted_at IS NULL")
        .fetch_one(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_status: Option<String>,
    pub account_state: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub subscription_status: Option<String>,
    pub plan: Option<String>,
    pub time_zone: String,
}

const PERSON: &str =
    "SELECT u.id, u.email::text AS email, u.name, p.number AS phone, p.status AS phone_status,
        u.account_state, u.is_admin, u.created_at, u.deleted_at, u.trial_ends_at,
        u.stripe_customer_id, u.stripe_subscription_id, u.subscription_status, u.plan, u.time_zone
   FROM users u LEFT JOIN phones p ON p.user_id = u.id";

/// People whose address contains `part` (any case), or whose id is `id`; newest
/// first, at most `limit`.
pub async fn search(
    pool: &PgPool,
    part: &str,
    id: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as(&format!(
        "{PERSON} WHERE u.id = $2 OR ($2 IS NULL AND strpos(lower(u.email::text), lower($1)) > 0)
          ORDER BY u.created_at DESC LIMIT $3"
    ))
    .bind(part)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn person(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as(&format!("{PERSON} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    /// The other person.
    pub other_id: Uuid,
    pub other_email: String,
    /// This person's side: "member" or "contact".
    pub side: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// `id`'s connections on either side, newest first (bounded).
pub async fn connections_of(
    pool: &PgPool,
    id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<ConnectionRow>> {
    sqlx::query_as(
        "SELECT c.id, o.id AS other_id, o.email::text AS other_email,
                CASE WHEN c.member_id = $1 THEN 'member' ELSE 'contact' END AS side,
                c.started_at, c.ended_at
           FROM connections c
           JOIN users o ON o.id = CASE WHEN c.member_id = $1 THEN c.contact_id ELSE c.member_id END
          WHERE c.member_id = $1 OR c.contact_id = $1
          ORDER BY c.started_at DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub window_times: Vec<NaiveTime>,
    pub window_days: Vec<i16>,
    pub time_zone: String,
    pub grace_min: i16,
    pub reminder_on: bool,
    pub next_deadline: DateTime<Utc>,
}

pub async fn schedule_of(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<ScheduleRow>> {
    sqlx::query_as(
        "SELECT window_times, window_days, time_zone, grace_min, reminder_on, next_deadline
           FROM schedules WHERE member_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MissRow {
    pub id: Uuid,
    pub local_day: chrono::NaiveDate,
    pub deadline_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// `id`'s latest misses as a Member, newest first.
pub async fn misses_of(pool: &PgPool, id: Uuid, limit: i64) -> sqlx::Result<Vec<MissRow>> {
    sqlx::query_as(
        "SELECT id, local_day, deadline_at, detected_at, acknowledged_at FROM misses
          WHERE member_id = $1 ORDER BY local_day DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub miss_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub recipient_email: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub lapses: i32,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub provider_status: Option<String>,
}

const DELIVERY: &str =
    "SELECT d.id, d.miss_id, d.recipient_id, r.email::text AS recipient_email, d.kind,
        d.channel, d.status, d.attempts, d.lapses, d.created_at, d.next_attempt_at, d.lease_until,
        d.sent_at, d.last_error, d.provider_status
   FROM deliveries d JOIN users r ON r.id = d.recipient_id";

/// Every delivery for these misses (their trail), oldest first (bounded).
pub async fn deliveries_for(
    pool: &PgPool,
    misses: &[Uuid],
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(&format!(
        "{DELIVERY} WHERE d.miss_id = ANY($1) ORDER BY d.created_at, d.channel LIMIT $2"
    ))
    .bind(misses)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn delivery(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(&format!("{DELIVERY} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Which deliveries a list shows: of one channel, kind or recipient, or any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub channel: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub recipient: Option<Uuid>,
}

/// Failed deliveries (newest first), filtered.
pub async fn failed(pool: &PgPool, f: Filter<'_>, limit: i64) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(&format!(
        "{DELIVERY} WHERE d.status = 'failed' AND ($1::text IS NULL OR d.channel = $1)
            AND ($2::text IS NULL OR d.kind = $2) AND ($3::uuid IS NULL OR d.recipient_id = $3)
          ORDER BY d.created_at DESC LIMIT $4"
    ))
    .bind(f.channel)
    .bind(f.kind)
    .bind(f.recipient)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deliveries stuck at `before`: claimed past their lease, or waiting since
/// before it (oldest first).
pub async fn stuck(
    pool: &PgPool,
    before: DateTime<Utc>,
    f: Filter<'_>,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(&format!(
        "{DELIVERY} WHERE ((d.status IN ('claimed', 'sending') AND d.lease_until < $1)
                        OR (d.status = 'pending' AND d.next_attempt_at < $1))
            AND ($2::text IS NULL OR d.channel = $2) AND ($3::text IS NULL OR d.kind = $3)
            AND ($4::uuid IS NULL OR d.recipient_id = $4)
          ORDER BY d.next_attempt_at LIMIT $5"
    ))
    .bind(before)
    .bind(f.channel)
    .bind(f.kind)
    .bind(f.recipient)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deliveries given up on since `since` (by the time of their last try, which
/// is when they failed).
pub async fn failed_since(pool: &PgPool, since: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE status = 'failed' AND next_attempt_at >= $1",
    )
    .bind(since)
    .fetch_one(pool)
    .await
}

/// Stripe events waiting in the dead-letter table.
pub async fn open_dead_letters(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM stripe_dead_letters WHERE resolved_at IS NULL")
        .fetch_one(pool)
        .await
}

/// The latest run of a once-a-period job: when it started, finished, and its summary.
pub async fn last_run(
    pool: &PgPool,
    job: &str,
) -> sqlx::Result<
    Option<(
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<serde_json::Value>,
    )>,
> {
    sqlx::query_as(
        "SELECT started_at, finished_at, summary FROM job_runs WHERE job = $1 ORDER BY started_at DESC LIMIT 1",
    )
    .bind(job)
    .fetch_optional(pool)
    .await
}

/// This process is alive: its jobs' ages, now.
pub async fn beat(
    pool: &PgPool,
    process: Uuid,
    host: &str,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
    jobs: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO process_beats (process_id, host, started_at, beat_at, jobs) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (process_id) DO UPDATE SET beat_at = EXCLUDED.beat_at, jobs = EXCLUDED.jobs",
    )
    .bind(process)
    .bind(host)
    .bind(started_at)
    .bind(now)
    .bind(jobs)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM process_beats WHERE beat_at < $1")
        .bind(now - chrono::Duration::days(1))
        .execute(pool)
        .await
        .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BeatRow {
    pub process_id: Uuid,
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub beat_at: DateTime<Utc>,
    pub jobs: serde_json::Value,
}

/// Every process heard from in the last day, the latest first (bounded).
pub async fn beats(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<BeatRow>> {
    sqlx::query_as(
        "SELECT process_id, host, started_at, beat_at, jobs FROM process_beats ORDER BY beat_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
