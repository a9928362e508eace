//! The audit log (server only): a keyed hash chain of what people and admins did.
//! Every domain appends through [`store::append`] inside the transaction that
//! made the change; `service` walks the chain (`server audit verify`).
pub mod rules;
pub mod service;
pub mod store;

use chrono::{DateTime, Utc};
use rules::AuditKey;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records what `actor` did from address `ip`, in the caller's transaction.
pub async fn record(
    key: &AuditKey,
    tx: &mut PgConnection,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    event: &str,
    ip: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    append_one(key, tx, at, (actor, None), event, ip, detail).await
}

/// Records something that happened to `subject`'s account from address `ip`,
/// by nobody known (a wrong PIN typed for it, the lockout that followed).
pub async fn record_about(
    key: &AuditKey,
    tx: &mut PgConnection,
    at: DateTime<Utc>,
    subject: Option<Uuid>,
    event: &str,
    ip: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    append_one(key, tx, at, (None, subject), event, ip, detail).await
}

/// Records something `actor` did that concerns `subject` (a Contact reading a
/// Member's plan).
#[allow(clippy::too_many_arguments)]
pub async fn record_on(
    key: &AuditKey,
    tx: &mut PgConnection,
    at: DateTime<Utc>,
    actor: Uuid,
    subject: Uuid,
    event: &str,
    ip: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    append_one(key, tx, at, (Some(actor), Some(subject)), event, ip, detail).await
}

async fn append_one(
    key: &AuditKey,
    tx: &mut PgConnection,
    at: DateTime<Utc>,
    (actor, subject): (Option<Uuid>, Option<Uuid>),
    event: &str,
    ip: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    let entry = store::NewEntry {
        at,
        actor,
        subject,
        event,
        ip: Some(ip),
        detail,
        note: None,
    };
    store::append(tx, key, entry).await.map(|_| ())
}
