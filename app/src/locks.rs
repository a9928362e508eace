//! Transaction-scoped advisory locks (server only), in one place: each kind of
//! thing serialised has its own key space, so two kinds can never share a lock by
//! accident, and each lock ends with its transaction (commit, rollback or a
//! dropped connection), whatever happens in between.
use sqlx::PgConnection;

/// What a lock serialises; the number keeps each space's keys apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Everything about one email address (codes, the PIN guard); case-blind.
    Address = 7,
    /// Telling one person one kind of thing, when a limit is read then written.
    Telling = 16,
    /// One person's invitations.
    Inviter = 23,
    /// Adding one phone number, whoever adds it.
    PhoneNumber = 29,
    /// The audit chain: one entry appended at a time, by every process.
    AuditChain = 31,
}

/// Holds the lock on `key` in `space` until the transaction ends.
pub async fn hold(tx: &mut PgConnection, space: Space, key: &str) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
        .bind(key)
        .bind(space as i64)
        .execute(tx)
        .await?;
    Ok(())
}
