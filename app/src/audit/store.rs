//! The audit log's SQL (server only). Appending takes the chain's advisory lock,
//! reads the newest entry's hash and inserts after it, all inside the caller's
//! transaction: the entry commits or vanishes with the change it records, and two
//! processes appending at once queue for the lock instead of forking the chain.
use super::rules::{AuditKey, Entry, Stored, GENESIS};
use crate::locks::{hold, Space};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What happened, as a domain tells it. `actor` and `subject` are account ids;
/// the log keeps their audit references instead.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub at: DateTime<Utc>,
    /// Whose action it was (the signed-in person); `None` for the system or an
    /// unknown caller.
    pub actor: Option<Uuid>,
    /// Whom it concerned, when that is someone else (the Member a Contact paused,
    /// the person an admin looked at).
    pub subject: Option<Uuid>,
    pub event: &'a str,
    /// The client's address; `None` for the command line and background jobs.
    pub ip: Option<&'a str>,
    /// Never names, addresses or numbers: ids, counts, states.
    pub detail: Value,
}

/// Appends one entry to the chain, in the caller's transaction (which must be
/// READ COMMITTED, as every write transaction here is: each statement then sees
/// the entry the previous lock holder committed). Answers the entry's id.
pub async fn append(tx: &mut PgConnection, key: &AuditKey, new: NewEntry<'_>) -> sqlx::Result<i64> {
    hold(tx, Space::AuditChain, "chain").await?;
    let (last_seq, last_hash, actor, subject): (
        Option<i64>,
        Option<Vec<u8>>,
        Option<Uuid>,
        Option<Uuid>,
    ) = sqlx::query_as(
        "SELECT l.seq, l.hash,
                (SELECT audit_ref FROM users WHERE id = $1),
                (SELECT audit_ref FROM users WHERE id = $2)
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL
                               ORDER BY seq DESC LIMIT 1) l ON true",
    )
    .bind(new.actor)
    .bind(new.subject)
    .fetch_one(&mut *tx)
    .await?;
    let prev_hash = last_hash.unwrap_or_else(|| GENESIS.to_vec());
    let entry = Entry {
        seq: last_seq.unwrap_or(0) + 1,
        at: super::rules::stored_time(new.at),
        actor,
        subject,
        event: new.event.to_string(),
        ip_digest: new.ip.map(|ip| key.ip_digest(ip).to_vec()),
        detail: new.detail,
    };
    let hash = key.chain(&prev_hash, &entry);
    sqlx::query_scalar(
        "WITH e AS (
             INSERT INTO audit_log (at, actor, subject, event, detail, seq, prev_hash, hash, ip_digest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id),
         i AS (INSERT INTO audit_ips (entry_id, ip) SELECT id, $10 FROM e WHERE $10::text IS NOT NULL)
         SELECT id FROM e",
    )
    .bind(entry.at)
    .bind(entry.actor)
    .bind(entry.subject)
    .bind(&entry.event)
    .bind(&entry.detail)
    .bind(entry.seq)
    .bind(&prev_hash)
    .bind(&hash[..])
    .bind(&entry.ip_digest)
    .bind(new.ip)
    .fetch_one(&mut *tx)
    .await
}

type Row = (
    i64,
    i64,
    DateTime<Utc>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    Option<Vec<u8>>,
    Value,
    Vec<u8>,
    Vec<u8>,
);

/// Up to `limit` chained entries after place `after`, in chain order.
pub async fn chained_after(pool: &PgPool, after: i64, limit: i64) -> sqlx::Result<Vec<Stored>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, seq, at, actor, subject, event, ip_digest, detail, prev_hash, hash
           FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, seq, at, actor, subject, event, ip_digest, detail, prev_hash, hash)| Stored {
                id,
                entry: Entry {
                    seq,
                    at,
                    actor,
                    subject,
                    event,
                    ip_digest,
                    detail,
                },
                prev_hash,
                hash,
            },
        )
        .collect())
}

/// Entries from before the chain began (counted, not checked), and the first
/// entry without a place in the chain written after it began (a forgery).
pub async fn unchained(pool: &PgPool) -> sqlx::Result<(i64, Option<i64>)> {
    sqlx::query_as(
        "WITH upto AS (SELECT coalesce((SELECT value::bigint FROM server_settings
                                         WHERE key = 'audit_unchained_upto'), 0) AS id)
         SELECT (SELECT count(*) FROM audit_log, upto WHERE seq IS NULL AND audit_log.id <= upto.id),
                (SELECT min(audit_log.id) FROM audit_log, upto WHERE seq IS NULL AND audit_log.id > upto.id)",
    )
    .fetch_one(pool)
    .await
}

/// The hash entry `seq` has now, if it is there.
pub async fn hash_of(pool: &PgPool, seq: i64) -> sqlx::Result<Option<Vec<u8>>> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(pool)
        .await
}

/// A check's result, kept in `job_runs` (job `audit_verify`, one row a check).
pub async fn record_check(pool: &PgPool, at: DateTime<Utc>, summary: Value) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO job_runs (job, period, started_at, finished_at, summary)
         VALUES ('audit_verify', $1, $2, $2, $3) ON CONFLICT (job, period) DO NOTHING",
    )
    .bind(at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
    .bind(at)
    .bind(summary)
    .execute(pool)
    .await
    .map(|_| ())
}

/// The latest checks, newest first.
pub async fn recent_checks(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<(DateTime<Utc>, Value)>> {
    sqlx::query_as(
        "SELECT started_at, summary FROM job_runs WHERE job = 'audit_verify'
         ORDER BY started_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Erases the client addresses kept beside `user`'s entries (the purge): the
/// chain keeps only their keyed digests.
pub async fn erase_addresses(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM audit_ips i USING audit_log a, users u
          WHERE u.id = $1 AND i.entry_id = a.id AND (a.actor = u.audit_ref OR a.subject = u.audit_ref)",
    )
    .bind(user)
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// When `user` did `events` since `since` (newest first, at most `limit`).
pub async fn times_of(
    conn: &mut PgConnection,
    user: Uuid,
    events: &[&str],
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT a.at FROM audit_log a JOIN users u ON u.audit_ref = a.actor
          WHERE u.id = $1 AND a.event = ANY($2) AND a.at > $3
          ORDER BY a.at DESC LIMIT $4",
    )
    .bind(user)
    .bind(events)
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await
}
