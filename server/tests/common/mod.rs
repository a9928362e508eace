//! Builds the real application router around a test database.
#![allow(dead_code)]
use axum::Router;
use leptos::config::LeptosOptions;
use server::{config::Config, AppState};
use sqlx::PgPool;

pub fn config(test_clock: bool) -> Config {
    Config::from_lookup(|name| match name {
        "PRUUF_TEST_CLOCK" if test_clock => Some("1".into()),
        "PRUUF_ENV" => Some("test".into()),
        _ => None,
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
    server::router(AppState::new(leptos_options(), pool, config(test_clock)).expect("test state"))
}

pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL names the test cluster (scripts/test.sh starts one)")
}
