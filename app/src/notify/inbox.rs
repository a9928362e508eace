//! The in-app inbox (server only): every statement about `notifications`, what
//! a person sees in their Notifications list.
use super::Kind;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The most notifications a list shows.
pub const LIST_LIMIT: i64 = 100;

pub struct NewNotification<'a> {
    pub user: Uuid,
    pub kind: Kind,
    pub about: Option<Uuid>,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

pub async fn add(
    tx: &mut PgConnection,
    n: &NewNotification<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    add_many(tx, std::slice::from_ref(n), now).await
}

/// Writes many notifications in one statement.
pub async fn add_many(
    tx: &mut PgConnection,
    ns: &[NewNotification<'_>],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if ns.is_empty() {
        return Ok(());
    }
    let users: Vec<Uuid> = ns.iter().map(|n| n.user).collect();
    let kinds: Vec<&str> = ns.iter().map(|n| n.kind.as_str()).collect();
    let abouts: Vec<Option<Uuid>> = ns.iter().map(|n| n.about).collect();
    let bodies: Vec<&str> = ns.iter().map(|n| n.body).collect();
    let links: Vec<Option<&str>> = ns.iter().map(|n| n.link).collect();
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, about_id, body, link, created_at)
         SELECT gen_random_uuid(), n.user_id, n.kind, n.about, n.body, n.link, $6
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[])
              AS n(user_id, kind, about, body, link)",
    )
    .bind(&users)
    .bind(&kinds)
    .bind(&abouts)
    .bind(&bodies)
    .bind(&links)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The newest notifications of `user`.
pub async fn notifications_of(
    conn: &mut PgConnection,
    user: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    sqlx::query_as(
        "SELECT id, kind, body, link, created_at, read_at FROM notifications
         WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(user)
    .bind(limit.min(LIST_LIMIT))
    .fetch_all(conn)
    .await
}

pub async fn unread_count(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(conn)
        .await
}

pub async fn mark_all_read(pool: &PgPool, user: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}
