//! "Download my data" and "Delete my account" (issue 18), through the HTTP app as
//! the pages use them, with the real engine making the rows a family leaves
//! behind; then the 30-day purge on the test clock, checked against every column
//! of every table.
use crate::accounts::{address, log_in, path, request_code, verify};
use crate::common;
use app::accounts::signup::CreateAccount;
use app::alerts::service::Alerts;
use app::checkin::pages::{CheckIn, SaveSchedule};
use app::connections::pages::{AcceptInvite, SendInvite};
use app::notify::worker::Worker;
use app::notify::Channel;
use app::privacy::pages::DeleteAccount;
use app::privacy::service::Privacy;
use app::services::Services;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use pruuf_test_support::{browser::Browser, mailbox};
use sqlx::PgPool;

struct World {
    app: Router,
    services: Services,
    pool: PgPool,
}

fn world(pool: PgPool) -> World {
    let state = common::state(pool.clone(), common::config_with(true, &[]));
    World {
        services: state.services.clone(),
        app: server::router(state),
        pool,
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// Signs up with a name, through every step.
async fn sign_up(w: &World, email: &str, name: &str, pin: &str) -> Browser {
    let mut b = Browser::new(&w.app);
    let sent = mailbox::to(email)
        .await
        .iter()
        .filter(|m| m["subject"] == "Your Pruuf code")
        .count();
    request_code(&mut b, email).await;
    let code = mailbox::code_for(email, sent + 1).await;
    verify(&mut b, email, &code).await;
    let r = b
        .post(
            path::<CreateAccount>(),
            &[
                ("name", name),
                ("pin", pin),
                ("pin_again", pin),
                ("accept", "yes"),
                ("zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(r.header("location"), Some("/signup/size"), "{}", r.body);
    b
}

/// The newest invitation code in `email`'s mail.
async fn newest_code(email: &str) -> String {
    mailbox::to(email)
        .await
        .iter()
        .rev()
        .filter_map(|m| m["text"].as_str())
        .find_map(|t| t.split("join?code=").nth(1))
        .map(|rest| rest.chars().take(6).collect())
        .expect("a code in the mail")
}

/// `from` invites `to` to check in each day (with a phone number, if given);
/// `to` accepts.
async fn connect(from: &mut Browser, to: &mut Browser, to_email: &str, called: &str, phone: &str) {
    let r = from
        .post(
            path::<SendInvite>(),
            &[
                ("who", "member"),
                ("name", called),
                ("email", to_email),
                ("phone", phone),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = newest_code(to_email).await;
    let r = to.post(path::<AcceptInvite>(), &[("code", &code)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn user_id(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1::citext")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user")
}

/// Tom and Ann look out for Margaret ("Mum" to Tom, who gave her number). She has
/// a schedule, one check-in, a missed day whose alerts went out, a phone, a
/// browser for alerts and a failed log-in. Returns the browsers and addresses.
struct Family {
    tom: Browser,
    mum: Browser,
    tom_email: String,
    ann_email: String,
    mum_email: String,
    /// Unique per run, so a match in any table can only be hers.
    mum_name: String,
    mum_called: String,
    mum_phone: &'static str,
}

async fn family(w: &World) -> Family {
    w.services
        .clock
        .set(at("2026-12-01T08:00:00Z"))
        .expect("clock");
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let (tom_email, ann_email, mum_email) = (address("tom"), address("ann"), address("mum"));
    let mum_name = format!("Margaret {tag}");
    let mum_called = format!("Mum {tag}");
    let mut tom = sign_up(w, &tom_email, "Tom", "4826").await;
    let mut ann = sign_up(w, &ann_email, "Ann", "5937").await;
    let mut mum = sign_up(w, &mum_email, &mum_name, "3968").await;
    let mum_phone = "+14155552671";
    connect(&mut tom, &mut mum, &mum_email, &mum_called, mum_phone).await;
    connect(&mut ann, &mut mum, &mum_email, "Margaret", "").await;
    let r = mum
        .post(
            path::<SaveSchedule>(),
            &[
                ("deadline", "10:00"),
                ("time_zone", "Europe/London"),
                ("reminder_on", "on"),
                ("lead", "60"),
                ("grace", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    w.services
        .clock
        .set(at("2026-12-01T09:00:00Z"))
        .expect("clock");
    let r = mum.post(path::<CheckIn>(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The next day she misses: the detector alerts Tom and Ann, and mail goes out.
    w.services
        .clock
        .set(at("2026-12-02T10:20:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("detector");
    Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("worker");
    let mum_id = user_id(&w.pool, &mum_email).await;
    sqlx::query(
        "INSERT INTO phones (user_id, number, status, added_at, verified_at) VALUES ($1, $2, 'verified', now(), now())",
    )
    .bind(mum_id)
    .bind(mum_phone)
    .execute(&w.pool)
    .await
    .expect("phone");
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at)
         VALUES ($1, $2, 'https://push.example/margaret', 'key', 'auth', now())",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(mum_id)
    .execute(&w.pool)
    .await
    .expect("push subscription");
    let mut stranger = Browser::new(&w.app);
    let r = log_in(&mut stranger, &mum_email, "1357").await;
    assert_eq!(r.status, 400, "a wrong PIN: {}", r.body);
    Family {
        tom,
        mum,
        tom_email,
        ann_email,
        mum_email,
        mum_name,
        mum_called,
        mum_phone,
    }
}

async fn export(b: &mut Browser) -> (String, serde_json::Value) {
    let r = b.get("/settings/export").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let disposition = r
        .header("content-disposition")
        .unwrap_or_default()
        .to_string();
    let json = serde_json::from_str(&r.body).expect("the export is JSON");
    (disposition, json)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_export_holds_her_data_and_no_one_elses(pool: PgPool) {
    let w = world(pool);
    let mut f = family(&w).await;
    let (disposition, mine) = export(&mut f.mum).await;
    assert_eq!(
        disposition,
        "attachment; filename=\"pruuf-export-2026-12-02.json\""
    );
    assert_eq!(mine["profile"][0]["email"], f.mum_email.as_str());
    assert_eq!(mine["profile"][0]["name"], f.mum_name.as_str());
    assert_eq!(mine["check_ins"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["check_ins"][0]["local_day"], "2026-12-01");
    assert_eq!(mine["missed_check_ins"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["connections"].as_array().map(Vec::len), Some(2));
    assert_eq!(mine["schedule"][0]["check_in_times"][0], "10:00:00");
    assert_eq!(mine["schedule"][0]["check_in_days"][0], "every day");
    assert_eq!(mine["mobile_number"][0]["number"], f.mum_phone);
    assert!(mine["consents"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(mine["security_log"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    let text = mine.to_string();
    for other in [&f.tom_email, &f.ann_email] {
        assert!(
            !text.contains(other.as_str()),
            "another person's address in her export"
        );
    }
    assert!(
        !text.contains("pin_hash") && !text.contains("$argon2"),
        "no PIN hash"
    );

    // Compressed on its way, as browsers ask (the stream ends once, cleanly).
    let packed = f
        .mum
        .send(
            pruuf_test_support::Call::get("/settings/export")
                .header("accept", "text/html")
                .header("accept-encoding", "br, gzip"),
        )
        .await;
    assert_eq!(packed.status, 200);
    assert_eq!(packed.header("content-encoding"), Some("br"));
    assert!(!packed.body.is_empty());

    // Tom's export: his alerts about her, but not her address or her number
    // (he typed it, but it is hers), and not Ann's address.
    let (_, his) = export(&mut f.tom).await;
    let text = his.to_string();
    assert!(his["messages_sent_to_you"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(
        his["connections"][0]["you_call_them"],
        f.mum_called.as_str()
    );
    for private in [f.mum_email.as_str(), f.mum_phone, f.ann_email.as_str()] {
        assert!(
            !text.contains(private),
            "someone else's data in Tom's export: {private}"
        );
    }

    // Signed out: to the log-in page, no data.
    let r = Browser::new(&w.app).get("/settings/export").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(!r.body.contains(&f.mum_email));
}

/// Every table, as the schema has them. A new table fails this test until it is
/// added here, with a thought about whether the purge reaches it.
const TABLES: &[&str] = &[
    "answer_links_used",
    "audit_ips",
    "audit_log",
    "audit_notes",
    "billing_notices",
    "checkins",
    "checkout_sessions",
    "connections",
    "consents",
    "daily_calls",
    "deliveries",
    "devices",
    "email_codes",
    "escalations",
    "helpers",
    "invites",
    "ip_attempts",
    "job_runs",
    "late_days",
    "misses",
    "notifications",
    "pauses",
    "phone_verify_texts",
    "phones",
    "pin_failures",
    "pin_guard",
    "plans",
    "process_beats",
    "push_subscriptions",
    "reminders",
    "schedules",
    "server_settings",
    "sms_inbound",
    "stripe_dead_letters",
    "stripe_events",
    "unreachable_told",
    "users",
    "weekly_summaries",
];

/// Every (table, column, type) in the public schema that could hold her data.
async fn columns(pool: &PgPool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT table_name::text, column_name::text, udt_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(pool)
    .await
    .expect("columns")
}

/// Rows anywhere that name `needles` (in any text, citext, json or array column)
/// or hold `id` (in any uuid column): "table.column" for each hit.
async fn traces(pool: &PgPool, id: uuid::Uuid, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column, kind) in columns(pool).await {
        let hits: i64 = match kind.as_str() {
            "uuid" => {
                sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE {column} = $1"))
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .expect("uuid column")
            }
            "text" | "citext" | "jsonb" | "json" | "_text" | "varchar" => {
                let mut n = 0;
                for needle in needles {
                    let c: i64 = sqlx::query_scalar(&format!(
                        "SELECT count(*) FROM {table} WHERE strpos(lower({column}::text), lower($1)) > 0"
                    ))
                    .bind(needle)
                    .fetch_one(pool)
                    .await
                    .expect("text column");
                    n += c;
                }
                n
            }
            _ => 0,
        };
        if hits > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn deleting_ends_everything_at_once_and_the_purge_leaves_nothing_of_her(pool: PgPool) {
    let w = world(pool);
    let mut f = family(&w).await;
    let mum_id = user_id(&w.pool, &f.mum_email).await;

    // The list of tables is the schema's.
    let mut tables: Vec<String> = columns(&w.pool).await.into_iter().map(|c| c.0).collect();
    tables.dedup();
    assert_eq!(
        tables, TABLES,
        "a table was added or removed: review the purge"
    );
    // A neighbour on her list, without an account: hers, so purged with her.
    sqlx::query(
        "INSERT INTO helpers (id, member_id, name, number, status, added_at)
         VALUES (gen_random_uuid(), $1, 'Sue Quinceberry', '+14155552671', 'agreed', now())",
    )
    .bind(mum_id)
    .execute(&w.pool)
    .await
    .expect("helper");
    // Her plan for a missed check-in, written from her page.
    let address = "12 Quinceberry Lane";
    let r = f
        .mum
        .post(
            path::<app::plan::pages::SavePlan>(),
            &[
                ("member", mum_id.to_string().as_str()),
                ("plan[address]", address),
                ("plan[key_holder]", "Neighbour Sue"),
                ("plan[key_holder_phone]", "555-0101"),
            ],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.body
    );
    let needles = [
        f.mum_email.as_str(),
        f.mum_name.as_str(),
        f.mum_called.as_str(),
        f.mum_phone,
        &mum_id.to_string(),
        address,
    ];
    // An admin looked her up, with a reason that names her.
    let admin = common::person(
        &common::World {
            services: w.services.clone(),
            pool: w.pool.clone(),
        },
        "admin",
    )
    .await;
    app::admin::service::Admin(&w.services)
        .reveal(
            &common::caller(),
            &admin,
            mum_id,
            &format!("her son asked about {}", f.mum_name),
        )
        .await
        .expect("revealed");
    let before = traces(&w.pool, mum_id, &needles).await;
    for expected in [
        "audit_notes.note",
        "users.email",
        "checkins.member_id",
        "deliveries.member_id",
        "invites.invitee_email",
        "phones.number",
        "pin_failures.email",
        "plans.address",
    ] {
        assert!(
            before.contains(&expected.to_string()),
            "the family left no {expected}: {before:?}"
        );
    }

    // A wrong PIN, or no tick, deletes nothing.
    let r = f
        .mum
        .post(path::<DeleteAccount>(), &[("pin", "9142"), ("sure", "yes")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = f
        .mum
        .post(path::<DeleteAccount>(), &[("pin", "3968")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(traces(&w.pool, mum_id, &needles).await, before);

    let tom_mail = mailbox::to(&f.tom_email).await.len();
    let r = f
        .mum
        .post(path::<DeleteAccount>(), &[("pin", "3968"), ("sure", "yes")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // At once: both connections ended and Tom told; signed out; the old PIN and
    // address sign no one in; nothing more is queued to or about her.
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM connections WHERE member_id = $1 AND ended_at IS NULL",
    )
    .bind(mum_id)
    .fetch_one(&w.pool)
    .await
    .expect("count");
    assert_eq!(open, 0);
    let told = mailbox::to(&f.tom_email).await;
    assert!(told.len() > tom_mail, "Tom is told");
    assert!(told
        .iter()
        .any(|m| m["subject"].as_str() == Some(&format!("{} has left Pruuf", f.mum_called))));
    assert_eq!(
        f.mum.get("/settings/export").await.status,
        303,
        "signed out"
    );
    let r = log_in(&mut Browser::new(&w.app), &f.mum_email, "3968").await;
    assert_eq!(r.status, 400, "the old PIN no longer signs in: {}", r.body);
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE (recipient_id = $1 OR member_id = $1) AND status IN ('pending', 'claimed')",
    )
    .bind(mum_id)
    .fetch_one(&w.pool)
    .await
    .expect("count");
    assert_eq!(queued, 0);
    // Tom's home no longer lists her.
    let home = f.tom.get("/home").await;
    assert!(!home.body.contains(&f.mum_called), "Tom still sees her");

    // Deleted at 10:20 on 2 December: still held 20 minutes short of 30 days,
    // purged once they have passed.
    w.services
        .clock
        .set(at("2027-01-01T10:00:00Z"))
        .expect("clock");
    assert_eq!(Privacy(&w.services).purge_due().await.expect("purge"), 0);
    w.services
        .clock
        .advance(Duration::minutes(21))
        .expect("clock");
    assert_eq!(Privacy(&w.services).purge_due().await.expect("purge"), 1);
    let left = traces(&w.pool, mum_id, &needles).await;
    assert!(left.is_empty(), "her data is still in: {left:?}");
    // Erased beside the chain, appended to it, never rewritten: still intact.
    let v = app::audit::service::Audit(&w.services)
        .verify()
        .await
        .expect("verify");
    assert_eq!(v.first_bad, None, "{}", v.summary());
    let purged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE event = 'account_purged' AND subject IS NOT NULL",
    )
    .fetch_one(&w.pool)
    .await
    .expect("count");
    assert_eq!(purged, 1);
    // Tom's own account is still there.
    user_id(&w.pool, &f.tom_email).await;

    // Her address starts afresh.
    let mut again = sign_up(&w, &f.mum_email, "Margaret", "2684").await;
    let (_, fresh) = export(&mut again).await;
    assert_eq!(fresh["check_ins"].as_array().map(Vec::len), Some(0));
    assert_eq!(fresh["connections"].as_array().map(Vec::len), Some(0));
}
