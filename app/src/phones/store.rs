//! Every SQL statement about mobile numbers and inbound texts (server only).
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::notify::outbox::NUMBER_HOLDER;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhoneRow {
    pub user_id: Uuid,
    pub number: String,
    pub status: String,
    pub sms_reminders: bool,
    pub added_at: DateTime<Utc>,
}

pub async fn phone_of(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<PhoneRow>> {
    sqlx::query_as(
        "SELECT user_id, number, status, sms_reminders, added_at FROM phones WHERE user_id = $1",
    )
    .bind(user)
    .fetch_optional(conn)
    .await
}

/// What she asked to be called (her own name), if she gave one.
pub async fn own_name(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
}

pub async fn phone_by_number(
    conn: &mut PgConnection,
    number: &str,
) -> sqlx::Result<Option<PhoneRow>> {
    // Serialises with adding this number.
    crate::locks::hold(&mut *conn, crate::locks::Space::PhoneNumber, number).await?;
    sqlx::query_as(&format!(
        "SELECT user_id, number, status, sms_reminders, added_at FROM phones
         WHERE user_id = ({NUMBER_HOLDER}) FOR UPDATE"
    ))
    .bind(number)
    .fetch_optional(conn)
    .await
}

/// What adding a number did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetPhone {
    /// Saved as pending: ask it for a YES.
    Saved,
    /// It is already this person's confirmed number: nothing reset, nothing sent.
    AlreadyConfirmed,
    /// Another account holds it: saved as pending but never asked (no text, and
    /// no YES confirms it), so the answer is the same as `Saved`'s.
    Held,
}

pub async fn set_phone(
    tx: &mut PgConnection,
    user: Uuid,
    number: &str,
    sms_reminders: bool,
    now: DateTime<Utc>,
    pending_expired: DateTime<Utc>,
) -> sqlx::Result<SetPhone> {
    // Serialises adding this number, whoever adds it.
    crate::locks::hold(&mut *tx, crate::locks::Space::PhoneNumber, number).await?;
    let same = sqlx::query(
        "UPDATE phones SET sms_reminders = $3 WHERE user_id = $1 AND number = $2 AND status = 'verified'",
    )
    .bind(user)
    .bind(number)
    .bind(sms_reminders)
    .execute(&mut *tx)
    .await?;
    if same.rows_affected() == 1 {
        return Ok(SetPhone::AlreadyConfirmed);
    }
    // Someone else's number that they never confirmed is let go after a while.
    sqlx::query(
        "DELETE FROM phones WHERE number = $1 AND user_id <> $2 AND status = 'pending' AND added_at < $3",
    )
    .bind(number)
    .bind(user)
    .bind(pending_expired)
    .execute(&mut *tx)
    .await?;
    let held: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM phones WHERE number = $1 AND user_id <> $2 AND status <> 'pending')",
    )
    .bind(number)
    .bind(user)
    .fetch_one(&mut *tx)
    .await?;
    // A daily check-in call to the mobile she is replacing was confirmed by
    // that mobile: it waits to be confirmed by a call again.
    sqlx::query(
        "UPDATE daily_calls SET confirmed_at = NULL WHERE member_id = $1 AND number = (
             SELECT number FROM phones WHERE user_id = $1 AND status = 'verified' AND number <> $2)",
    )
    .bind(user)
    .bind(number)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO phones (user_id, number, status, sms_reminders, added_at, asked)
         VALUES ($1, $2, 'pending', $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET number = $2, status = 'pending', sms_reminders = $3,
             added_at = $4, asked = $5, added_seq = nextval('phone_adds'),
             verify_reminded_at = NULL, verified_at = NULL",
    )
    .bind(user)
    .bind(number)
    .bind(sms_reminders)
    .bind(now)
    .bind(!held)
    .execute(&mut *tx)
    .await?;
    Ok(if held {
        SetPhone::Held
    } else {
        SetPhone::Saved
    })
}

/// Records a text asking `number` for a YES, and forgets those older than two days.
pub async fn record_verify_text(
    tx: &mut PgConnection,
    user: Uuid,
    number: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM phone_verify_texts WHERE at < $1")
        .bind(now - chrono::Duration::days(2))
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO phone_verify_texts (user_id, number, at) VALUES ($1, $2, $3)")
        .bind(user)
        .bind(number)
        .bind(now)
        .execute(tx)
        .await?;
    Ok(())
}

/// When texts asking for a YES went out since `since`: asked by `user` (any
/// number), and to `number` (by anyone). At most 100 each.
pub async fn verify_texts(
    tx: &mut PgConnection,
    user: Uuid,
    number: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<(Vec<DateTime<Utc>>, Vec<DateTime<Utc>>)> {
    let by_user = sqlx::query_scalar(
        "SELECT at FROM phone_verify_texts WHERE user_id = $1 AND at > $2 ORDER BY at DESC LIMIT 100",
    )
    .bind(user)
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    let to_number = sqlx::query_scalar(
        "SELECT at FROM phone_verify_texts WHERE number = $1 AND at > $2 ORDER BY at DESC LIMIT 100",
    )
    .bind(number)
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    Ok((by_user, to_number))
}

pub async fn set_reminders(conn: &mut PgConnection, user: Uuid, on: bool) -> sqlx::Result<()> {
    sqlx::query("UPDATE phones SET sms_reminders = $2 WHERE user_id = $1")
        .bind(user)
        .bind(on)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes her mobile. A daily check-in call to it (`calls`) was confirmed by
/// her confirming the mobile: it waits to be confirmed by a call again.
pub async fn remove_phone(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "WITH gone AS (DELETE FROM phones WHERE user_id = $1 RETURNING number, status)
         UPDATE daily_calls SET confirmed_at = NULL
         WHERE member_id = $1 AND number IN (SELECT number FROM gone WHERE status = 'verified')",
    )
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    user: Uuid,
    status: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let number: Option<String> = sqlx::query_scalar(
        "UPDATE phones SET status = $2,
             verified_at = CASE WHEN $2 = 'verified' THEN coalesce(verified_at, $3) ELSE verified_at END
         WHERE user_id = $1 RETURNING number",
    )
    .bind(user)
    .bind(status)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    match number {
        Some(number) if status != "pending" => {
            crate::notify::outbox::stop_asking_others(conn, &number, user).await
        }
        _ => Ok(()),
    }
}

/// START after STOP: back to confirmed if it was confirmed, else waiting for YES.
pub async fn restart(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE phones SET status = CASE WHEN verified_at IS NULL THEN 'pending' ELSE 'verified' END
         WHERE user_id = $1",
    )
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an inbound text by Twilio's id; `false` when it was handled before.
pub async fn first_time(
    tx: &mut PgConnection,
    message_sid: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO sms_inbound (message_sid, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(message_sid)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Numbers still waiting for YES a day after the first text, not yet reminded;
/// marks them reminded. Returns (user, number).
pub async fn claim_verify_reminders(
    tx: &mut PgConnection,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "UPDATE phones SET verify_reminded_at = $2
         WHERE user_id IN (SELECT user_id FROM phones
                           WHERE status = 'pending' AND asked AND verify_reminded_at IS NULL AND added_at <= $1
                           ORDER BY added_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING user_id, number",
    )
    .bind(before)
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await
}
