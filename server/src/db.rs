//! The database pool and migrations. Everything shared between server processes
//! lives in PostgreSQL.
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL is not a PostgreSQL URL")]
    BadUrl,
    #[error(
        "cannot reach the database at {place}: {reason}. Is PostgreSQL running? (set DATABASE_URL)"
    )]
    Unreachable { place: String, reason: String },
    #[error("could not apply the migrations to {place}: {reason}")]
    Migration { place: String, reason: String },
}

/// `host:port/database`, never the user name or password.
pub fn describe(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => format!(
            "{}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("")
        ),
        Err(_) => "(unreadable DATABASE_URL)".into(),
    }
}

/// Connects, failing fast when the database is not there.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(|_| DbError::BadUrl)?;
    // One direct connection first: it fails with the real reason (refused, no such
    // host, bad password) where the pool would only say it timed out.
    let unreachable = |e: sqlx::Error| DbError::Unreachable {
        place: describe(url),
        reason: short_reason(&e),
    };
    let probe = tokio::time::timeout(Duration::from_secs(5), options.connect())
        .await
        .map_err(|_| unreachable(sqlx::Error::PoolTimedOut))?
        .map_err(unreachable)?;
    let _ = probe.close().await;
    PgPoolOptions::new()
        .max_connections(max_connections)
        // A request waits at most this long for a connection, so losing the
        // database gives a quick, friendly error rather than a hung page.
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .map_err(unreachable)
}

pub async fn migrate(pool: &PgPool, url: &str) -> Result<(), DbError> {
    MIGRATOR.run(pool).await.map_err(|e| DbError::Migration {
        place: describe(url),
        reason: e.to_string(),
    })
}

/// True when the database answers within two seconds.
pub async fn is_reachable(pool: &PgPool) -> bool {
    let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Ok(1))
    )
}

fn short_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}
