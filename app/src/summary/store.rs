//! The weekly summary's SQL.
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Claims, once each, up to `limit` Contacts whose summary is due at `now`:
/// Monday from `rules::SEND_FROM_HOUR` in their zone, wanting it,
/// looking out for someone, and not yet sent this week. (Contact, week start.)
pub async fn claim_due(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, NaiveDate)>> {
    sqlx::query_as(
        "WITH due AS (
             SELECT u.id, (($1 AT TIME ZONE u.time_zone)::date - 7) AS week_start
             FROM users u
             WHERE u.weekly_summary AND u.deleted_at IS NULL
               AND extract(isodow FROM ($1 AT TIME ZONE u.time_zone)) = 1
               AND extract(hour FROM ($1 AT TIME ZONE u.time_zone)) >= $3
               AND EXISTS (SELECT 1 FROM connections c WHERE c.contact_id = u.id AND c.ended_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM weekly_summaries w
                               WHERE w.contact_id = u.id AND w.week_start = ($1 AT TIME ZONE u.time_zone)::date - 7)
             ORDER BY u.id LIMIT $2)
         INSERT INTO weekly_summaries (contact_id, week_start, sent_at)
         SELECT id, week_start, $1 FROM due ON CONFLICT DO NOTHING
         RETURNING contact_id, week_start",
    )
    .bind(now)
    .bind(limit)
    .bind(super::rules::SEND_FROM_HOUR)
    .fetch_all(tx)
    .await
}

/// The Members `contact` looks out for: (Member, what the Contact calls her).
pub async fn members_of(
    conn: &mut PgConnection,
    contact: Uuid,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT c.member_id, c.member_name FROM connections c
         JOIN schedules s ON s.member_id = c.member_id
         WHERE c.contact_id = $1 AND c.ended_at IS NULL ORDER BY c.started_at LIMIT 50",
    )
    .bind(contact)
    .fetch_all(conn)
    .await
}

/// A Member's days from `from` to `to`: check-ins (day, slot, late), missed
/// check-ins (day, slot), and pauses (first, last day).
pub struct WeekFacts {
    pub checkins: Vec<(NaiveDate, i16, bool)>,
    pub missed: Vec<(NaiveDate, i16)>,
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
}

pub async fn week_facts(
    conn: &mut PgConnection,
    member: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<WeekFacts> {
    let checkins = sqlx::query_as(
        "SELECT local_day, slot, late FROM checkins WHERE member_id = $1 AND local_day BETWEEN $2 AND $3 LIMIT 28",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let missed = sqlx::query_as(
        "SELECT local_day, slot FROM misses WHERE member_id = $1 AND local_day BETWEEN $2 AND $3 LIMIT 28",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let pauses = sqlx::query_as(
        "SELECT first_day, last_day FROM pauses
         WHERE member_id = $1 AND canceled_at IS NULL AND first_day <= $3 AND last_day >= $2 LIMIT 7",
    )
    .bind(member)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(WeekFacts {
        checkins,
        missed,
        pauses,
    })
}

pub async fn weekly_on(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT weekly_summary FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

pub async fn set_weekly(tx: &mut PgConnection, user: Uuid, on: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET weekly_summary = $2 WHERE id = $1")
        .bind(user)
        .bind(on)
        .execute(tx)
        .await?;
    Ok(())
}
