//! Benchmark (not a test): loads N Members due in the same minute, each watched by
//! one Contact, then times (1) the detectors claiming every miss and writing its
//! deliveries and (2) the workers handing every delivery to the mail relay.
//! Prints the figures. Run through `scripts/bench-detector.sh`, which starts a
//! throwaway PostgreSQL and the local mail catcher.
//!
//! Environment: DATABASE_URL, PRUUF_SMTP_URL; BENCH_MEMBERS (default 100000),
//! BENCH_DETECTORS (default 2), BENCH_WORKERS (default 8).
use app::clock::Clock;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use server::{config::Config, AppState};
use std::time::Instant;

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let members = number("BENCH_MEMBERS", 100_000);
    let detectors = number("BENCH_DETECTORS", 2);
    let workers = number("BENCH_WORKERS", 8);
    let config = Config::from_lookup(|name| match name {
        "PRUUF_TEST_CLOCK" => Some("1".into()),
        "PRUUF_ENV" => Some("test".into()),
        other => std::env::var(other).ok(),
    })?;
    let pool = server::db::connect(&config.database_url, (detectors + workers + 2) as u32).await?;
    server::db::migrate(&pool, &config.database_url).await?;
    sqlx::query("TRUNCATE deliveries, misses, checkins, pauses, notifications, schedules, connections, users CASCADE")
        .execute(&pool)
        .await?;
    let options = LeptosOptions::builder()
        .output_name("pruuf")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let state = AppState::new(options, pool.clone(), config)?;
    let due: DateTime<Utc> = "2026-11-26T20:00:00Z".parse()?;

    let started = Instant::now();
    sqlx::query(
        "WITH k AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'contact' || g || '@bench.example', 'x', 'standard', now()
             FROM generate_series(1, $1) g RETURNING id, email)
         , m AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'member-of-' || k.email, 'x', 'standard', now() FROM k RETURNING id, email)
         , s AS (
             INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at)
             SELECT id, '10:00', 'Pacific/Honolulu', $2, now(), now() FROM m RETURNING member_id)
         INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         SELECT gen_random_uuid(), m.id, k.id, 'Mum', 'Tom', now()
         FROM m JOIN k ON m.email = 'member-of-' || k.email",
    )
    .bind(members as i64)
    .bind(due)
    .execute(&pool)
    .await?;
    println!(
        "loaded {members} Members due at {due} in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let at = due + chrono::Duration::minutes(16);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..detectors {
        let mut accounts = state.accounts.clone();
        accounts.clock = Clock::manual(at);
        tasks.push(tokio::spawn(async move { accounts.detect().await }));
    }
    let mut claimed = 0;
    for t in tasks {
        claimed += t.await??.missed;
    }
    let detect_secs = started.elapsed().as_secs_f64();
    println!(
        "detectors: {detectors}; claimed {claimed} misses and wrote their deliveries in {detect_secs:.1} s ({:.0} misses/s)",
        claimed as f64 / detect_secs
    );

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let mut accounts = state.accounts.clone();
        accounts.clock = Clock::manual(at);
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let pass = accounts.deliver(&["email"]).await?;
                if pass.claimed == 0 {
                    return Ok::<usize, sqlx::Error>(sent);
                }
                sent += pass.sent;
            }
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await??;
    }
    let send_secs = started.elapsed().as_secs_f64();
    println!(
        "workers: {workers}; handed {sent} deliveries to the mail relay in {send_secs:.1} s ({:.0}/s)",
        sent as f64 / send_secs
    );
    println!(
        "total from the deadline's grace ending to every alert handed over: {:.1} s",
        detect_secs + send_secs
    );
    Ok(())
}
