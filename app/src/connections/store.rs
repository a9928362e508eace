//! Every SQL statement about invites and connections (server only).
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: Uuid,
    pub code: String,
    pub inviter_id: Uuid,
    pub inviter_email: String,
    pub inviter_name: Option<String>,
    pub invitee_role: String,
    pub invitee_name: String,
    pub invitee_email: String,
    pub invitee_phone: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub last_sent_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
}

const INVITE_COLUMNS: &str =
    "i.id, i.code, i.inviter_id, u.email::text AS inviter_email, u.name AS inviter_name,
     i.invitee_role, i.invitee_name, i.invitee_email::text AS invitee_email, i.invitee_phone,
     i.sent_at, i.last_sent_at,
     i.accepted_at, i.canceled_at";

/// Inserts an invite; `false` when the code is taken (the caller draws another).
#[allow(clippy::too_many_arguments)]
pub async fn insert_invite(
    tx: &mut PgConnection,
    code: &str,
    inviter: Uuid,
    invitee_role: &str,
    name: &str,
    email: &str,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO invites (id, code, inviter_id, invitee_role, invitee_name, invitee_email,
                              invitee_phone, sent_at, last_sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(code)
    .bind(inviter)
    .bind(invitee_role)
    .bind(name)
    .bind(email)
    .bind(phone)
    .bind(now)
    .fetch_optional(tx)
    .await
}

/// The invite with this code, locked for the rest of the transaction.
pub async fn invite_by_code(tx: &mut PgConnection, code: &str) -> sqlx::Result<Option<InviteRow>> {
    sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.inviter_id
         WHERE i.code = $1 FOR UPDATE OF i"
    ))
    .bind(code)
    .fetch_optional(tx)
    .await
}

/// One of `inviter`'s own invites, locked; `None` for anyone else's.
pub async fn own_invite(
    tx: &mut PgConnection,
    inviter: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<InviteRow>> {
    sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.inviter_id
         WHERE i.id = $1 AND i.inviter_id = $2 FOR UPDATE OF i"
    ))
    .bind(id)
    .bind(inviter)
    .fetch_optional(tx)
    .await
}

/// An invite not yet accepted or cancelled from `inviter` to `email` in this role.
pub async fn pending_invite_to(
    tx: &mut PgConnection,
    inviter: Uuid,
    email: &str,
    role: &str,
) -> sqlx::Result<Option<InviteRow>> {
    sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.inviter_id
         WHERE i.inviter_id = $1 AND i.invitee_email = $2::citext AND i.invitee_role = $3
           AND i.accepted_at IS NULL AND i.canceled_at IS NULL
         ORDER BY i.sent_at DESC LIMIT 1 FOR UPDATE OF i"
    ))
    .bind(inviter)
    .bind(email)
    .bind(role)
    .fetch_optional(tx)
    .await
}

pub const LIST_LIMIT: i64 = 100;

pub async fn pending_invites(pool: &PgPool, inviter: Uuid) -> sqlx::Result<Vec<InviteRow>> {
    sqlx::query_as(&format!(
        "SELECT {INVITE_COLUMNS} FROM invites i JOIN users u ON u.id = i.inviter_id
         WHERE i.inviter_id = $1 AND i.accepted_at IS NULL AND i.canceled_at IS NULL
         ORDER BY i.sent_at DESC LIMIT $2"
    ))
    .bind(inviter)
    .bind(LIST_LIMIT)
    .fetch_all(pool)
    .await
}

pub async fn mark_resent(tx: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query("UPDATE invites SET last_sent_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(tx)
        .await
        .map(|_| ())
}

pub async fn cancel_invite(
    tx: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE invites SET canceled_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(tx)
        .await
        .map(|_| ())
}

pub async fn mark_accepted(
    tx: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE invites SET accepted_at = $2, accepted_by = $3 WHERE id = $1")
        .bind(id)
        .bind(now)
        .bind(by)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Locks the Member's row, so that two accepts for one Member run one after the
/// other, and counts their active Contacts.
pub async fn lock_member_and_count_contacts(
    tx: &mut PgConnection,
    member: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
        .bind(member)
        .execute(&mut *tx)
        .await?;
    sqlx::query_scalar("SELECT count(*) FROM connections WHERE member_id = $1 AND ended_at IS NULL")
        .bind(member)
        .fetch_one(tx)
        .await
}

pub async fn active_connection_exists(
    tx: &mut PgConnection,
    member: Uuid,
    contact: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM connections WHERE member_id = $1 AND contact_id = $2 AND ended_at IS NULL)",
    )
    .bind(member)
    .bind(contact)
    .fetch_one(tx)
    .await
}

/// Is `user` already connected (in this direction) to whoever holds `email`?
pub async fn connected_to_email(
    tx: &mut PgConnection,
    user: Uuid,
    email: &str,
    other_is_member: bool,
) -> sqlx::Result<Option<String>> {
    let sql = if other_is_member {
        "SELECT c.member_name FROM connections c JOIN users m ON m.id = c.member_id
         WHERE c.contact_id = $1 AND m.email = $2::citext AND c.ended_at IS NULL"
    } else {
        "SELECT c.contact_name FROM connections c JOIN users k ON k.id = c.contact_id
         WHERE c.member_id = $1 AND k.email = $2::citext AND c.ended_at IS NULL"
    };
    sqlx::query_scalar(sql)
        .bind(user)
        .bind(email)
        .fetch_optional(tx)
        .await
}

#[allow(clippy::too_many_arguments)]
/// A connection about to start: who, what each calls the other, and the number
/// the inviting Contact gave for the Member (if any).
pub struct NewConnection<'a> {
    pub member: Uuid,
    pub contact: Uuid,
    pub member_name: &'a str,
    pub contact_name: &'a str,
    pub member_phone: Option<&'a str>,
    pub invite: Uuid,
}

pub async fn insert_connection(
    tx: &mut PgConnection,
    c: &NewConnection<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, member_phone,
                                  invite_id, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(c.member)
    .bind(c.contact)
    .bind(c.member_name)
    .bind(c.contact_name)
    .bind(c.member_phone)
    .bind(c.invite)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// Set once, never cleared.
pub async fn grandfather(tx: &mut PgConnection, member: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET grandfathered_free = true WHERE id = $1 AND NOT grandfathered_free",
    )
    .bind(member)
    .execute(tx)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub member_id: Uuid,
    pub contact_id: Uuid,
    pub member_name: String,
    pub contact_name: String,
    pub member_email: String,
    pub contact_email: String,
    pub started_at: DateTime<Utc>,
}

const CONNECTION_COLUMNS: &str = "c.id, c.member_id, c.contact_id, c.member_name, c.contact_name,
     m.email::text AS member_email, k.email::text AS contact_email, c.started_at";

/// Every active connection `user` is a party to, either side.
pub async fn connections_of(pool: &PgPool, user: Uuid) -> sqlx::Result<Vec<ConnectionRow>> {
    sqlx::query_as(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM connections c
         JOIN users m ON m.id = c.member_id JOIN users k ON k.id = c.contact_id
         WHERE (c.member_id = $1 OR c.contact_id = $1) AND c.ended_at IS NULL
         ORDER BY c.started_at LIMIT $2"
    ))
    .bind(user)
    .bind(LIST_LIMIT)
    .fetch_all(pool)
    .await
}

/// Ends an active connection `user` is a party to; `None` for anyone else's.
pub async fn end_connection(
    tx: &mut PgConnection,
    user: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<ConnectionRow>> {
    let row: Option<ConnectionRow> = sqlx::query_as(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM connections c
         JOIN users m ON m.id = c.member_id JOIN users k ON k.id = c.contact_id
         WHERE c.id = $1 AND (c.member_id = $2 OR c.contact_id = $2) AND c.ended_at IS NULL
         FOR UPDATE OF c"
    ))
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() {
        sqlx::query("UPDATE connections SET ended_at = $2, ended_by = $3 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(user)
            .execute(tx)
            .await?;
    }
    Ok(row)
}

/// Serialises one person's invitations, so two tabs cannot both pass a limit.
pub async fn lock_inviter(tx: &mut PgConnection, inviter: Uuid) -> sqlx::Result<()> {
    use crate::locks::{hold, Space};
    hold(tx, Space::Inviter, &inviter.to_string()).await
}

/// When `inviter` sent invitation mails (new or again) since `since`: the audit
/// trail keeps each; at most 100 (every limit is smaller).
pub async fn invite_mails_by(
    conn: &mut PgConnection,
    inviter: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    crate::audit::store::times_of(conn, inviter, &["invite_sent", "invite_resent"], since, 100)
        .await
}

/// When invitation mails went to `email` since `since`, by anyone (first sends and
/// the latest resend of each invitation); at most 100.
pub async fn invite_mails_to(
    conn: &mut PgConnection,
    email: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT t FROM (
             SELECT sent_at AS t FROM invites WHERE invitee_email = $1::citext AND sent_at > $2
             UNION ALL
             SELECT last_sent_at FROM invites
              WHERE invitee_email = $1::citext AND last_sent_at > $2 AND last_sent_at > sent_at
         ) s ORDER BY t DESC LIMIT 100",
    )
    .bind(email)
    .bind(since)
    .fetch_all(conn)
    .await
}

/// The ids of every active connection `user` is part of, either side.
pub async fn active_connection_ids(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM connections WHERE (member_id = $1 OR contact_id = $1) AND ended_at IS NULL
         ORDER BY started_at LIMIT $2",
    )
    .bind(user)
    .bind(LIST_LIMIT)
    .fetch_all(tx)
    .await
}

/// Cancels every invitation `inviter` sent that is still waiting.
pub async fn cancel_invites_by(
    tx: &mut PgConnection,
    inviter: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invites SET canceled_at = $2 WHERE inviter_id = $1 AND accepted_at IS NULL AND canceled_at IS NULL",
    )
    .bind(inviter)
    .bind(now)
    .execute(tx)
    .await
    .map(|_| ())
}

/// What the Member calls the Contact `who` ("Tom"), on their newest connection
/// (ended ones too: an old alert still names whoever answered it).
pub async fn contact_name(
    conn: &mut PgConnection,
    member: Uuid,
    who: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT contact_name FROM connections WHERE member_id = $1 AND contact_id = $2
         ORDER BY started_at DESC LIMIT 1",
    )
    .bind(member)
    .bind(who)
    .fetch_optional(conn)
    .await
}
