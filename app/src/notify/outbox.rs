//! The outbox (server only): every statement about `deliveries`, the messages
//! waiting for, being handed to, or handed to a provider. Written in the sender's
//! transaction (so a message exists only if what it tells of happened); claimed,
//! taken and recorded by the workers in `worker`.
use super::{Channel, Kind, Payload};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub struct NewDelivery {
    pub recipient: Uuid,
    pub member: Uuid,
    pub miss: Option<Uuid>,
    pub kind: Kind,
    pub channel: Channel,
    pub payload: Payload,
}

/// Holds, until the transaction ends, the right to tell `recipient` of `kind`:
/// a limit read and then written (test alerts) cannot be raced by a second tab.
pub async fn lock_recipient(
    tx: &mut PgConnection,
    recipient: Uuid,
    kind: Kind,
) -> sqlx::Result<()> {
    use crate::locks::{hold, Space};
    hold(tx, Space::Telling, &format!("{recipient}:{kind}")).await
}

/// When `recipient` was told of `kind` after `since`: one time per message, however
/// many channels it went by; newest first, at most 100 (every limit is smaller).
pub async fn told_since(
    conn: &mut PgConnection,
    recipient: Uuid,
    kind: Kind,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT DISTINCT created_at FROM deliveries
          WHERE recipient_id = $1 AND kind = $2 AND created_at > $3
          ORDER BY created_at DESC LIMIT 100",
    )
    .bind(recipient)
    .bind(kind.as_str())
    .bind(since)
    .fetch_all(conn)
    .await
}

pub async fn insert_delivery(
    tx: &mut PgConnection,
    d: &NewDelivery,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    insert_deliveries(tx, std::slice::from_ref(d), now).await
}

/// Writes many deliveries in one statement.
pub async fn insert_deliveries(
    tx: &mut PgConnection,
    ds: &[NewDelivery],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if ds.is_empty() {
        return Ok(());
    }
    let recipients: Vec<Uuid> = ds.iter().map(|d| d.recipient).collect();
    let members: Vec<Uuid> = ds.iter().map(|d| d.member).collect();
    let misses: Vec<Option<Uuid>> = ds.iter().map(|d| d.miss).collect();
    let kinds: Vec<&str> = ds.iter().map(|d| d.kind.as_str()).collect();
    let channels: Vec<&str> = ds.iter().map(|d| d.channel.as_str()).collect();
    let payloads: Vec<Json<&Payload>> = ds.iter().map(|d| Json(&d.payload)).collect();
    // A message that may wait is due when the recipient's quiet hours end
    // (`quiet_end`, migration 20261205000007); the rest are due now.
    let waiting: Vec<&str> = Kind::ALL
        .iter()
        .filter(|k| k.waits_for_quiet_hours())
        .map(|k| k.as_str())
        .collect();
    sqlx::query(
        "INSERT INTO deliveries (id, recipient_id, member_id, miss_id, kind, channel, payload, next_attempt_at, created_at)
         SELECT gen_random_uuid(), d.recipient, d.member, d.miss, d.kind, d.channel, d.payload,
                CASE WHEN d.kind = ANY($8) AND u.quiet_from IS NOT NULL
                     THEN coalesce(quiet_end($7, u.time_zone, u.quiet_from, u.quiet_to), $7) ELSE $7 END,
                $7
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[])
              AS d(recipient, member, miss, kind, channel, payload)
         LEFT JOIN users u ON u.id = d.recipient",
    )
    .bind(&recipients)
    .bind(&members)
    .bind(&misses)
    .bind(&kinds)
    .bind(&channels)
    .bind(&payloads)
    .bind(now)
    .bind(&waiting)
    .execute(tx)
    .await?;
    Ok(())
}

/// A text to a helper without an account (they have no inbox, email or push).
pub struct HelperText {
    pub helper: Uuid,
    pub member: Uuid,
    pub miss: Option<Uuid>,
    pub kind: Kind,
    pub body: String,
}

/// Writes texts to helpers in one statement.
pub async fn insert_helper_texts(
    tx: &mut PgConnection,
    ts: &[HelperText],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if ts.is_empty() {
        return Ok(());
    }
    let helpers: Vec<Uuid> = ts.iter().map(|t| t.helper).collect();
    let members: Vec<Uuid> = ts.iter().map(|t| t.member).collect();
    let misses: Vec<Option<Uuid>> = ts.iter().map(|t| t.miss).collect();
    let kinds: Vec<&str> = ts.iter().map(|t| t.kind.as_str()).collect();
    let payloads: Vec<Json<Payload>> = ts
        .iter()
        .map(|t| {
            Json(Payload {
                body: t.body.clone(),
                ..Payload::default()
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO deliveries (id, helper_id, member_id, miss_id, kind, channel, payload, next_attempt_at, created_at)
         SELECT gen_random_uuid(), d.helper, d.member, d.miss, d.kind, 'sms', d.payload, $6, $6
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::jsonb[])
              AS d(helper, member, miss, kind, payload)",
    )
    .bind(&helpers)
    .bind(&members)
    .bind(&misses)
    .bind(&kinds)
    .bind(&payloads)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// A delivery a worker has taken: it is being handed over.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedRow {
    pub id: Uuid,
    /// None for a helper without an account (texts only).
    pub recipient_id: Option<Uuid>,
    /// The miss an alert is about.
    pub miss_id: Option<Uuid>,
    pub channel: Channel,
    pub kind: Kind,
    /// Tries so far, this one included: the fence the worker's answer must match
    /// (another worker that took the row after this one's lease ran out counts
    /// one more, and this one's late answer changes nothing).
    pub attempts: i32,
    pub payload: Json<Payload>,
    pub created_at: DateTime<Utc>,
    /// An earlier try may have reached the person (its worker's lease ran out
    /// mid-send): this one says "(sent again)".
    pub maybe_sent: bool,
    pub address: String,
    /// For texts: the recipient's confirmed number (or, for the text asking to
    /// confirm it, the number waiting for YES).
    pub phone: Option<String>,
}

/// Takes up to `limit` deliveries of `channels` to send now, most urgent first:
/// due ones, and ones whose worker's lease ran out (a crash or a stall
/// mid-send). Each taken row counts a try and is leased until `lease_until`; a
/// worker takes only as many as it starts sending at once, so a lease starts
/// right before its send (no row waits in a worker's hands while its lease runs
/// down). Due rows come by the `(priority, next_attempt_at)` index, lapsed ones
/// by the lease index: neither reads the whole queue. A lapsed row already tried
/// [`LAPSED_TRIES`](super::rules::LAPSED_TRIES) times in a row without an answer is
/// failed instead (a poisoned row must not crash every worker forever).
pub async fn claim_deliveries(
    pool: &PgPool,
    channels: &[Channel],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedRow>> {
    let channels: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    let mut tx = pool.begin().await?;
    // The queue's statistics lag a burst (100,000 alerts written in seconds look
    // like a few rows until autovacuum's next analyze, up to a minute later), and
    // with them the planner reads every pending row through a bitmap and sorts
    // them for each claim: measured 60-100 ms a claim, 300 mails/s, until the
    // analyze. For this statement only, walk the index in its order instead.
    let conn: &mut PgConnection = &mut tx;
    sqlx::query("SET LOCAL enable_bitmapscan = off")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET LOCAL enable_sort = off")
        .execute(&mut *conn)
        .await?;
    let rows = sqlx::query_as(
        "WITH poisoned AS (
             UPDATE deliveries SET status = 'failed', lease_until = NULL, last_error = $6
             WHERE status IN ('claimed', 'sending') AND lease_until <= $2 AND channel = ANY($1)
               AND lapses + 1 >= $5)
         , lapsed AS (
             SELECT id, status = 'sending' AS was_sending FROM deliveries
             WHERE status IN ('claimed', 'sending') AND lease_until <= $2 AND channel = ANY($1)
               AND lapses + 1 < $5
             ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED)
         , due AS (
             SELECT id, false AS was_sending FROM deliveries
             WHERE status = 'pending' AND next_attempt_at <= $2 AND channel = ANY($1)
             ORDER BY priority, next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
         , picked AS (
             SELECT id, was_sending FROM (SELECT * FROM lapsed UNION ALL SELECT * FROM due) p LIMIT $4)
         UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, lease_until = $3,
                maybe_sent = d.maybe_sent OR picked.was_sending,
                lapses = CASE WHEN d.status = 'pending' THEN 0 ELSE d.lapses + 1 END
         FROM picked WHERE d.id = picked.id
         RETURNING d.id, d.recipient_id, d.miss_id, d.channel, d.kind, d.attempts, d.payload, d.created_at, d.maybe_sent,
                   coalesce((SELECT u.email::text FROM users u WHERE u.id = d.recipient_id), '') AS address,
                   CASE WHEN d.kind IN ('daily_call', 'call_confirm') THEN
                     (SELECT c.number FROM daily_calls c WHERE c.member_id = d.recipient_id
                      AND c.number = coalesce(d.payload->>'number', c.number)
                      AND (c.confirmed_at IS NOT NULL OR d.kind = 'call_confirm'))
                   ELSE
                   coalesce((SELECT p.number FROM phones p WHERE p.user_id = d.recipient_id
                      AND (p.status = 'verified' OR (d.kind = 'sms_verify' AND p.status = 'pending' AND p.asked))),
                     (SELECT h.number FROM helpers h WHERE h.id = d.helper_id
                      AND (h.status = 'agreed' OR (d.kind = 'helper_ask' AND h.status = 'asked'))))
                   END AS phone",
    )
    .bind(&channels)
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .bind(super::rules::LAPSED_TRIES)
    .bind(super::rules::LAPSED_WORDS)
    .fetch_all(&mut *conn)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// One try the provider took: (delivery, its try's number, the provider's id).
pub struct SentTry {
    pub id: Uuid,
    pub attempt: i32,
    pub provider_id: Option<String>,
}

/// Marks many deliveries sent in one statement, each only if its worker still
/// holds it (same try). Returns how many were.
pub async fn mark_sent(pool: &PgPool, sent: &[SentTry], now: DateTime<Utc>) -> sqlx::Result<u64> {
    if sent.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = sent.iter().map(|s| s.id).collect();
    let attempts: Vec<i32> = sent.iter().map(|s| s.attempt).collect();
    let providers: Vec<Option<&str>> = sent.iter().map(|s| s.provider_id.as_deref()).collect();
    let done = sqlx::query(
        "UPDATE deliveries d SET status = 'sent', provider_id = s.provider, sent_at = $4,
                lease_until = NULL, last_error = NULL
         FROM unnest($1::uuid[], $2::int[], $3::text[]) AS s(id, attempt, provider)
         WHERE d.id = s.id AND d.attempts = s.attempt AND d.status = 'sending'",
    )
    .bind(&ids)
    .bind(&attempts)
    .bind(&providers)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Puts a failed try back in the queue for `at`; an alert whose miss was
/// answered meanwhile (a check-in, or someone said "I'm on it") is canceled
/// instead, as a check-in cancels the alerts still waiting.
pub async fn mark_retry(
    pool: &PgPool,
    id: Uuid,
    attempt: i32,
    at: DateTime<Utc>,
    error: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE deliveries d SET next_attempt_at = $3, lease_until = NULL, last_error = $4,
                status = CASE WHEN d.kind IN ('missed', 'missed_again') AND EXISTS (
                             SELECT 1 FROM misses m WHERE m.id = d.miss_id
                               AND (m.resolved_at IS NOT NULL OR m.acknowledged_at IS NOT NULL OR m.closed_at IS NOT NULL))
                         THEN 'canceled' ELSE 'pending' END
         WHERE d.id = $1 AND d.attempts = $2 AND d.status = 'sending'",
    )
    .bind(id)
    .bind(attempt)
    .bind(at)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Fails a delivery for good, if this worker still holds it (same try).
pub async fn mark_failed(pool: &PgPool, id: Uuid, attempt: i32, error: &str) -> sqlx::Result<bool> {
    end_try(pool, id, attempt, "failed", error).await
}

/// Cancels a delivery nobody needs any more, if this worker still holds it
/// (same try): `why` stays on it for the trail.
pub async fn mark_canceled(pool: &PgPool, id: Uuid, attempt: i32, why: &str) -> sqlx::Result<bool> {
    end_try(pool, id, attempt, "canceled", why).await
}

/// Ends a delivery as `status` with `words`, if this worker still holds it.
async fn end_try(
    pool: &PgPool,
    id: Uuid,
    attempt: i32,
    status: &str,
    words: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE deliveries SET status = $4, lease_until = NULL, last_error = $3
         WHERE id = $1 AND attempts = $2 AND status = 'sending'",
    )
    .bind(id)
    .bind(attempt)
    .bind(words)
    .bind(status)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why a daily check-in call about to be placed is no longer needed: she has
/// checked in since it was written, or stopped her daily calls. `None`: call.
pub async fn daily_call_unneeded(
    pool: &PgPool,
    member: Uuid,
    written: DateTime<Utc>,
) -> sqlx::Result<Option<&'static str>> {
    let (stopped, checked_in): (bool, bool) = sqlx::query_as(
        "SELECT NOT EXISTS (SELECT 1 FROM daily_calls WHERE member_id = $1 AND confirmed_at IS NOT NULL),
                EXISTS (SELECT 1 FROM checkins WHERE member_id = $1 AND checked_in_at >= $2)",
    )
    .bind(member)
    .bind(written)
    .fetch_one(pool)
    .await?;
    Ok(if stopped {
        Some("not called: her daily calls were stopped")
    } else if checked_in {
        Some("not called: she checked in")
    } else {
        None
    })
}

/// Why an alert call about to be placed is no longer needed: the miss was
/// answered (she checked in, someone is on it, or it was closed) since it was
/// written. `None`: call.
pub async fn alert_call_unneeded(pool: &PgPool, miss: Uuid) -> sqlx::Result<Option<&'static str>> {
    let state: Option<(bool, bool, bool)> = sqlx::query_as(
        "SELECT resolved_at IS NOT NULL, acknowledged_at IS NOT NULL, closed_at IS NOT NULL
         FROM misses WHERE id = $1",
    )
    .bind(miss)
    .fetch_optional(pool)
    .await?;
    Ok(match state {
        None => Some("not called: the alert is gone"),
        Some((true, _, _)) => Some("not called: she checked in"),
        Some((_, true, _)) => Some("not called: someone is on it"),
        Some((_, _, true)) => Some("not called: the alert was closed"),
        Some(_) => None,
    })
}

/// Cancels her check-in calls still waiting in the queue (she stopped her
/// daily calls); one being placed right now finishes.
pub async fn cancel_calls_to(tx: &mut PgConnection, member: Uuid) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE deliveries SET status = 'canceled', lease_until = NULL
         WHERE recipient_id = $1 AND kind IN ('daily_call', 'call_confirm')
           AND status IN ('pending', 'claimed')",
    )
    .bind(member)
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// Cancels a miss's alerts not yet being handed over: waiting in the queue
/// (first try or a retry) or in a worker's batch but not taken; one being sent
/// right now is left to finish (and gets the update).
pub async fn cancel_waiting_alerts(tx: &mut PgConnection, miss: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'canceled', lease_until = NULL
         WHERE miss_id = $1 AND kind IN ('missed', 'missed_again') AND status IN ('pending', 'claimed')",
    )
    .bind(miss)
    .execute(tx)
    .await?;
    Ok(())
}

/// Who may have been alerted about a miss, and by which channels: every alert
/// handed to a provider at least once (sent, being sent, or tried before it was
/// canceled or failed). An alert canceled before any try reached nobody.
pub async fn alerted(tx: &mut PgConnection, miss: Uuid) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT DISTINCT recipient_id, channel FROM deliveries
         WHERE miss_id = $1 AND kind IN ('missed', 'missed_again') AND attempts > 0
           AND recipient_id IS NOT NULL
         ORDER BY recipient_id, channel",
    )
    .bind(miss)
    .fetch_all(tx)
    .await
}

/// Each channel's deliveries for a miss, for the alert's trail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrailRow {
    pub recipient_id: Uuid,
    pub kind: Kind,
    pub channel: Channel,
    pub status: String,
    /// What the provider later said (Twilio: delivered, undelivered).
    pub provider_status: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn trail(conn: &mut PgConnection, miss: Uuid) -> sqlx::Result<Vec<TrailRow>> {
    sqlx::query_as(
        "SELECT recipient_id, kind, channel, status, provider_status, sent_at FROM deliveries
         WHERE miss_id = $1 AND recipient_id IS NOT NULL
         ORDER BY created_at, channel LIMIT 200",
    )
    .bind(miss)
    .fetch_all(conn)
    .await
}

/// A Contact nobody could reach about a miss: every alert to them failed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unreachable {
    pub miss_id: Uuid,
    pub member_id: Uuid,
    pub recipient_id: Uuid,
}

/// Claims (once each) the Contacts of open misses of the last `since` whose
/// every alert failed for good, to tell the others.
pub async fn claim_unreachable(
    tx: &mut PgConnection,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Unreachable>> {
    sqlx::query_as(
        "WITH failed AS (
             SELECT d.miss_id, d.member_id, d.recipient_id
             FROM deliveries d JOIN misses m ON m.id = d.miss_id
             WHERE d.status = 'failed' AND d.kind IN ('missed', 'missed_again') AND d.recipient_id IS NOT NULL
               AND m.resolved_at IS NULL AND m.closed_at IS NULL AND m.detected_at >= $1
               AND NOT EXISTS (
                   SELECT 1 FROM deliveries o WHERE o.miss_id = d.miss_id AND o.recipient_id = d.recipient_id
                     AND o.kind IN ('missed', 'missed_again') AND o.status <> 'failed')
               AND NOT EXISTS (
                   SELECT 1 FROM unreachable_told u WHERE u.miss_id = d.miss_id AND u.recipient_id = d.recipient_id)
             GROUP BY d.miss_id, d.member_id, d.recipient_id
             LIMIT $3)
         , told AS (
             INSERT INTO unreachable_told (miss_id, recipient_id, told_at)
             SELECT miss_id, recipient_id, $2 FROM failed
             ON CONFLICT DO NOTHING RETURNING miss_id, recipient_id)
         SELECT f.miss_id, f.member_id, f.recipient_id FROM failed f
         JOIN told t ON t.miss_id = f.miss_id AND t.recipient_id = f.recipient_id",
    )
    .bind(since)
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Deliveries waiting to be sent (pending or leased), for the operations log.
pub async fn backlog(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'claimed', 'sending')",
    )
    .fetch_one(pool)
    .await
}

/// Deliveries waiting to be sent, by channel and kind (the partial indexes on
/// waiting and leased rows answer it; sent history is not read).
pub async fn backlog_by_channel_and_kind(
    pool: &PgPool,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT channel, kind, count(*) FROM deliveries
         WHERE status IN ('pending', 'claimed', 'sending')
         GROUP BY channel, kind ORDER BY channel, kind LIMIT 200",
    )
    .fetch_all(pool)
    .await
}

/// Records what Twilio's status callback said about a sent text. `Some` when
/// the id is ours. "failed" or "undelivered" fails the
/// delivery (the could-not-reach notice counts it).
pub async fn record_provider_status(
    pool: &PgPool,
    provider_id: &str,
    status: &str,
    error: Option<&str>,
) -> sqlx::Result<Option<()>> {
    sqlx::query_scalar(
        "UPDATE deliveries SET provider_status = $2, last_error = coalesce($3, last_error),
                status = CASE WHEN $2 IN ('failed', 'undelivered') THEN 'failed' ELSE status END
         WHERE provider_id = $1 AND channel = 'sms' RETURNING recipient_id",
    )
    .bind(provider_id)
    .bind(status)
    .bind(error)
    .fetch_optional(pool)
    .await
    .map(|found: Option<Option<Uuid>>| found.map(|_| ()))
}

/// Calls handed to Twilio for `recipient` since `since`, or being handed to it
/// right now (other than `this` one): the daily cap's count.
pub async fn calls_placed_since(
    pool: &PgPool,
    recipient: Option<Uuid>,
    this: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM deliveries
         WHERE recipient_id = $1 AND channel = 'call' AND id <> $2
           AND (sent_at > $3 OR (status = 'sending' AND created_at > $3))",
    )
    .bind(recipient)
    .bind(this)
    .bind(since)
    .fetch_one(pool)
    .await
}

/// A call we placed, as its webhooks need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlacedCall {
    pub id: Uuid,
    pub kind: Kind,
    pub recipient_id: Option<Uuid>,
    pub member_id: Uuid,
    pub miss_id: Option<Uuid>,
    /// What Twilio last said of it (answered, no-answer, busy, machine…).
    pub provider_status: Option<String>,
    /// The number a Member's own call rang (see `Payload::number`).
    pub number: Option<String>,
    /// The outbox's status: a call is live only while `sending` or `sent`.
    pub status: String,
    pub sent_at: Option<DateTime<Utc>>,
}

impl PlacedCall {
    /// Twilio asks about a call only while it rings or is answered: a
    /// request about one that was never placed, or placed long ago, is a
    /// replay (its signature still holds) and changes nothing.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        let placed = self.sent_at.unwrap_or(now);
        matches!(self.status.as_str(), "sending" | "sent")
            && now - placed <= chrono::Duration::minutes(super::rules::CALL_LIVE_MINUTES)
    }
}

/// The call delivery `id` (None for an id that is not a call of ours).
pub async fn placed_call(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<PlacedCall>> {
    sqlx::query_as(
        "SELECT id, kind, recipient_id, member_id, miss_id, provider_status,
                payload->>'number' AS number, status, sent_at FROM deliveries
         WHERE id = $1 AND channel = 'call'",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Records what became of a call (Twilio's status callback, or the app's own
/// word when the person pressed a key): `answered` and `pressed` are never
/// overwritten by the call's later `completed`. `Some` when the id is ours.
pub async fn record_call_status(
    conn: &mut PgConnection,
    call_sid: &str,
    status: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(&format!(
        "UPDATE deliveries SET provider_status = {KEEP_CALL_OUTCOME}
         WHERE provider_id = $1 AND channel = 'call' RETURNING id"
    ))
    .bind(call_sid)
    .bind(status)
    .fetch_optional(conn)
    .await
}

/// The same, for the call delivery `id` (its webhooks name it in their path:
/// this holds even before the worker has recorded Twilio's call id).
pub async fn record_call_status_of(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "UPDATE deliveries SET provider_status = {KEEP_CALL_OUTCOME}
         WHERE id = $1 AND channel = 'call'"
    ))
    .bind(id)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

/// A call's outcome ($2) never overwrites a key pressed or a machine, nor an
/// answer with the call's plain end.
const KEEP_CALL_OUTCOME: &str = "CASE
    WHEN provider_status IN ('pressed', 'machine') THEN provider_status
    WHEN provider_status = 'answered' AND $2 = 'completed' THEN provider_status
    ELSE $2 END";

/// Marks a number Twilio says cannot take texts, or was opted out (the phones'
/// status, as `phones` keeps it); returns its owner.
pub async fn mark_number(
    conn: &mut PgConnection,
    number: &str,
    fate: super::rules::NumberFate,
) -> sqlx::Result<Option<Uuid>> {
    let status = match fate {
        super::rules::NumberFate::OptedOut => "opted_out",
        super::rules::NumberFate::Unusable => "unusable",
        super::rules::NumberFate::Unchanged => return Ok(None),
    };
    let owner: Option<Uuid> = sqlx::query_scalar(&format!(
        "UPDATE phones SET status = $2 WHERE user_id = ({NUMBER_HOLDER}) RETURNING user_id"
    ))
    .bind(number)
    .bind(status)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(owner) = owner {
        stop_asking_others(conn, number, owner).await?;
    }
    Ok(owner)
}

/// Who answers for a number (bind it as `$1`): the one person who holds it
/// (confirmed, opted out or unusable), else the latest person we texted for a
/// YES. A row added while someone else held the number (`asked = false`) never
/// answers: it was not texted, and the holder's YES is not theirs.
pub const NUMBER_HOLDER: &str = "SELECT user_id FROM phones
     WHERE number = $1 AND (status <> 'pending' OR asked)
     ORDER BY status <> 'pending' DESC, added_seq DESC LIMIT 1";

/// Once `holder` has claimed `number` (YES, STOP, or the provider's word), any
/// one else waiting for it stops being asked: no reminder, no YES.
pub async fn stop_asking_others(
    conn: &mut PgConnection,
    number: &str,
    holder: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE phones SET asked = false
         WHERE number = $1 AND user_id <> $2 AND status = 'pending' AND asked",
    )
    .bind(number)
    .bind(holder)
    .execute(conn)
    .await?;
    Ok(())
}

/// Someone left Pruuf: nothing more goes to them or about them. Whatever waits in
/// the queue (first try, retry, or claimed but not yet taken) is canceled; a send
/// already under way finishes.
pub async fn cancel_everything_for(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE deliveries SET status = 'canceled', lease_until = NULL
         WHERE (recipient_id = $1 OR member_id = $1) AND status IN ('pending', 'claimed')",
    )
    .bind(user)
    .execute(tx)
    .await
    .map(|r| r.rows_affected())
}

/// An admin's retry (issue 19): each of `ids` that failed, or waits, is due
/// again at `now` for one more try (its count of tries and last error stay, for
/// the trail). Left as they are: an alert whose miss was answered meanwhile
/// (nobody should be told again about a check-in that came), anything to or
/// about an account that was deleted, and a Member's news to someone no longer
/// her Contact. Answers the ids put back in the queue.
pub async fn retry(
    tx: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "UPDATE deliveries d SET status = 'pending', next_attempt_at = $2, lease_until = NULL
          WHERE d.id = ANY($1) AND d.status IN ('failed', 'pending')
            AND NOT (d.kind IN ('missed', 'missed_again') AND EXISTS (
                     SELECT 1 FROM misses m WHERE m.id = d.miss_id
                       AND (m.resolved_at IS NOT NULL OR m.acknowledged_at IS NOT NULL OR m.closed_at IS NOT NULL)))
            AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id IN (d.recipient_id, d.member_id)
                              AND u.deleted_at IS NOT NULL)
            AND (d.member_id IS NULL OR d.member_id = d.recipient_id OR EXISTS (
                     SELECT 1 FROM connections c WHERE c.member_id = d.member_id
                       AND c.contact_id = d.recipient_id AND c.ended_at IS NULL))
          RETURNING d.id",
    )
    .bind(ids)
    .bind(now)
    .fetch_all(tx)
    .await
}

/// The alert a delivery carried, and to whom: (recipient, miss), for an alert
/// email's signed "I'm on it" link.
pub async fn alert_of_delivery(
    conn: &mut PgConnection,
    delivery: Uuid,
) -> sqlx::Result<Option<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT recipient_id, miss_id FROM deliveries
         WHERE id = $1 AND miss_id IS NOT NULL AND recipient_id IS NOT NULL
           AND kind IN ('missed', 'missed_again')",
    )
    .bind(delivery)
    .fetch_optional(conn)
    .await
}

/// Marks an answer link used; `false` if it was used before.
pub async fn use_answer_link(
    tx: &mut PgConnection,
    delivery: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO answer_links_used (delivery_id, used_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(delivery)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
