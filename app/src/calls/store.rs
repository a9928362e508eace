//! Every SQL statement about `daily_calls` and a Contact's call choice.
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DailyCallRow {
    pub member_id: Uuid,
    pub number: String,
    pub call_at: NaiveTime,
    pub retry_minutes: i16,
    pub tries: i16,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub next_call_at: Option<DateTime<Utc>>,
    pub next_try: i16,
}

const COLUMNS: &str =
    "member_id, number, call_at, retry_minutes, tries, confirmed_at, next_call_at, next_try";

pub async fn daily_call(
    conn: &mut PgConnection,
    member: Uuid,
) -> sqlx::Result<Option<DailyCallRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM daily_calls WHERE member_id = $1"
    ))
    .bind(member)
    .fetch_optional(conn)
    .await
}

/// Sets her daily call (a new number starts unconfirmed unless `confirmed_at`).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    conn: &mut PgConnection,
    member: Uuid,
    number: &str,
    call_at: NaiveTime,
    retry_minutes: i16,
    confirmed_at: Option<DateTime<Utc>>,
    next_call_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO daily_calls (member_id, number, call_at, retry_minutes, tries, confirmed_at,
                                  next_call_at, next_try, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)
         ON CONFLICT (member_id) DO UPDATE SET number = $2, call_at = $3, retry_minutes = $4,
             tries = $5, confirmed_at = $6, next_call_at = $7, next_try = 1, updated_at = $8",
    )
    .bind(member)
    .bind(number)
    .bind(call_at)
    .bind(retry_minutes)
    .bind(super::rules::DAILY_TRIES)
    .bind(confirmed_at)
    .bind(next_call_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn stop(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM daily_calls WHERE member_id = $1")
        .bind(member)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Confirms her number (she pressed 1 on the confirmation call), if it is
/// still the number of her daily call.
pub async fn confirm(
    conn: &mut PgConnection,
    member: Uuid,
    number: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE daily_calls SET confirmed_at = $3, updated_at = $3
         WHERE member_id = $1 AND number = $2 AND confirmed_at IS NULL",
    )
    .bind(member)
    .bind(number)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Moves her next call (and which try of its day it is).
pub async fn move_next(
    conn: &mut PgConnection,
    member: Uuid,
    next_call_at: DateTime<Utc>,
    next_try: i16,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE daily_calls SET next_call_at = $2, next_try = $3 WHERE member_id = $1")
        .bind(member)
        .bind(next_call_at)
        .bind(next_try)
        .execute(conn)
        .await?;
    Ok(())
}

/// A daily call due now, with what the call pass needs of her day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueCall {
    pub member_id: Uuid,
    pub number: String,
    pub call_at: NaiveTime,
    pub retry_minutes: i16,
    pub tries: i16,
    pub next_call_at: DateTime<Utc>,
    pub next_try: i16,
    pub time_zone: String,
    /// Her check-in windows (`checkin::store::windows_of`): no call on a day
    /// without a check-in.
    pub window_times: Vec<NaiveTime>,
    pub window_days: Vec<i16>,
}

/// Claims up to `limit` due daily calls (locked until the transaction ends;
/// another server's pass skips them).
pub async fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueCall>> {
    sqlx::query_as(
        "SELECT c.member_id, c.number, c.call_at, c.retry_minutes, c.tries, c.next_call_at, c.next_try,
                s.time_zone, s.window_times, s.window_days
         FROM daily_calls c JOIN schedules s ON s.member_id = c.member_id
         WHERE c.confirmed_at IS NOT NULL AND c.next_call_at <= $1
         ORDER BY c.next_call_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// She needs no call on `day`: she checked in already, or paused it.
pub async fn no_call_needed(
    conn: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM checkins WHERE member_id = $1 AND local_day = $2)
             OR EXISTS (SELECT 1 FROM pauses WHERE member_id = $1 AND canceled_at IS NULL
                          AND $2 BETWEEN first_day AND last_day)",
    )
    .bind(member)
    .bind(day)
    .fetch_one(conn)
    .await
}

/// A Contact's choice to be called about missed check-ins.
pub async fn set_call_alerts(conn: &mut PgConnection, user: Uuid, on: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET call_alerts = $2 WHERE id = $1")
        .bind(user)
        .bind(on)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn call_alerts(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT call_alerts FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await
        .map(|on| on.unwrap_or(false))
}

/// One of her recent calls (the outbox's rows for her daily calls).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentCall {
    pub kind: String,
    pub status: String,
    pub provider_status: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Her last `limit` calls, newest first.
pub async fn recent_calls(
    conn: &mut PgConnection,
    member: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<RecentCall>> {
    sqlx::query_as(
        "SELECT kind, status, provider_status, created_at FROM deliveries
         WHERE recipient_id = $1 AND channel = 'call' AND kind IN ('daily_call', 'call_confirm')
         ORDER BY created_at DESC LIMIT $2",
    )
    .bind(member)
    .bind(limit)
    .fetch_all(conn)
    .await
}
