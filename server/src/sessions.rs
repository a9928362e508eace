//! Sessions: tower-sessions with its PostgreSQL store (the table is created by our
//! migrations). The cookie is HttpOnly and SameSite=Lax (Strict would sign out a
//! Contact who opens an alert link from an email); over https it is Secure and
//! `__Host-` prefixed. Thirty days without use and it lapses.
use crate::AppState;
use app::clock::Clock;
use sqlx::PgPool;
use std::time::Duration;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub const COOKIE_SECURE: &str = "__Host-pruuf_session";
pub const COOKIE_LOCAL: &str = "pruuf_session";
pub const IDLE_DAYS: i64 = 30;

pub fn layer(state: &AppState) -> SessionManagerLayer<PostgresStore> {
    let secure = state.config.secure_cookies;
    SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name(if secure { COOKIE_SECURE } else { COOKIE_LOCAL })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::days(IDLE_DAYS)))
}

/// Every ten minutes, removes expired sessions and the attempts, failures and codes
/// no rule looks at any more. A failure is logged and tried again next time.
pub fn spawn_housekeeping(pool: PgPool, clock: Clock) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = app::accounts::store::housekeeping(&pool, clock.now()).await {
                tracing::warn!(error = %e, "housekeeping failed; trying again later");
            }
        }
    });
}
