//! Benchmark (not a test): loads N Members due in the same minute, each watched by
//! one Contact, then runs what one production process runs when their grace ends:
//! the detector claims every miss and writes its deliveries, and the email worker
//! (the same loop as `server::alerts`: passes until one claims nothing) hands every
//! alert to a fast local SMTP sink. Prints the time to the first alert handed over
//! and to the last. Run through `scripts/bench-detector.sh`.
//!
//! Environment: DATABASE_URL; BENCH_MEMBERS (default 10000), comma-separated for
//! several sizes in one run (e.g. `10000,100000`); BENCH_TWO_WINDOWS (default
//! `0,4`): for each size, one run where every Nth Member has two check-ins a
//! day (10:00 AM and 8:00 PM; 0: nobody, 4: a quarter), so one window and two
//! are compared in one run on one machine (issue 22).
use app::alerts::service::Alerts;
use app::clock::Clock;
use app::notify::worker::Worker;
use app::notify::Channel;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use pruuf_test_support::smtp::SmtpSink;
use server::{config::Config, AppState};
use std::time::{Duration, Instant};

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::var("BENCH_MEMBERS")
        .unwrap_or_else(|_| "10000".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let every: Vec<i64> = std::env::var("BENCH_TWO_WINDOWS")
        .unwrap_or_else(|_| "0,4".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    for members in sizes {
        for nth in &every {
            run(members, *nth).await?;
        }
    }
    Ok(())
}

async fn run(members: usize, two_every: i64) -> Result<(), Box<dyn std::error::Error>> {
    let sink = SmtpSink::start().await?;
    let url = sink.url();
    let config = Config::from_lookup(|name| match name {
        "PRUUF_TEST_CLOCK" => Some("1".into()),
        "PRUUF_ENV" => Some("test".into()),
        "PRUUF_SMTP_URL" => Some(url.clone()),
        other => std::env::var(other).ok(),
    })?;
    // A production process's pool size for its background loops.
    let pool = server::db::connect(&config.database_url, 10).await?;
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

    let loading = Instant::now();
    sqlx::query(
        "WITH k AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'contact' || g || '@bench.example', 'x', 'standard', now()
             FROM generate_series(1, $1) g RETURNING id, email)
         , m AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'member-of-' || k.email, 'x', 'standard', now() FROM k RETURNING id, email)
         , s AS (
             INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at,
                                    window_times, window_days)
             SELECT id, '10:00', 'Pacific/Honolulu', $2, now(), now(),
                    -- Every Nth a second check-in at 8:00 PM; the others one
                    -- window (the table's default for a lone deadline).
                    CASE WHEN $3 > 0 AND row_number() OVER () % $3 = 0
                         THEN ARRAY['10:00', '20:00']::time[] END,
                    CASE WHEN $3 > 0 AND row_number() OVER () % $3 = 0
                         THEN ARRAY[127, 127]::int2[] END
             FROM m RETURNING member_id)
         INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         SELECT gen_random_uuid(), m.id, k.id, 'Mum', 'Tom', now()
         FROM m JOIN k ON m.email = 'member-of-' || k.email",
    )
    .bind(members as i64)
    .bind(due)
    .bind(two_every)
    .execute(&pool)
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    let two: i64 =
        sqlx::query_scalar("SELECT count(*) FROM schedules WHERE cardinality(window_times) = 2")
            .fetch_one(&pool)
            .await?;
    println!(
        "\n{members} Members due at {due}, one Contact each, {two} with two check-ins a day (loaded in {:.1} s)",
        loading.elapsed().as_secs_f64()
    );

    let mut services = state.services.clone();
    services.clock = Clock::manual(due + chrono::Duration::minutes(16));
    let started = Instant::now();
    // The detector and the email worker run side by side, as in the server.
    let detector_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let detector = {
        let services = services.clone();
        let done = detector_done.clone();
        tokio::spawn(async move {
            let mut missed = 0;
            loop {
                let pass = Alerts(&services).detect().await?;
                missed += pass.missed;
                if pass.missed == 0 {
                    done.store(true, std::sync::atomic::Ordering::SeqCst);
                    return Ok::<(usize, Duration), sqlx::Error>((missed, started.elapsed()));
                }
            }
        })
    };
    let worker = tokio::spawn(async move {
        let mut sent = 0;
        let mut idle = 0;
        // Like the server's worker: passes until one claims nothing, polling again
        // shortly after (the server's waits for its next tick); here, until the
        // detector is done too and two passes in a row found nothing.
        while !(idle >= 2 && detector_done.load(std::sync::atomic::Ordering::SeqCst)) {
            let pass = Worker(&services).deliver(&[Channel::Email]).await?;
            sent += pass.sent;
            if pass.claimed == 0 {
                idle += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            } else {
                idle = 0;
            }
        }
        Ok::<usize, sqlx::Error>(sent)
    });
    let (missed, detected) = detector.await??;
    let sent = worker.await??;
    let offset = started.duration_since(sink.started);
    let taken = sink.taken();
    let (first, last) = match (taken.first(), taken.last()) {
        (Some(f), Some(l)) => (f.at.saturating_sub(offset), l.at.saturating_sub(offset)),
        _ => (Duration::ZERO, Duration::ZERO),
    };
    println!(
        "  detector: {missed} misses claimed and their deliveries written in {}",
        seconds(detected)
    );
    println!(
        "  email worker: {sent} handed over; the sink took {} mails on {} connections, at most {} at once",
        taken.len(),
        sink.connections(),
        sink.most_held()
    );
    // How the hand-overs spread over the run: a steady rate, or a stall.
    let mut marks = Vec::new();
    let mut mark = Duration::from_secs(10);
    while mark < last + Duration::from_secs(10) {
        let by = taken
            .iter()
            .filter(|t| t.at.saturating_sub(offset) <= mark)
            .count();
        marks.push(format!("{}s {by}", mark.as_secs()));
        mark += Duration::from_secs(10);
    }
    println!("  handed over by: {}", marks.join(", "));
    println!("  first alert handed over: {}", seconds(first));
    println!(
        "  last alert handed over:  {} ({:.0} mails/s)",
        seconds(last),
        taken.len() as f64 / last.as_secs_f64().max(0.001)
    );
    Ok(())
}
