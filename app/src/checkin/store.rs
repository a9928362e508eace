//! Every SQL statement about schedules, check-ins, pauses and notifications
//! (server only).
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The most rows any list here returns.
pub const LIST_LIMIT: i64 = 100;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub member_id: Uuid,
    pub deadline: NaiveTime,
    pub time_zone: String,
    pub reminder_on: bool,
    pub reminder_lead_min: i16,
    pub grace_min: i16,
    pub next_deadline: DateTime<Utc>,
    /// Which of its day's check-ins `next_deadline` is (0: the first).
    pub next_slot: i16,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The check-in windows: their times, and each one's weekdays (a mask,
    /// `windows::Days`).
    pub window_times: Vec<NaiveTime>,
    pub window_days: Vec<i16>,
    /// The browser zone she was last asked about using while away.
    pub travel_asked_zone: Option<String>,
}

impl ScheduleRow {
    pub fn windows(&self) -> Vec<super::windows::Window> {
        windows_of(&self.window_times, &self.window_days)
    }
}

/// The windows stored as two arrays.
pub fn windows_of(times: &[NaiveTime], days: &[i16]) -> Vec<super::windows::Window> {
    times
        .iter()
        .zip(days)
        .map(|(t, d)| super::windows::Window {
            time: *t,
            days: super::windows::Days(u8::try_from(*d).unwrap_or(127)),
        })
        .collect()
}

const SCHEDULE_COLUMNS: &str = "member_id, deadline, time_zone, reminder_on, reminder_lead_min, grace_min, next_deadline, next_slot, created_at, updated_at, window_times, window_days, travel_asked_zone";

pub async fn schedule(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<Option<ScheduleRow>> {
    sqlx::query_as(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE member_id = $1"
    ))
    .bind(member)
    .fetch_optional(conn)
    .await
}

/// Each of `members`' schedule time zone (those with a schedule).
pub async fn zones_of(
    conn: &mut PgConnection,
    members: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT member_id, time_zone FROM schedules WHERE member_id = ANY($1)")
            .bind(members)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The schedule, locked for the rest of the transaction: check-ins and schedule
/// changes of one Member take turns.
pub async fn schedule_for_update(
    tx: &mut PgConnection,
    member: Uuid,
) -> sqlx::Result<Option<ScheduleRow>> {
    sqlx::query_as(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE member_id = $1 FOR UPDATE"
    ))
    .bind(member)
    .fetch_optional(tx)
    .await
}

pub struct NewSchedule<'a> {
    pub member: Uuid,
    pub windows: &'a [super::windows::Window],
    pub time_zone: &'a str,
    pub reminder_on: bool,
    pub reminder_lead_min: i16,
    pub grace_min: i16,
    pub next_deadline: DateTime<Utc>,
    pub next_slot: i16,
}

pub async fn save_schedule(
    tx: &mut PgConnection,
    s: &NewSchedule<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO schedules (member_id, deadline, time_zone, reminder_on, reminder_lead_min, grace_min,
                                next_deadline, created_at, updated_at, window_times, window_days, next_slot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)
         ON CONFLICT (member_id) DO UPDATE SET deadline = $2, time_zone = $3, reminder_on = $4,
             reminder_lead_min = $5, grace_min = $6, next_deadline = $7, updated_at = $8,
             window_times = $9, window_days = $10, next_slot = $11",
    )
    .bind(s.member)
    .bind(s.windows.iter().map(|w| w.time).min())
    .bind(s.time_zone)
    .bind(s.reminder_on)
    .bind(s.reminder_lead_min)
    .bind(s.grace_min)
    .bind(s.next_deadline)
    .bind(now)
    .bind(s.windows.iter().map(|w| w.time).collect::<Vec<_>>())
    .bind(s.windows.iter().map(|w| i16::from(w.days.0)).collect::<Vec<_>>())
    .bind(s.next_slot)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records that she was asked about `zone` (travel), whatever she answered.
pub async fn set_travel_asked(tx: &mut PgConnection, member: Uuid, zone: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE schedules SET travel_asked_zone = $2 WHERE member_id = $1")
        .bind(member)
        .bind(zone)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Moves the check-in the detector watches: slot `slot` of its day, due `at`.
pub async fn set_next_deadline(
    tx: &mut PgConnection,
    member: Uuid,
    at: DateTime<Utc>,
    slot: i16,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE schedules SET next_deadline = $2, next_slot = $3 WHERE member_id = $1")
        .bind(member)
        .bind(at)
        .bind(slot)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_user_time_zone(pool: &PgPool, user: Uuid, zone: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET time_zone = $2 WHERE id = $1 AND time_zone <> $2")
        .bind(user)
        .bind(zone)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn user_time_zone(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT time_zone FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckinRow {
    pub local_day: NaiveDate,
    pub slot: i16,
    pub checked_in_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub late: bool,
    /// "web", "sms", "push", "contact" or "phone".
    pub source: String,
}

pub struct NewCheckin {
    pub member: Uuid,
    pub local_day: NaiveDate,
    pub slot: i16,
    pub at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub late: bool,
    pub source: &'static str,
    /// The Contact who checked her in, in person.
    pub by: Option<Uuid>,
}

/// Records a check-in; `None` when the Member already has one for that day's slot.
pub async fn insert_checkin(
    tx: &mut PgConnection,
    c: &NewCheckin,
) -> sqlx::Result<Option<CheckinRow>> {
    sqlx::query_as(
        "INSERT INTO checkins (id, member_id, local_day, checked_in_at, deadline_at, late, source,
                               checked_in_by, slot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (member_id, local_day, slot) DO NOTHING
         RETURNING local_day, slot, checked_in_at, deadline_at, late, source",
    )
    .bind(Uuid::new_v4())
    .bind(c.member)
    .bind(c.local_day)
    .bind(c.at)
    .bind(c.deadline)
    .bind(c.late)
    .bind(c.source)
    .bind(c.by)
    .bind(c.slot)
    .fetch_optional(tx)
    .await
}

/// The check-ins of the local `day`, by slot.
pub async fn checkins_on(
    conn: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
) -> sqlx::Result<Vec<CheckinRow>> {
    sqlx::query_as(
        "SELECT local_day, slot, checked_in_at, deadline_at, late, source FROM checkins
         WHERE member_id = $1 AND local_day = $2 ORDER BY slot LIMIT 4",
    )
    .bind(member)
    .bind(day)
    .fetch_all(conn)
    .await
}

/// The Member's time zone and check-ins of the days around `utc_day` (a local
/// day is never more than one from the UTC one), read outside any transaction.
/// `None` when there is no schedule.
pub async fn zone_and_checkins_around(
    pool: &sqlx::PgPool,
    member: Uuid,
    utc_day: NaiveDate,
) -> sqlx::Result<Option<(String, Vec<super::windows::Window>, Vec<CheckinRow>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        time_zone: String,
        window_times: Vec<NaiveTime>,
        window_days: Vec<i16>,
        local_day: Option<NaiveDate>,
        slot: Option<i16>,
        checked_in_at: Option<DateTime<Utc>>,
        deadline_at: Option<DateTime<Utc>>,
        late: Option<bool>,
        source: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.time_zone, s.window_times, s.window_days, c.local_day, c.slot, c.checked_in_at,
                c.deadline_at, c.late, c.source
         FROM schedules s
         LEFT JOIN checkins c ON c.member_id = s.member_id
              AND c.local_day BETWEEN $2::date - 1 AND $2::date + 1
         WHERE s.member_id = $1",
    )
    .bind(member)
    .bind(utc_day)
    .fetch_all(pool)
    .await?;
    let Some((zone, windows)) = rows.first().map(|r| {
        (
            r.time_zone.clone(),
            windows_of(&r.window_times, &r.window_days),
        )
    }) else {
        return Ok(None);
    };
    let checkins = rows
        .into_iter()
        .filter_map(|r| {
            Some(CheckinRow {
                local_day: r.local_day?,
                slot: r.slot?,
                checked_in_at: r.checked_in_at?,
                deadline_at: r.deadline_at?,
                late: r.late?,
                source: r.source?,
            })
        })
        .collect();
    Ok(Some((zone, windows, checkins)))
}

pub async fn last_checkin(
    conn: &mut PgConnection,
    member: Uuid,
) -> sqlx::Result<Option<CheckinRow>> {
    sqlx::query_as(
        "SELECT local_day, slot, checked_in_at, deadline_at, late, source FROM checkins
         WHERE member_id = $1 ORDER BY checked_in_at DESC LIMIT 1",
    )
    .bind(member)
    .fetch_optional(conn)
    .await
}

/// Check-ins on the days `from..=to`, oldest first (up to four a day).
pub async fn checkins_between(
    conn: &mut PgConnection,
    member: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<CheckinRow>> {
    sqlx::query_as(
        "SELECT local_day, slot, checked_in_at, deadline_at, late, source FROM checkins
         WHERE member_id = $1 AND local_day BETWEEN $2 AND $3 ORDER BY local_day, slot LIMIT $4",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .bind(4 * LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// The days in `from..=to` a Contact checked her in in person, with what she
/// calls them (`None`: they have since left Pruuf).
pub async fn helpers_between(
    conn: &mut PgConnection,
    member: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, i16, Option<String>)>> {
    sqlx::query_as(
        "SELECT c.local_day, c.slot,
                (SELECT k.contact_name FROM connections k
                  WHERE k.member_id = c.member_id AND k.contact_id = c.checked_in_by
                  ORDER BY k.started_at DESC LIMIT 1)
           FROM checkins c
          WHERE c.member_id = $1 AND c.source = 'contact' AND c.local_day BETWEEN $2 AND $3
          ORDER BY c.local_day, c.slot LIMIT $4",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .bind(4 * LIST_LIMIT)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PauseRow {
    pub id: Uuid,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

pub async fn insert_pause(
    tx: &mut PgConnection,
    member: Uuid,
    first: NaiveDate,
    last: NaiveDate,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO pauses (id, member_id, first_day, last_day, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(member)
    .bind(first)
    .bind(last)
    .bind(by)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// Pauses not yet over on `today`, soonest first.
pub async fn pauses_from(
    conn: &mut PgConnection,
    member: Uuid,
    today: NaiveDate,
) -> sqlx::Result<Vec<PauseRow>> {
    sqlx::query_as(
        "SELECT id, first_day, last_day FROM pauses
         WHERE member_id = $1 AND last_day >= $2 AND canceled_at IS NULL
         ORDER BY first_day LIMIT $3",
    )
    .bind(member)
    .bind(today)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// Pauses that touch the days `from..=to`.
pub async fn pauses_between(
    conn: &mut PgConnection,
    member: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<PauseRow>> {
    sqlx::query_as(
        "SELECT id, first_day, last_day FROM pauses
         WHERE member_id = $1 AND last_day >= $2 AND first_day <= $3 AND canceled_at IS NULL
         ORDER BY first_day LIMIT $4",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// Ends a pause early; `None` unless it is one of `member`'s.
pub async fn cancel_pause(
    tx: &mut PgConnection,
    member: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<PauseRow>> {
    sqlx::query_as(
        "UPDATE pauses SET canceled_at = $3 WHERE id = $1 AND member_id = $2 AND canceled_at IS NULL
         RETURNING id, first_day, last_day",
    )
    .bind(id)
    .bind(member)
    .bind(now)
    .fetch_optional(tx)
    .await
}

/// One Member as a Contact sees them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WatchedRow {
    pub member_id: Uuid,
    /// What the Contact calls them.
    pub name: String,
    pub email: String,
    /// The number to call or text them on, if the Contact may see one.
    pub phone: Option<String>,
}

/// The number a Contact may call a Member on (`c` a connection, `u` the Member):
/// her own verified mobile when she chose to share it in Settings, else the one
/// this Contact gave when inviting her.
const PHONE_FOR_CONTACT: &str = "coalesce(
    (SELECT p.number FROM phones p WHERE p.user_id = c.member_id AND p.status = 'verified'
     AND u.share_phone),
    c.member_phone)";

/// The Members `contact` looks out for, by the name the Contact gave them.
pub async fn members_of(conn: &mut PgConnection, contact: Uuid) -> sqlx::Result<Vec<WatchedRow>> {
    sqlx::query_as(&format!(
        "SELECT c.member_id, c.member_name AS name, u.email::text AS email,
                {PHONE_FOR_CONTACT} AS phone
         FROM connections c
         JOIN users u ON u.id = c.member_id
         WHERE c.contact_id = $1 AND c.ended_at IS NULL ORDER BY c.started_at LIMIT $2"
    ))
    .bind(contact)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// The number `contact` may call `member` on (see [`PHONE_FOR_CONTACT`]).
pub async fn phone_for_contact(
    conn: &mut PgConnection,
    contact: Uuid,
    member: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(&format!(
        "SELECT {PHONE_FOR_CONTACT} FROM connections c JOIN users u ON u.id = c.member_id
         WHERE c.contact_id = $1 AND c.member_id = $2 AND c.ended_at IS NULL"
    ))
    .bind(contact)
    .bind(member)
    .fetch_optional(conn)
    .await
    .map(Option::flatten)
}

/// The name `contact` gave `member`, when `contact` is one of `member`'s active
/// Contacts; `None` for anyone else.
pub async fn contact_calls(
    conn: &mut PgConnection,
    contact: Uuid,
    member: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT member_name FROM connections WHERE contact_id = $1 AND member_id = $2 AND ended_at IS NULL",
    )
    .bind(contact)
    .bind(member)
    .fetch_optional(conn)
    .await
}

/// A Contact of a Member: who they are and the name they gave the Member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub contact_id: Uuid,
    /// What the Member calls them.
    pub name: String,
    pub email: String,
    /// What they call the Member.
    pub member_name: String,
}

pub async fn contacts_of(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(
        "SELECT c.contact_id, c.contact_name AS name, u.email::text AS email, c.member_name FROM connections c
         JOIN users u ON u.id = c.contact_id
         WHERE c.member_id = $1 AND c.ended_at IS NULL ORDER BY c.started_at LIMIT $2",
    )
    .bind(member)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// Names of people who were invited as `contact`'s Members and have not joined yet.
pub async fn pending_members_of(
    conn: &mut PgConnection,
    contact: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT invitee_name FROM invites
         WHERE inviter_id = $1 AND invitee_role = 'member' AND accepted_at IS NULL AND canceled_at IS NULL
           AND sent_at > $2 - interval '14 days'
         ORDER BY sent_at LIMIT $3",
    )
    .bind(contact)
    .bind(now)
    .bind(LIST_LIMIT)
    .fetch_all(conn)
    .await
}

/// Removes a Member's schedule (she left Pruuf): no deadline, so no reminder and
/// no miss can follow.
pub async fn remove_schedule(tx: &mut PgConnection, member: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM schedules WHERE member_id = $1")
        .bind(member)
        .execute(tx)
        .await
        .map(|_| ())
}

/// What can carry a Member's reminders: her browsers with reminders on that a
/// push has reached, and whether her confirmed mobile number takes text reminders.
pub async fn reminder_reach(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<(i64, bool)> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM push_subscriptions WHERE user_id = $1 AND confirmed_at IS NOT NULL),
                coalesce((SELECT status = 'verified' AND sms_reminders FROM phones WHERE user_id = $1), false)",
    )
    .bind(member)
    .fetch_one(conn)
    .await
}

/// Records that `member`'s check-in `slot` of `day` moved from `from` to `to`
/// ("I'm running late"); `false` if it had moved already (once each).
#[allow(clippy::too_many_arguments)]
pub async fn mark_late_day(
    tx: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
    slot: i16,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO late_days (member_id, local_day, moved_from, moved_to, moved_by, moved_at, slot)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(member)
    .bind(day)
    .bind(from)
    .bind(to)
    .bind(by)
    .bind(now)
    .bind(slot)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `member`'s check-in `slot` of `day` was moved later already.
pub async fn late_day_moved(
    conn: &mut PgConnection,
    member: Uuid,
    day: NaiveDate,
    slot: i16,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM late_days WHERE member_id = $1 AND local_day = $2 AND slot = $3)",
    )
    .bind(member)
    .bind(day)
    .bind(slot)
    .fetch_one(conn)
    .await
}
