//! Sets up `scripts/bench-checkin.sh` (a benchmark, not a test): BENCH_MEMBERS
//! Members (default 12000), each with a schedule, one signed-in device and its
//! session; and one Contact per three Members, signed in the same way, who chose
//! email confirmations (so each first check-in writes a delivery as well as the
//! in-app notification). The sessions and devices are the rows a log-in makes
//! (a `devices` row and a tower-sessions record pointing at it), written directly
//! rather than through 16,000 argon2 log-ins. Each session is marked as already
//! seen today, as if the Member had opened the page before tapping, so the first
//! check-in is measured on its own.
//!
//! Writes one session cookie value per line to `BENCH_OUT/members.txt` and
//! `BENCH_OUT/contacts.txt`.
use futures_util::{stream, StreamExt, TryStreamExt};
use server::config::Config;
use std::collections::HashMap;
use std::io::Write;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let members: i64 = std::env::var("BENCH_MEMBERS")
        .unwrap_or_else(|_| "12000".into())
        .parse()?;
    let out = std::path::PathBuf::from(
        std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/bench".into()),
    );
    std::fs::create_dir_all(&out)?;
    let config = Config::from_lookup(|name| match name {
        "PRUUF_ENV" => Some("test".into()),
        other => std::env::var(other).ok(),
    })?;
    let pool = server::db::connect(&config.database_url, 8).await?;
    server::db::migrate(&pool, &config.database_url).await?;
    sqlx::query(
        "TRUNCATE deliveries, misses, checkins, pauses, notifications, schedules, connections,
                  devices, consents, users, tower_sessions.session CASCADE",
    )
    .execute(&pool)
    .await?;

    // Everyone: a user, consent to the current terms, one device. Members: a
    // schedule (on time until 23:59 UTC). Contacts: one per three Members.
    let contacts = (members + 2) / 3;
    sqlx::query(
        "INSERT INTO users (id, email, pin_hash, text_size, created_at, name, time_zone)
         SELECT gen_random_uuid(), CASE WHEN g <= $1 THEN 'member' ELSE 'contact' END || g || '@bench.example',
                'x', 'standard', now(), 'Bench ' || g, 'UTC'
         FROM generate_series(1, $1 + $2) g",
    )
    .bind(members)
    .bind(contacts)
    .execute(&pool)
    .await?;
    sqlx::query(
        "UPDATE users SET confirm_channels = ARRAY['email'] WHERE email LIKE 'contact%@bench.example'",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO consents (user_id, terms_version, privacy_version, accepted_at, ip, user_agent)
         SELECT id, $1, $2, now(), '127.0.0.1', 'bench' FROM users",
    )
    .bind(&config.terms_version)
    .bind(&config.privacy_version)
    .execute(&pool)
    .await?;
    let today = app::clock::Clock::system().now().date_naive();
    sqlx::query(
        "INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at)
         SELECT id, '23:59', 'UTC', $1::date + time '23:59', now(), now()
         FROM users WHERE email LIKE 'member%@bench.example'",
    )
    .bind(today)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         SELECT gen_random_uuid(), m.id, c.id, 'Mum', 'Tom', now()
         FROM users m
         JOIN users c ON c.email = 'contact' || ($1 + 1 + (substring(m.email from 7 for position('@' in m.email) - 7)::int - 1) / 3) || '@bench.example'
         WHERE m.email LIKE 'member%@bench.example'",
    )
    .bind(members)
    .execute(&pool)
    .await?;
    let devices: Vec<(Uuid, String)> = sqlx::query_as(
        "INSERT INTO devices (id, user_id, label, created_at, last_seen_at)
         SELECT gen_random_uuid(), id, 'Chrome on Linux', now(), now() FROM users
         RETURNING id, (SELECT email FROM users u WHERE u.id = user_id)",
    )
    .fetch_all(&pool)
    .await?;

    // The session records a log-in makes, through the store the server uses.
    let store = PostgresStore::new(pool.clone());
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    let sessions: Vec<(String, String)> = stream::iter(devices)
        .map(|(device, email)| {
            let store = store.clone();
            async move {
                let mut record = Record {
                    id: Id::default(),
                    data: HashMap::from([
                        ("device".to_string(), serde_json::json!(device)),
                        ("seen_on".to_string(), serde_json::json!(today)),
                    ]),
                    expiry_date: expiry,
                };
                store.create(&mut record).await?;
                Ok::<_, tower_sessions::session_store::Error>((email, record.id.to_string()))
            }
        })
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let mut m = std::fs::File::create(out.join("members.txt"))?;
    let mut c = std::fs::File::create(out.join("contacts.txt"))?;
    for (email, cookie) in &sessions {
        let file = if email.starts_with("member") {
            &mut m
        } else {
            &mut c
        };
        writeln!(file, "{cookie}")?;
    }
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    println!(
        "{members} Members and {contacts} Contacts (3 Members each), signed in; cookies in {}",
        out.display()
    );
    Ok(())
}
