//! Every SQL statement about accounts, in one place (server only). The callers in
//! `service` decide; these functions only read and write.
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub pin_hash: String,
    pub text_size: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: i64,
    pub digest: Vec<u8>,
    pub sent_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub wrong_tries: i32,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The signed-in person behind a device, with the newest consent they gave.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignedIn {
    pub user_id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub text_size: String,
    pub device_id: Uuid,
    pub last_seen_at: DateTime<Utc>,
    pub terms_version: Option<String>,
    pub privacy_version: Option<String>,
    pub is_admin: bool,
}

/// Serialises everything about one address (codes, PIN guard) for the rest of the
/// transaction, across every server process.
pub async fn lock_address(tx: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    use crate::locks::{hold, Space};
    hold(tx, Space::Address, &email.to_lowercase()).await
}

/// The address of an account (whose PIN guard a phone's PIN climbs).
pub async fn email_of(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT email::text FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await
}

pub async fn user_by_email(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(
        "SELECT id, email::text, pin_hash, text_size, name FROM users WHERE email = $1::citext",
    )
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// What a new account starts with.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub pin_hash: &'a str,
    pub text_size: &'a str,
    pub name: Option<&'a str>,
    /// The browser's zone, so "your time" is right from the first page.
    pub time_zone: Option<&'a str>,
}

/// Inserts the account; `None` when the address already has one.
pub async fn insert_user(
    tx: &mut PgConnection,
    user: &NewUser<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO users (id, email, pin_hash, text_size, created_at, name, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, 'UTC'))
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(user.email)
    .bind(user.pin_hash)
    .bind(user.text_size)
    .bind(now)
    .bind(user.name)
    .bind(user.time_zone)
    .fetch_optional(tx)
    .await
}

/// Moves the account to a new address; `false` when another account has it.
pub async fn set_email(tx: &mut PgConnection, user: Uuid, email: &str) -> sqlx::Result<bool> {
    let taken: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1::citext)")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
    if taken {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
        .bind(user)
        .bind(email)
        .execute(&mut *tx)
        .await
        .map(|r| r.rows_affected() == 1)
}

/// The name others see ("What should we call you?").
pub async fn set_name(pool: &PgPool, user: Uuid, name: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
        .bind(user)
        .bind(name)
        .execute(pool)
        .await
        .map(|_| ())
}

pub async fn set_pin_hash(tx: &mut PgConnection, user: Uuid, pin_hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET pin_hash = $2 WHERE id = $1")
        .bind(user)
        .bind(pin_hash)
        .execute(tx)
        .await
        .map(|_| ())
}

pub async fn set_text_size(pool: &PgPool, user: Uuid, size: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET text_size = $2 WHERE id = $1")
        .bind(user)
        .bind(size)
        .execute(pool)
        .await
        .map(|_| ())
}

// ---- one-time email codes ----

/// When codes went to this address since `since` (for the resend, hourly and daily
/// rules); at most a day's worth is kept.
pub async fn code_times_since(
    tx: &mut PgConnection,
    email: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT sent_at FROM email_codes WHERE email = $1::citext AND sent_at > $2
          ORDER BY sent_at DESC LIMIT 100",
    )
    .bind(email)
    .bind(since)
    .fetch_all(tx)
    .await
}

pub async fn insert_code(
    tx: &mut PgConnection,
    email: &str,
    digest: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO email_codes (email, digest, sent_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email)
    .bind(digest)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// Forgets a code whose mail could not be sent, so it counts against no limit.
pub async fn delete_code(pool: &PgPool, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM email_codes WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// The newest code sent to the address: only it can be used.
pub async fn latest_code(tx: &mut PgConnection, email: &str) -> sqlx::Result<Option<CodeRow>> {
    sqlx::query_as(
        "SELECT id, digest, sent_at, used_at, wrong_tries FROM email_codes
         WHERE email = $1::citext ORDER BY sent_at DESC, id DESC LIMIT 1",
    )
    .bind(email)
    .fetch_optional(tx)
    .await
}

pub async fn mark_code_used(
    tx: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_codes SET used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(tx)
        .await
        .map(|_| ())
}

pub async fn count_wrong_code_try(tx: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE email_codes SET wrong_tries = wrong_tries + 1 WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await
        .map(|_| ())
}

// ---- the PIN log-in guard ----

pub async fn pin_guard(
    tx: &mut PgConnection,
    email: &str,
) -> sqlx::Result<(Option<DateTime<Utc>>, bool)> {
    let row: Option<(Option<DateTime<Utc>>, bool)> = sqlx::query_as(
        "SELECT locked_until, pin_login_disabled FROM pin_guard WHERE email = $1::citext",
    )
    .bind(email)
    .fetch_optional(tx)
    .await?;
    Ok(row.unwrap_or((None, false)))
}

pub async fn set_pin_guard(
    tx: &mut PgConnection,
    email: &str,
    locked_until: Option<DateTime<Utc>>,
    disabled: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pin_guard (email, locked_until, pin_login_disabled) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET locked_until = $2, pin_login_disabled = $3",
    )
    .bind(email)
    .bind(locked_until)
    .bind(disabled)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Records a failure. Returns how many there were since `since` and how many since
/// the address's last good log-in or reset however long ago (both include this one).
pub async fn record_pin_failure(
    tx: &mut PgConnection,
    email: &str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query("INSERT INTO pin_failures (email, failed_at) VALUES ($1, $2)")
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let strikes: i32 = sqlx::query_scalar(
        "INSERT INTO pin_guard (email, strikes, touched_at) VALUES ($1, 1, $2)
         ON CONFLICT (email) DO UPDATE SET strikes = pin_guard.strikes + 1, touched_at = $2
         RETURNING strikes",
    )
    .bind(email)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let recent = sqlx::query_scalar(
        "SELECT count(*) FROM pin_failures WHERE email = $1::citext AND failed_at > $2",
    )
    .bind(email)
    .bind(since)
    .fetch_one(tx)
    .await?;
    Ok((recent, i64::from(strikes)))
}

/// Failed PIN log-ins across the site since `since`.
pub async fn failures_everywhere_since(pool: &PgPool, since: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM pin_failures WHERE failed_at > $1")
        .bind(since)
        .fetch_one(pool)
        .await
}

/// A successful log-in or a PIN reset wipes the slate.
pub async fn clear_pin_failures(tx: &mut PgConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM pin_failures WHERE email = $1::citext")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM pin_guard WHERE email = $1::citext")
        .bind(email)
        .execute(tx)
        .await
        .map(|_| ())
}

// ---- per-IP limits ----

/// Records an attempt from `ip` and returns how many there were in the last hour
/// (this one included).
pub async fn record_ip_attempt(
    pool: &PgPool,
    ip: &str,
    action: &str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO ip_attempts (ip, action, at) VALUES ($1, $2, $3)")
        .bind(ip)
        .bind(action)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM ip_attempts WHERE ip = $1 AND action = $2 AND at > $3",
    )
    .bind(ip)
    .bind(action)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(count)
}

// ---- devices (signed-in sessions) ----

pub async fn insert_device(
    tx: &mut PgConnection,
    user: Uuid,
    label: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO devices (id, user_id, label, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)
         RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(user)
    .bind(label)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// The person signed in on a device that has not been signed out.
pub async fn signed_in(pool: &PgPool, device: Uuid) -> sqlx::Result<Option<SignedIn>> {
    sqlx::query_as(
        "SELECT u.id AS user_id, u.email::text AS email, u.name, u.text_size, d.id AS device_id,
                d.last_seen_at, c.terms_version, c.privacy_version, u.is_admin
         FROM devices d
         JOIN users u ON u.id = d.user_id
         LEFT JOIN LATERAL (
             SELECT terms_version, privacy_version FROM consents
             WHERE user_id = u.id ORDER BY accepted_at DESC, id DESC LIMIT 1
         ) c ON true
         WHERE d.id = $1 AND d.ended_at IS NULL",
    )
    .bind(device)
    .fetch_optional(pool)
    .await
}

pub async fn touch_device(pool: &PgPool, device: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE devices SET last_seen_at = $2 WHERE id = $1")
        .bind(device)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
}

/// At most this many devices are listed (the rest are the oldest).
pub const DEVICE_LIST_LIMIT: i64 = 50;

pub async fn devices(pool: &PgPool, user: Uuid) -> sqlx::Result<Vec<DeviceRow>> {
    sqlx::query_as(
        "SELECT id, label, created_at, last_seen_at FROM devices
         WHERE user_id = $1 AND ended_at IS NULL ORDER BY last_seen_at DESC LIMIT $2",
    )
    .bind(user)
    .bind(DEVICE_LIST_LIMIT)
    .fetch_all(pool)
    .await
}

/// Ends one device of this user; false when it was not theirs or already ended.
pub async fn end_device(
    conn: &mut PgConnection,
    user: Uuid,
    device: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE devices SET ended_at = $3 WHERE id = $2 AND user_id = $1 AND ended_at IS NULL",
    )
    .bind(user)
    .bind(device)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// Ends every device of the user except `keep`; returns how many were ended.
pub async fn end_devices_except(
    conn: &mut PgConnection,
    user: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE devices SET ended_at = $3
         WHERE user_id = $1 AND ended_at IS NULL AND ($2::uuid IS NULL OR id <> $2)",
    )
    .bind(user)
    .bind(keep)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

// ---- consent and audit ----

#[allow(clippy::too_many_arguments)]
pub async fn insert_consent(
    conn: &mut PgConnection,
    user: Uuid,
    terms_version: &str,
    privacy_version: &str,
    now: DateTime<Utc>,
    ip: &str,
    user_agent: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO consents (user_id, terms_version, privacy_version, accepted_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user)
    .bind(terms_version)
    .bind(privacy_version)
    .bind(now)
    .bind(ip)
    .bind(user_agent)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Removes what no rule looks at any more: old attempts, failures, codes and
/// expired sessions. Run now and then by the server.
pub async fn housekeeping(pool: &PgPool, now: DateTime<Utc>) -> sqlx::Result<()> {
    let day_ago = now - chrono::Duration::days(1);
    // A guard on an address nobody has an account for ends after a quiet month, so
    // guessing against it before its owner signs up leaves no lasting mark.
    sqlx::query(
        "DELETE FROM pin_guard g WHERE g.touched_at < $1
            AND NOT EXISTS (SELECT 1 FROM users u WHERE u.email = g.email)",
    )
    .bind(now - super::rules::UNCLAIMED_GUARD_LIFETIME)
    .execute(pool)
    .await?;
    sqlx::query("DELETE FROM ip_attempts WHERE at < $1")
        .bind(day_ago)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM pin_failures WHERE failed_at < $1")
        .bind(day_ago)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM email_codes WHERE sent_at < $1")
        .bind(day_ago)
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM tower_sessions.session WHERE expiry_date < $1")
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Sets whether a Member shows her verified number to her Contacts.
pub async fn set_share_phone(pool: &PgPool, user: Uuid, share: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET share_phone = $2 WHERE id = $1")
        .bind(user)
        .bind(share)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Whether a Member shows her verified number to her Contacts.
pub async fn shares_phone(pool: &PgPool, user: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT share_phone FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(pool)
        .await
        .map(|v| v.unwrap_or(false))
}
