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
    /// the person an admin looked at, the account whose PIN was guessed).
    pub subject: Option<Uuid>,
    pub event: &'a str,
    /// The client's address; `None` for the command line and background jobs.
    pub ip: Option<&'a str>,
    /// Never names, addresses or numbers: ids, counts, states.
    pub detail: Value,
    /// Words a person typed (an admin's reason), which may name someone: kept
    /// beside the chain, erasable; the chain covers their keyed digest.
    pub note: Option<&'a str>,
}

/// Appends one entry to the chain, in the caller's transaction (which must be
/// READ COMMITTED, as every write transaction here is: each statement then sees
/// the entry the previous lock holder committed). The chain's lock is held until
/// that transaction ends, so append after taking every row lock the transaction
/// needs: a transaction holding the chain that then waits for a row can deadlock
/// with one holding that row and waiting for the chain. Answers the entry's id.
pub async fn append(tx: &mut PgConnection, key: &AuditKey, new: NewEntry<'_>) -> sqlx::Result<i64> {
    insert(tx, key, new, None).await
}

/// The audit reference of `user`, to append about them after their row is gone
/// (the purge).
pub async fn reference_of(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT audit_ref FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(tx)
        .await
}

/// [`append`] with the subject given by its audit reference (read before its
/// account was deleted); `new.subject` is ignored.
pub async fn append_about_reference(
    tx: &mut PgConnection,
    key: &AuditKey,
    new: NewEntry<'_>,
    subject_ref: Uuid,
) -> sqlx::Result<i64> {
    insert(tx, key, new, Some(subject_ref)).await
}

async fn insert(
    tx: &mut PgConnection,
    key: &AuditKey,
    mut new: NewEntry<'_>,
    subject_ref: Option<Uuid>,
) -> sqlx::Result<i64> {
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
    .bind(new.subject.filter(|_| subject_ref.is_none()))
    .fetch_one(&mut *tx)
    .await?;
    if let (Some(note), Value::Object(map)) = (new.note, &mut new.detail) {
        map.insert(
            "note_digest".into(),
            Value::String(super::rules::hex(&key.note_digest(note))),
        );
    }
    let prev_hash = last_hash.unwrap_or_else(|| GENESIS.to_vec());
    let entry = Entry {
        seq: last_seq.unwrap_or(0) + 1,
        at: super::rules::stored_time(new.at),
        actor,
        subject: subject_ref.or(subject),
        event: new.event.to_string(),
        ip_digest: new.ip.map(|ip| key.ip_digest(ip).to_vec()),
        detail: new.detail,
    };
    let hash = key.chain(&prev_hash, &entry);
    sqlx::query_scalar(
        "WITH e AS (
             INSERT INTO audit_log (at, actor, subject, event, detail, seq, prev_hash, hash, ip_digest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id),
         i AS (INSERT INTO audit_ips (entry_id, ip) SELECT id, $10 FROM e WHERE $10::text IS NOT NULL),
         n AS (INSERT INTO audit_notes (entry_id, note) SELECT id, $11 FROM e WHERE $11::text IS NOT NULL)
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
    .bind(new.note)
    .fetch_one(&mut *tx)
    .await
}

/// An entry as the walk reads it.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    seq: i64,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    subject: Option<Uuid>,
    event: String,
    ip_digest: Option<Vec<u8>>,
    detail: Value,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
    ip: Option<String>,
    note: Option<String>,
}

/// Up to `limit` chained entries after place `after`, in chain order, with the
/// address and note kept beside each (if not erased).
pub async fn chained_after(pool: &PgPool, after: i64, limit: i64) -> sqlx::Result<Vec<Stored>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.seq, a.at, a.actor, a.subject, a.event, a.ip_digest, a.detail, a.prev_hash,
                a.hash, i.ip, n.note
           FROM audit_log a
           LEFT JOIN audit_ips i ON i.entry_id = a.id
           LEFT JOIN audit_notes n ON n.entry_id = a.id
          WHERE a.seq > $1 ORDER BY a.seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Stored {
            id: r.id,
            entry: Entry {
                seq: r.seq,
                at: r.at,
                actor: r.actor,
                subject: r.subject,
                event: r.event,
                ip_digest: r.ip_digest,
                detail: r.detail,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
            ip: r.ip,
            note: r.note,
        })
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

/// The latest check that found the chain intact.
pub async fn last_good_check(pool: &PgPool) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar(
        "SELECT summary FROM job_runs WHERE job = 'audit_verify' AND summary -> 'first_bad' = 'null'::jsonb
         ORDER BY started_at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
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

/// Erases what is kept beside the chain about `user` (the purge): the addresses
/// of her own requests and of unattributed ones about her account (log-in
/// guesses), and notes typed about her. Other people's addresses stay with
/// their own actions. The chain keeps only keyed digests.
pub async fn erase_beside(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM audit_ips i USING audit_log a, users u
          WHERE u.id = $1 AND i.entry_id = a.id
            AND (a.actor = u.audit_ref OR (a.actor IS NULL AND a.subject = u.audit_ref))",
    )
    .bind(user)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM audit_notes n USING audit_log a, users u
          WHERE u.id = $1 AND n.entry_id = a.id AND (a.actor = u.audit_ref OR a.subject = u.audit_ref)",
    )
    .bind(user)
    .execute(&mut *tx)
    .await
    .map(|_| ())
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
