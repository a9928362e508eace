//! Builds the real application router around a test database.
use axum::Router;
use leptos::config::LeptosOptions;
use server::{config::Config, AppState};
use sqlx::PgPool;

pub fn config(test_clock: bool) -> Config {
    config_with(test_clock, &[])
}

/// The test configuration with some variables set.
pub fn config_with(test_clock: bool, vars: &[(&str, &str)]) -> Config {
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
