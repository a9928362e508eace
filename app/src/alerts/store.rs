//! Every SQL statement about misses and the delivery outbox (server only).
use super::escalation::{Escalation, Outcome};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A Member whose next deadline and grace have passed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueRow {
    pub member_id: Uuid,
    pub time_zone: String,
    pub next_deadline: DateTime<Utc>,
    pub next_slot: i16,
    pub window_times: Vec<NaiveTime>,
    pub window_days: Vec<i16>,
}

/// When a Member is due: the grace has passed, and so has the deadline's own
/// minute (a check-in counts as on time until 10:00:59, so with no grace the
/// alert waits for 10:01:00, never alerting someone who is on time).
const DUE: &str =
    "next_deadline <= $1 AND next_deadline + greatest(grace_min, 1) * interval '1 minute' <= $1";

/// Locks up to `limit` due Members for this transaction, skipping any another
/// detector (or a check-in) holds. Uses the `next_deadline` index: only rows
/// already past their deadline are looked at.
pub async fn lock_due(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueRow>> {
    sqlx::query_as(&format!(
        "SELECT member_id, time_zone, next_deadline, next_slot, window_times, window_days FROM schedules
         WHERE {DUE} ORDER BY next_deadline LIMIT $2 FOR UPDATE SKIP LOCKED"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// How far behind the detector is: the oldest alert moment not yet handled.
pub async fn oldest_unhandled(
    pool: &PgPool,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(&format!(
        "SELECT min(next_deadline + greatest(grace_min, 1) * interval '1 minute') FROM schedules WHERE {DUE}"
    ))
    .bind(now)
    .fetch_one(pool)
    .await
}

/// For each (Member, local day, slot): whether they checked in for that
/// check-in, and whether the day is paused. One statement for a whole batch.
pub async fn day_facts(
    tx: &mut PgConnection,
    members: &[Uuid],
    days: &[NaiveDate],
    slots: &[i16],
) -> sqlx::Result<Vec<(Uuid, bool, bool)>> {
    sqlx::query_as(
        "SELECT d.member_id,
                EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = d.member_id AND c.local_day = d.day
                        AND c.slot = d.slot),
                EXISTS (SELECT 1 FROM pauses p WHERE p.member_id = d.member_id AND p.first_day <= d.day
                        AND p.last_day >= d.day AND p.canceled_at IS NULL)
         FROM unnest($1::uuid[], $2::date[], $3::int2[]) WITH ORDINALITY AS d(member_id, day, slot, n)
         ORDER BY d.n",
    )
    .bind(members)
    .bind(days)
    .bind(slots)
    .fetch_all(tx)
    .await
}

/// Moves each Member's next deadline (and its slot) on, for a whole batch.
pub async fn set_next_deadlines(
    tx: &mut PgConnection,
    members: &[Uuid],
    at: &[DateTime<Utc>],
    slots: &[i16],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE schedules s SET next_deadline = n.at, next_slot = n.slot
         FROM unnest($1::uuid[], $2::timestamptz[], $3::int2[]) AS n(member_id, at, slot)
         WHERE s.member_id = n.member_id",
    )
    .bind(members)
    .bind(at)
    .bind(slots)
    .execute(tx)
    .await?;
    Ok(())
}

/// Claims the misses of a batch of (Member, day, slot, deadline); returns the
/// (Member, miss id) of those this call claimed (a check-in claimed before is
/// skipped).
pub async fn claim_misses(
    tx: &mut PgConnection,
    members: &[Uuid],
    days: &[NaiveDate],
    slots: &[i16],
    deadlines: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "INSERT INTO misses (id, member_id, local_day, slot, deadline_at, detected_at)
         SELECT gen_random_uuid(), m.member_id, m.day, m.slot, m.deadline, $5
         FROM unnest($1::uuid[], $2::date[], $3::int2[], $4::timestamptz[]) AS m(member_id, day, slot, deadline)
         ON CONFLICT (member_id, local_day, slot) DO NOTHING RETURNING member_id, id",
    )
    .bind(members)
    .bind(days)
    .bind(slots)
    .bind(deadlines)
    .bind(now)
    .fetch_all(tx)
    .await
}

/// A Contact who may be told about a Member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecipientRow {
    pub contact_id: Uuid,
    /// What the Contact calls the Member.
    pub member_name: String,
    pub account_state: String,
    pub time_zone: String,
    /// Browsers with a push subscription.
    pub push_devices: i64,
    /// The Contact's confirmations choice (`rules::ConfirmPrefs`).
    pub confirm_every: bool,
    pub confirm_channels: Vec<String>,
    /// They have a confirmed mobile number.
    pub sms_ok: bool,
    /// They chose to be called about a missed check-in (on that number).
    pub call_ok: bool,
    /// What the Member calls them ("Tom").
    pub contact_name: String,
    /// Their place in the Member's escalation order (None: told at the last step).
    pub alert_step: Option<i16>,
}

pub async fn recipients(tx: &mut PgConnection, member: Uuid) -> sqlx::Result<Vec<RecipientRow>> {
    Ok(recipients_of(tx, &[member])
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// The active Contacts of each of `members`, as (Member, Contact).
pub async fn recipients_of(
    tx: &mut PgConnection,
    members: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, RecipientRow)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        member_id: Uuid,
        #[sqlx(flatten)]
        r: RecipientRow,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.member_id, c.contact_id, c.member_name, u.account_state, u.time_zone,
                (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = c.contact_id) AS push_devices,
                u.confirm_every, u.confirm_channels,
                EXISTS (SELECT 1 FROM phones p WHERE p.user_id = c.contact_id AND p.status = 'verified') AS sms_ok,
                u.call_alerts AND EXISTS (SELECT 1 FROM phones p WHERE p.user_id = c.contact_id AND p.status = 'verified') AS call_ok,
                c.contact_name, c.alert_step
         FROM connections c
         JOIN users u ON u.id = c.contact_id
         WHERE c.member_id = ANY($1) AND c.ended_at IS NULL ORDER BY c.member_id, c.started_at, c.contact_id",
    )
    .bind(members)
    .fetch_all(tx)
    .await?;
    Ok(rows.into_iter().map(|row| (row.member_id, row.r)).collect())
}

/// A miss, as the alert page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MissRow {
    pub id: Uuid,
    pub member_id: Uuid,
    pub local_day: NaiveDate,
    pub slot: i16,
    pub deadline_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When a check-in resolved it (that day's, or a later one).
    pub resolved_at: Option<DateTime<Utc>>,
    /// The escalation step last told, and the repeats sent.
    pub step: i16,
    pub repeats: i16,
    pub next_step_at: Option<DateTime<Utc>>,
    /// Closed by a Contact, with what happened.
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    pub close_outcome: Option<String>,
    pub close_note: Option<String>,
    /// A helper without an account who said "I'm on it" by text, and their name.
    pub acknowledged_helper: Option<Uuid>,
    pub helper_on_it: Option<String>,
}

const MISS_COLUMNS: &str =
    "id, member_id, local_day, slot, deadline_at, detected_at, acknowledged_by, acknowledged_at, resolved_at,
     step, repeats, next_step_at, closed_at, closed_by, close_outcome, close_note, acknowledged_helper,
     (SELECT h.name FROM helpers h WHERE h.id = acknowledged_helper) AS helper_on_it";

pub async fn miss(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<MissRow>> {
    sqlx::query_as(&format!("SELECT {MISS_COLUMNS} FROM misses WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The latest deadline of `member`'s claimed misses on `day`.
pub async fn last_miss_deadline(
    conn: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT max(deadline_at) FROM misses WHERE member_id = $1 AND local_day = $2",
    )
    .bind(member)
    .bind(day)
    .fetch_one(conn)
    .await
}

pub async fn miss_on(
    conn: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
    slot: i16,
) -> sqlx::Result<Option<MissRow>> {
    sqlx::query_as(&format!(
        "SELECT {MISS_COLUMNS} FROM misses WHERE member_id = $1 AND local_day = $2 AND slot = $3"
    ))
    .bind(member)
    .bind(day)
    .bind(slot)
    .fetch_optional(conn)
    .await
}

/// A Member's misses not yet resolved by a check-in, whose deadline lies in
/// `since..=until`, oldest first; locked for the check-in's transaction.
pub async fn open_misses(
    tx: &mut PgConnection,
    member: Uuid,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sqlx::Result<Vec<MissRow>> {
    sqlx::query_as(&format!(
        "SELECT {MISS_COLUMNS} FROM misses
         WHERE member_id = $1 AND resolved_at IS NULL AND deadline_at >= $2 AND deadline_at <= $3
         ORDER BY deadline_at LIMIT 10 FOR UPDATE"
    ))
    .bind(member)
    .bind(since)
    .bind(until)
    .fetch_all(tx)
    .await
}

pub async fn resolve_miss(
    tx: &mut PgConnection,
    miss: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE misses SET resolved_at = $2, next_step_at = NULL WHERE id = $1 AND resolved_at IS NULL",
    )
        .bind(miss)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Records the first "I'm on it"; `false` if someone was first.
pub async fn acknowledge(
    tx: &mut PgConnection,
    miss: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE misses SET acknowledged_by = $2, acknowledged_at = $3, next_step_at = NULL
         WHERE id = $1 AND acknowledged_at IS NULL AND closed_at IS NULL",
    )
    .bind(miss)
    .bind(by)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The escalation claim ($1: now, $2: limit): open misses whose next step or
/// repeat is due, nobody having responded, the Member not checked in that day
/// and the alert not closed; locked for this transaction, skipping any another
/// detector holds. Its index holds waiting misses only (a test reads its plan).
pub fn due_steps_sql() -> String {
    format!(
        "SELECT {MISS_COLUMNS} FROM misses m
         WHERE m.next_step_at <= $1 AND m.next_step_at IS NOT NULL
           AND m.acknowledged_at IS NULL AND m.resolved_at IS NULL AND m.closed_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.member_id AND c.local_day = m.local_day)
         ORDER BY m.next_step_at LIMIT $2 FOR UPDATE SKIP LOCKED"
    )
}

pub async fn lock_due_steps(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<MissRow>> {
    sqlx::query_as(&due_steps_sql())
        .bind(now)
        .bind(limit)
        .fetch_all(tx)
        .await
}

/// Records where each miss's escalation stands: (miss, step, repeats, next).
pub async fn set_steps(
    tx: &mut PgConnection,
    misses: &[Uuid],
    steps: &[i16],
    repeats: &[i16],
    next: &[Option<DateTime<Utc>>],
) -> sqlx::Result<()> {
    if misses.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE misses m SET step = s.step, repeats = s.repeats, next_step_at = s.next
         FROM unnest($1::uuid[], $2::int2[], $3::int2[], $4::timestamptz[]) AS s(id, step, repeats, next)
         WHERE m.id = s.id",
    )
    .bind(misses)
    .bind(steps)
    .bind(repeats)
    .bind(next)
    .execute(tx)
    .await?;
    Ok(())
}

/// Each of `members`' escalation (the default for those with none).
pub async fn escalations_of(
    conn: &mut PgConnection,
    members: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, Escalation>> {
    let rows: Vec<(Uuid, Option<i16>, i16)> = sqlx::query_as(
        "SELECT member_id, gap_min, repeats FROM escalations WHERE member_id = ANY($1)",
    )
    .bind(members)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(m, gap_min, repeats)| (m, Escalation { gap_min, repeats }))
        .collect())
}

pub async fn escalation(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<Escalation> {
    Ok(escalations_of(conn, &[member])
        .await?
        .remove(&member)
        .unwrap_or_default())
}

/// A family's escalation: the wait and repeats, and each active Contact's place.
pub async fn set_escalation(
    tx: &mut PgConnection,
    member: Uuid,
    escalation: &Escalation,
    places: &[(Uuid, Option<i16>)],
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO escalations (member_id, gap_min, repeats, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (member_id) DO UPDATE SET gap_min = $2, repeats = $3, updated_by = $4, updated_at = $5",
    )
    .bind(member)
    .bind(escalation.gap_min)
    .bind(escalation.repeats)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (contacts, steps): (Vec<Uuid>, Vec<Option<i16>>) = places.iter().copied().unzip();
    sqlx::query(
        "UPDATE connections c SET alert_step = p.step
         FROM unnest($2::uuid[], $3::int2[]) AS p(contact_id, step)
         WHERE c.member_id = $1 AND c.contact_id = p.contact_id AND c.ended_at IS NULL",
    )
    .bind(member)
    .bind(&contacts)
    .bind(&steps)
    .execute(tx)
    .await?;
    Ok(())
}

/// Closes an open alert; `false` if it was closed already or the Member checked in.
pub async fn close(
    tx: &mut PgConnection,
    miss: Uuid,
    by: Uuid,
    outcome: Outcome,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE misses SET closed_at = $3, closed_by = $2, close_outcome = $4, close_note = nullif($5, ''),
                next_step_at = NULL
         WHERE id = $1 AND closed_at IS NULL AND resolved_at IS NULL",
    )
    .bind(miss)
    .bind(by)
    .bind(now)
    .bind(outcome.as_str())
    .bind(note)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the Member calls the Contact `who` ("Tom is on it"): the connections
/// domain's answer.
pub use crate::connections::store::contact_name;

/// Today's miss per Member, for the Contact's dashboard.
pub async fn latest_miss(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<Option<MissRow>> {
    sqlx::query_as(&format!(
        "SELECT {MISS_COLUMNS} FROM misses WHERE member_id = $1 ORDER BY local_day DESC LIMIT 1"
    ))
    .bind(member)
    .fetch_optional(conn)
    .await
}

/// The newest open miss (detected since `since`) whose alert went to `user` by
/// text: what a "1" replied to our number answers. Locked for the transaction.
pub async fn texted_open_miss(
    tx: &mut PgConnection,
    user: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<MissRow>> {
    sqlx::query_as(&format!(
        "SELECT {MISS_COLUMNS} FROM misses m
         WHERE m.detected_at >= $2 AND m.resolved_at IS NULL AND m.closed_at IS NULL
           AND EXISTS (SELECT 1 FROM deliveries d WHERE d.miss_id = m.id AND d.recipient_id = $1
                         AND d.channel = 'sms' AND d.kind IN ('missed', 'missed_again') AND d.attempts > 0)
         ORDER BY m.detected_at DESC LIMIT 1 FOR UPDATE"
    ))
    .bind(user)
    .bind(since)
    .fetch_optional(tx)
    .await
}

/// How a missed day was handled, for the Member's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandledRow {
    pub local_day: NaiveDate,
    pub slot: i16,
    pub closed_at: Option<DateTime<Utc>>,
    /// What the Member calls whoever closed it, or said they were on it.
    pub closer: Option<String>,
    pub close_outcome: Option<String>,
    pub close_note: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledger: Option<String>,
}

pub async fn handled_between(
    conn: &mut PgConnection,
    member: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<HandledRow>> {
    sqlx::query_as(
        "SELECT m.local_day, m.slot, m.closed_at, m.close_outcome, m.close_note, m.acknowledged_at,
                (SELECT c.contact_name FROM connections c WHERE c.member_id = m.member_id AND c.contact_id = m.closed_by
                  ORDER BY c.started_at DESC LIMIT 1) AS closer,
                COALESCE((SELECT c.contact_name FROM connections c WHERE c.member_id = m.member_id AND c.contact_id = m.acknowledged_by
                  ORDER BY c.started_at DESC LIMIT 1),
                  (SELECT h.name FROM helpers h WHERE h.id = m.acknowledged_helper)) AS acknowledger
         FROM misses m WHERE m.member_id = $1 AND m.local_day BETWEEN $2 AND $3
         ORDER BY m.local_day, m.slot LIMIT 160",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// A Member whose reminder time has come and whose deadline has not yet passed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub member_id: Uuid,
    pub time_zone: String,
    pub next_deadline: DateTime<Utc>,
    pub next_slot: i16,
    /// Which of the deadline's reminders (`rules::reminder_rung`).
    pub rung: i16,
    pub push_devices: i64,
    /// A confirmed number and text reminders chosen.
    pub sms: bool,
}

/// Locks up to `limit` Members due a reminder at `now` (the rung of the ladder
/// that is due, `rules::reminder_rung`, mirrored here) and not yet sent that
/// rung for that deadline. Uses the `next_deadline` index (reminders come from
/// 60 minutes before it to the end of its grace).
/// The reminder claim ($1: now, $2: limit): Members due within the hour, read
/// through the next-deadline index (a test reads its plan).
pub const DUE_REMINDERS_SQL: &str = "SELECT s.member_id, s.time_zone, s.next_deadline, s.next_slot,
        (CASE WHEN s.next_deadline <= $1 THEN 2
              WHEN s.reminder_lead_min > 15 AND s.next_deadline - interval '15 minutes' <= $1 THEN 1
              ELSE 0 END)::int2 AS rung,
        (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = s.member_id) AS push_devices,
        EXISTS (SELECT 1 FROM phones p WHERE p.user_id = s.member_id AND p.status = 'verified'
                AND p.sms_reminders) AS sms
 FROM schedules s
 WHERE s.next_deadline > $1 - interval '60 minutes' AND s.next_deadline <= $1 + interval '60 minutes'
   AND s.next_deadline + greatest(s.grace_min, 1) * interval '1 minute' > $1
   AND s.reminder_on AND s.next_deadline - s.reminder_lead_min * interval '1 minute' <= $1
   AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.member_id = s.member_id AND r.deadline_at = s.next_deadline
                     AND r.rung = CASE WHEN s.next_deadline <= $1 THEN 2
                                       WHEN s.reminder_lead_min > 15 AND s.next_deadline - interval '15 minutes' <= $1 THEN 1
                                       ELSE 0 END)
 ORDER BY s.next_deadline LIMIT $2 FOR UPDATE OF s SKIP LOCKED";

pub async fn lock_due_reminders(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueReminder>> {
    sqlx::query_as(DUE_REMINDERS_SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(tx)
        .await
}

/// One reminder to record: whether it is sent and, if so, its token's hash.
pub struct NewReminder {
    pub member: Uuid,
    pub deadline: DateTime<Utc>,
    pub rung: i16,
    pub day: NaiveDate,
    pub token_hash: Option<String>,
    /// Something goes out (a push, a text); false when nothing is to be sent.
    pub sent: bool,
}

/// Records a batch of reminders; returns the Members whose row this call wrote
/// (another detector's earlier row wins).
pub async fn claim_reminders(
    tx: &mut PgConnection,
    rs: &[NewReminder],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    if rs.is_empty() {
        return Ok(Vec::new());
    }
    let members: Vec<Uuid> = rs.iter().map(|r| r.member).collect();
    let deadlines: Vec<DateTime<Utc>> = rs.iter().map(|r| r.deadline).collect();
    let days: Vec<NaiveDate> = rs.iter().map(|r| r.day).collect();
    let hashes: Vec<Option<String>> = rs.iter().map(|r| r.token_hash.clone()).collect();
    let sent: Vec<bool> = rs.iter().map(|r| r.sent).collect();
    let rungs: Vec<i16> = rs.iter().map(|r| r.rung).collect();
    sqlx::query_scalar(
        "INSERT INTO reminders (id, member_id, deadline_at, local_day, sent, token_hash, created_at, rung)
         SELECT gen_random_uuid(), r.member_id, r.deadline, r.day, r.sent, r.hash, $5, r.rung
         FROM unnest($1::uuid[], $2::timestamptz[], $3::date[], $4::text[], $6::bool[], $7::int2[])
              AS r(member_id, deadline, day, hash, sent, rung)
         ON CONFLICT (member_id, deadline_at, rung) DO NOTHING RETURNING member_id",
    )
    .bind(&members)
    .bind(&deadlines)
    .bind(&days)
    .bind(&hashes)
    .bind(now)
    .bind(&sent)
    .bind(&rungs)
    .fetch_all(tx)
    .await
}

/// The Member and local day a reminder token was sent for.
pub async fn reminder_by_token(
    pool: &PgPool,
    token_hash: &str,
) -> sqlx::Result<Option<(Uuid, NaiveDate)>> {
    sqlx::query_as("SELECT member_id, local_day FROM reminders WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(pool)
        .await
}

/// A person's confirmations choice and how many browsers they have subscribed.
pub async fn confirm_prefs(pool: &PgPool, user: Uuid) -> sqlx::Result<(bool, Vec<String>, i64)> {
    sqlx::query_as(
        "SELECT confirm_every, confirm_channels,
                (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = u.id)
         FROM users u WHERE u.id = $1",
    )
    .bind(user)
    .fetch_one(pool)
    .await
}

/// A person's quiet hours (start, end), if they chose them.
pub async fn quiet_hours(
    conn: &mut PgConnection,
    user: Uuid,
) -> sqlx::Result<Option<(NaiveTime, NaiveTime)>> {
    let row: Option<(Option<NaiveTime>, Option<NaiveTime>)> =
        sqlx::query_as("SELECT quiet_from, quiet_to FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(from, to)| from.zip(to)))
}

pub async fn set_quiet_hours(
    tx: &mut PgConnection,
    user: Uuid,
    hours: Option<(NaiveTime, NaiveTime)>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET quiet_from = $2, quiet_to = $3 WHERE id = $1")
        .bind(user)
        .bind(hours.map(|h| h.0))
        .bind(hours.map(|h| h.1))
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_confirm_prefs(
    tx: &mut PgConnection,
    user: Uuid,
    every: bool,
    channels: &[String],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET confirm_every = $2, confirm_channels = $3 WHERE id = $1")
        .bind(user)
        .bind(every)
        .bind(channels)
        .execute(tx)
        .await?;
    Ok(())
}

/// A helper without an account, on a Member's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HelperRow {
    pub id: Uuid,
    pub member_id: Uuid,
    pub name: String,
    pub number: String,
    pub alert_step: Option<i16>,
    pub status: String,
}

const HELPER_COLUMNS: &str = "id, member_id, name, number, alert_step, status";

/// The helpers of each of `members` (every status), oldest first.
pub async fn helpers_of(conn: &mut PgConnection, members: &[Uuid]) -> sqlx::Result<Vec<HelperRow>> {
    sqlx::query_as(&format!(
        "SELECT {HELPER_COLUMNS} FROM helpers WHERE member_id = ANY($1) AND status <> 'removed'
         ORDER BY member_id, added_at, id LIMIT {}",
        members.len() * super::helpers::MOST_HELPERS
    ))
    .bind(members)
    .fetch_all(conn)
    .await
}

/// Adds a helper (status `status`), or puts one taken off her list back; `None`
/// if the number is on her list.
#[allow(clippy::too_many_arguments)]
pub async fn add_helper(
    tx: &mut PgConnection,
    member: Uuid,
    name: &str,
    number: &str,
    step: Option<i16>,
    status: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO helpers (id, member_id, name, number, alert_step, status, added_by, added_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (member_id, number) DO UPDATE
             SET name = excluded.name, alert_step = excluded.alert_step, status = excluded.status,
                 added_by = excluded.added_by, added_at = excluded.added_at, answered_at = NULL
             WHERE helpers.status = 'removed'
         RETURNING id",
    )
    .bind(member)
    .bind(name)
    .bind(number)
    .bind(step)
    .bind(status)
    .bind(by)
    .bind(now)
    .fetch_optional(tx)
    .await
}

/// Takes a helper off a Member's list (texts still waiting to them are
/// canceled); `false` if there was no such helper.
pub async fn remove_helper(tx: &mut PgConnection, member: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE helpers SET status = 'removed' WHERE id = $1 AND member_id = $2 AND status <> 'removed'",
    )
    .bind(id)
    .bind(member)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE deliveries SET status = 'canceled', lease_until = NULL
         WHERE helper_id = $1 AND status IN ('pending', 'claimed')",
    )
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves helpers in the order: (helper, place) for `member`'s helpers only.
pub async fn place_helpers(
    tx: &mut PgConnection,
    member: Uuid,
    places: &[(Uuid, Option<i16>)],
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = places.iter().map(|(id, _)| *id).collect();
    let steps: Vec<Option<i16>> = places.iter().map(|(_, p)| *p).collect();
    sqlx::query(
        "UPDATE helpers h SET alert_step = p.step
         FROM UNNEST($2::uuid[], $3::smallint[]) AS p(id, step)
         WHERE h.id = p.id AND h.member_id = $1",
    )
    .bind(member)
    .bind(&ids)
    .bind(&steps)
    .execute(tx)
    .await?;
    Ok(())
}

/// When texts asking someone to be a helper went out since `since`: for
/// `member`'s list, and to `number` from anyone's.
pub async fn helper_asks(
    tx: &mut PgConnection,
    member: Uuid,
    number: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
    let rows: Vec<(bool, DateTime<Utc>)> = sqlx::query_as(
        "SELECT d.member_id = $1, d.created_at FROM deliveries d JOIN helpers h ON h.id = d.helper_id
         WHERE d.kind = 'helper_ask' AND d.created_at > $3 AND (d.member_id = $1 OR h.number = $2)
         ORDER BY d.created_at DESC LIMIT 50",
    )
    .bind(member)
    .bind(number)
    .bind(since)
    .fetch_all(tx)
    .await?;
    let mine = rows.iter().filter(|(m, _)| *m).map(|(_, t)| *t).collect();
    let number_times = rows.iter().map(|(_, t)| *t).collect();
    Ok((mine, number_times))
}

/// Whether the owner of `number` has ever replied STOP as a helper.
pub async fn number_stopped_helping(tx: &mut PgConnection, number: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM helpers WHERE number = $1 AND stopped_at IS NOT NULL)",
    )
    .bind(number)
    .fetch_one(tx)
    .await
}

/// Sets every helper row of `number` that is in one of `from` to `to`;
/// returns the rows changed (locked for the transaction).
pub async fn set_helpers_status(
    tx: &mut PgConnection,
    number: &str,
    from: &[&str],
    to: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<HelperRow>> {
    let from: Vec<String> = from.iter().map(|s| s.to_string()).collect();
    sqlx::query_as(&format!(
        "UPDATE helpers SET status = $3, answered_at = $4 WHERE number = $1 AND status = ANY($2)
         RETURNING {HELPER_COLUMNS}"
    ))
    .bind(number)
    .bind(&from)
    .bind(to)
    .bind(now)
    .fetch_all(tx)
    .await
}

/// STOP from `number`: never texted as anyone's helper again (until START).
pub async fn stop_helping(
    tx: &mut PgConnection,
    number: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE helpers SET stopped_at = $2,
                status = CASE WHEN status IN ('asked', 'agreed') THEN 'stopped' ELSE status END
         WHERE number = $1",
    )
    .bind(number)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// START from `number`: they may be asked again (those on a list are, by YES);
/// `true` if they had stopped.
pub async fn start_helping(tx: &mut PgConnection, number: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE helpers SET stopped_at = NULL,
                status = CASE WHEN status = 'stopped' THEN 'asked' ELSE status END
         WHERE number = $1 AND stopped_at IS NOT NULL",
    )
    .bind(number)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The newest open miss (detected since `since`) whose alert went by text to
/// a helper with `number`, with that helper: what their "1" answers. Locked.
pub async fn helper_texted_open_miss(
    tx: &mut PgConnection,
    number: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<(MissRow, HelperRow)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        m: MissRow,
        helper_id: Uuid,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {MISS_COLUMNS}, t.helper_id FROM misses m
         CROSS JOIN LATERAL (
             SELECT h.id AS helper_id FROM helpers h
             WHERE h.member_id = m.member_id AND h.number = $1 AND h.status = 'agreed'
               AND EXISTS (SELECT 1 FROM deliveries d WHERE d.miss_id = m.id AND d.helper_id = h.id
                             AND d.kind IN ('missed', 'missed_again') AND d.attempts > 0)
             LIMIT 1) t
         WHERE m.detected_at >= $2 AND m.resolved_at IS NULL AND m.closed_at IS NULL
         ORDER BY m.detected_at DESC LIMIT 1 FOR UPDATE OF m"
    ))
    .bind(number)
    .bind(since)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let helper: HelperRow = sqlx::query_as(&format!(
        "SELECT {HELPER_COLUMNS} FROM helpers WHERE id = $1"
    ))
    .bind(row.helper_id)
    .fetch_one(tx)
    .await?;
    Ok(Some((row.m, helper)))
}

/// Records a helper's "I'm on it"; `false` if someone was first.
pub async fn acknowledge_by_helper(
    tx: &mut PgConnection,
    miss: Uuid,
    helper: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE misses SET acknowledged_helper = $2, acknowledged_at = $3, next_step_at = NULL
         WHERE id = $1 AND acknowledged_at IS NULL AND closed_at IS NULL",
    )
    .bind(miss)
    .bind(helper)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The agreed helpers an alert of `miss` reached by text (to tell them it is handled).
pub async fn helpers_alerted(tx: &mut PgConnection, miss: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT DISTINCT d.helper_id FROM deliveries d JOIN helpers h ON h.id = d.helper_id
         WHERE d.miss_id = $1 AND d.kind IN ('missed', 'missed_again') AND d.attempts > 0
           AND h.status = 'agreed'
         ORDER BY d.helper_id LIMIT 10",
    )
    .bind(miss)
    .fetch_all(tx)
    .await
}

/// Every helper row of `number` (one per Member whose list it is on), locked.
pub async fn helpers_by_number(
    tx: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Vec<HelperRow>> {
    sqlx::query_as(&format!(
        "SELECT {HELPER_COLUMNS} FROM helpers WHERE number = $1 ORDER BY added_at LIMIT 100 FOR UPDATE"
    ))
    .bind(number)
    .fetch_all(tx)
    .await
}

/// What a helper, who may not know what her family calls her, is told she is
/// called: the name she gave herself, else what her first Contact calls her,
/// else "your neighbour".
pub async fn name_for_helpers(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<String> {
    let name: Option<String> = sqlx::query_scalar(
        "SELECT coalesce(u.name, (SELECT c.member_name FROM connections c WHERE c.member_id = u.id
                                   ORDER BY c.ended_at IS NULL DESC, c.started_at LIMIT 1))
         FROM users u WHERE u.id = $1",
    )
    .bind(member)
    .fetch_optional(conn)
    .await?
    .flatten();
    Ok(name.unwrap_or_else(|| "your neighbour".into()))
}
