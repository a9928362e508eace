//! Builds the real application router around a test database.
use app::accounts::service::Me;
use app::accounts::store as account_store;
use app::accounts::text_size::TextSize;
use app::services::{Caller, Services};
use axum::Router;
use leptos::config::LeptosOptions;
use server::{config::Config, AppState};
use sqlx::PgPool;

pub fn config(test_clock: bool) -> Config {
    config_with(test_clock, &[])
}

/// Every integration test's logs, at the production level, go to the file named by
/// PRUUF_TEST_LOG: scripts/test.sh then scans them for the tests' addresses and
/// numbers (SPEC §10: no personal data in logs).
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(path) = std::env::var_os("PRUUF_TEST_LOG") else {
            return;
        };
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        else {
            return;
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx=warn"))
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

/// The test configuration with some variables set.
pub fn config_with(test_clock: bool, vars: &[(&str, &str)]) -> Config {
    capture_logs();
    let smtp = std::env::var("PRUUF_SMTP_URL").ok();
    Config::from_lookup(|name| {
        if let Some((_, v)) = vars.iter().find(|(k, _)| *k == name) {
            return Some(v.to_string());
        }
        match name {
            "PRUUF_TEST_CLOCK" if test_clock => Some("1".into()),
            "PRUUF_ENV" => Some("test".into()),
            "PRUUF_SMTP_URL" => smtp.clone(),
            _ => None,
        }
    })
    .expect("test configuration")
}

pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("pruuf")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build()
}

pub fn app(pool: PgPool, test_clock: bool) -> Router {
    server::router(state(pool, config(test_clock)))
}

pub fn state(pool: PgPool, config: Config) -> AppState {
    AppState::new(leptos_options(), pool, config).expect("test state")
}

pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL names the test cluster (scripts/test.sh starts one)")
}

/// The application's services around a test database, with the test clock.
pub struct World {
    pub services: Services,
    pub pool: PgPool,
}

pub fn world(pool: PgPool) -> World {
    let state = state(pool.clone(), config(true));
    World {
        services: state.services.clone(),
        pool,
    }
}

pub fn caller() -> Caller {
    Caller {
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    }
}

/// A signed-in person with a fresh address.
pub async fn person(w: &World, name: &str) -> Me {
    let email = format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut tx = w.pool.begin().await.expect("tx");
    let now = w.services.clock.now();
    let new = account_store::NewUser {
        email: &email,
        pin_hash: "$argon2id$stand-in",
        text_size: "standard",
        name: Some(name),
        time_zone: None,
    };
    let user = account_store::insert_user(&mut tx, &new, now)
        .await
        .expect("insert")
        .expect("new");
    let device = account_store::insert_device(&mut tx, user, "test", now)
        .await
        .expect("device");
    tx.commit().await.expect("commit");
    Me {
        user_id: user,
        device_id: device,
        email,
        name: Some(name.to_string()),
        text_size: TextSize::Standard,
        needs_consent: false,
        is_admin: false,
    }
}

/// A second pool on the same database: another server process's connections.
pub async fn connect_again(pool: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .expect("a second pool")
}
