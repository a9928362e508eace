//! The operator's side (issue 19) through the real router and PostgreSQL: the
//! 404 wall, the step-up, retry from the page (audited), and the audit chain:
//! intact on a normal history, naming the exact entry after an edit or a
//! deletion by SQL, append-only by trigger, and one chain when two servers
//! append at once.
use crate::accounts::{address, log_in, path, sign_up};
use crate::common;
use app::admin::pages::deliveries::{AdminDeliveries, AdminDelivery, AdminRetry};
use app::admin::pages::health::AdminHealth;
use app::admin::pages::people::AdminSearch;
use app::admin::pages::person::{AdminPerson, AdminReveal};
use app::admin::pages::step_up::{AdminSendCode, AdminStepUp};
use app::admin::pages::webhooks::{AdminDeadLetters, AdminReplay};
use app::admin::pages::AdminReady;
use app::admin::service::Admin;
use app::audit::service::{Audit, Verification};
use app::audit::store::{append, NewEntry};
use app::notify::worker::Worker;
use app::notify::Channel;
use app::services::Services;
use app::validation::Email;
use axum::Router;
use chrono::Duration;
use pruuf_test_support::{browser::Browser, mailbox};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) struct World {
    pub(crate) app: Router,
    pub(crate) services: Services,
    pub(crate) pool: PgPool,
}

impl World {
    /// The same app as the account tests' world (for their sign-up helpers).
    fn as_accounts(&self) -> crate::accounts::World {
        crate::accounts::World {
            app: self.app.clone(),
            clock: self.services.clock.clone(),
            pool: self.pool.clone(),
        }
    }
}

pub(crate) fn world(pool: PgPool) -> World {
    let state = common::state(pool.clone(), common::config_with(true, &[]));
    World {
        services: state.services.clone(),
        app: server::router(state),
        pool,
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count")
}

/// The newest admin code mailed to `email`, waiting for the `n`th.
async fn admin_code(email: &str, n: usize) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let mails: Vec<serde_json::Value> = mailbox::to(email)
            .await
            .into_iter()
            .filter(|m| m["subject"] == "Your Pruuf admin code")
            .collect();
        if mails.len() >= n {
            let text = mails
                .last()
                .and_then(|m| m["text"].as_str())
                .unwrap_or_default();
            return text
                .split("admin code is ")
                .nth(1)
                .map(|rest| rest.chars().take(6).collect())
                .expect("a code in the mail");
        }
        assert!(tokio::time::Instant::now() < deadline, "no admin code came");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Someone signed up, granted admin as the command line does, signed in and
/// stepped up: ready to use the admin pages.
pub(crate) async fn stepped_up_admin(app: &Router, services: &Services) -> (Browser, String) {
    let w = crate::accounts::World {
        app: app.clone(),
        clock: services.clock.clone(),
        pool: services.pool.clone(),
    };
    let email = address("admin");
    let mut b = sign_up(&w, &email, "3968").await;
    Admin(services)
        .set_admin(&Email::parse(&email).expect("email"), true)
        .await
        .expect("granted");
    // (A minute after the sign-up's own code: codes to one address are a minute apart.)
    services.clock.advance(Duration::minutes(2)).expect("clock");
    let r = b.post(path::<AdminSendCode>(), &[("next", "/admin")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = admin_code(&email, 1).await;
    let r = b
        .post(
            path::<AdminStepUp>(),
            &[("code", &code), ("next", "/admin")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (b, email)
}

/// Every admin page, and every admin server function with plausible arguments.
/// A server function's path and its form fields.
type Calls = Vec<(&'static str, Vec<(&'static str, String)>)>;

fn admin_doors() -> (Vec<String>, Calls) {
    let id = Uuid::new_v4().to_string();
    let pages = vec![
        "/admin".to_string(),
        "/admin/".to_string(),
        "/admin/verify?next=/admin".to_string(),
        "/admin/people?q=example".to_string(),
        format!("/admin/people/{id}"),
        "/admin/deliveries?trouble=failed".to_string(),
        format!("/admin/deliveries/{id}"),
        "/admin/webhooks".to_string(),
        "/admin/anything-else".to_string(),
    ];
    let functions = vec![
        (path::<AdminHealth>(), vec![]),
        (path::<AdminReady>(), vec![]),
        (path::<AdminSearch>(), vec![("q", "example".to_string())]),
        (path::<AdminPerson>(), vec![("id", id.clone())]),
        (
            path::<AdminReveal>(),
            vec![("id", id.clone()), ("reason", "ticket 1".into())],
        ),
        (
            path::<AdminDeliveries>(),
            vec![
                ("trouble", "failed".into()),
                ("channel", String::new()),
                ("kind", String::new()),
                ("person", String::new()),
            ],
        ),
        (path::<AdminDelivery>(), vec![("id", id.clone())]),
        (
            path::<AdminRetry>(),
            vec![("ids", id.clone()), ("back", "/admin".into())],
        ),
        (path::<AdminDeadLetters>(), vec![]),
        (path::<AdminReplay>(), vec![("id", id.clone())]),
        (path::<AdminSendCode>(), vec![("next", "/admin".into())]),
        (
            path::<AdminStepUp>(),
            vec![("code", "123456".into()), ("next", "/admin".into())],
        ),
    ];
    (pages, functions)
}

/// A failed email delivery to `to` (as the worker leaves one after its last try).
async fn failed_delivery(pool: &PgPool, to: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO deliveries (id, recipient_id, member_id, kind, channel, status, attempts, last_error,
                                 payload, next_attempt_at, created_at)
         VALUES ($1, $2, $2, 'test', 'email', 'failed', 6, 'the mail relay refused it', $3, now(), now())",
    )
    .bind(id)
    .bind(to)
    .bind(json!({ "title": "A test alert from Pruuf", "body": "This is a test.", "link": "/home" }))
    .execute(pool)
    .await
    .expect("a failed delivery");
    id
}

async fn user_id(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1::citext")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_non_admin_gets_404_on_every_admin_page_and_function_and_changes_nothing(pool: PgPool) {
    let w = world(pool);
    let aw = w.as_accounts();
    let email = address("visitor");
    let signed_in = sign_up(&aw, &email, "5172").await;
    let me = user_id(&w.pool, &email).await;
    let failed = failed_delivery(&w.pool, me).await;
    let unknown = Browser::new(&w.app).get("/no-such-page").await;
    assert_eq!(unknown.status, 404);
    let (pages, functions) = admin_doors();
    let entries_before = count(&w.pool, "SELECT count(*) FROM audit_log").await;
    let mails_before = mailbox::to(&email).await.len();
    for (who, mut b) in [
        ("signed out", Browser::new(&w.app)),
        ("signed in", signed_in),
    ] {
        for page in &pages {
            let r = b.get(page).await;
            assert_eq!(r.status, 404, "{who} {page}: {}", r.status);
            assert!(
                r.body.contains("We couldn&#x27;t find that page")
                    || r.body.contains("We couldn't find that page"),
                "{who} {page}: the ordinary not-found page"
            );
            assert!(
                !r.body.contains("Confirm it"),
                "{who} {page}: no hint of a step-up"
            );
        }
        for (function, args) in &functions {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = b.post(function, &args).await;
            assert_eq!(r.status, 404, "{who} {function}: {}", r.body);
            // The id of the failed delivery, too.
            let r = b
                .post(
                    path::<AdminRetry>(),
                    &[("ids", &failed.to_string()), ("back", "/admin")],
                )
                .await;
            assert_eq!(r.status, 404, "{who}: {}", r.body);
        }
    }
    let status: String = sqlx::query_scalar("SELECT status FROM deliveries WHERE id = $1")
        .bind(failed)
        .fetch_one(&w.pool)
        .await
        .expect("status");
    assert_eq!(status, "failed", "nothing was retried");
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM audit_log").await,
        entries_before
    );
    assert_eq!(
        mailbox::to(&email).await.len(),
        mails_before,
        "no code was sent"
    );
    // Admin is never given from the web: the flag is unchanged by all of it.
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM users WHERE is_admin").await,
        0
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_admin_without_a_recent_step_up_is_asked_for_a_code(pool: PgPool) {
    let w = world(pool);
    let aw = w.as_accounts();
    let email = address("operator");
    let mut b = sign_up(&aw, &email, "3968").await;
    Admin(&w.services)
        .set_admin(&Email::parse(&email).expect("email"), true)
        .await
        .expect("granted");
    // Signed in, an admin, no step-up: the page asks for a code; the data is refused.
    let page = b.get("/admin").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Email me a code"), "{}", page.body);
    assert!(!page.body.contains("Detector lag"));
    let r = b.post(path::<AdminHealth>(), &[]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = b.post(path::<AdminSearch>(), &[("q", "example")]).await;
    assert_eq!(r.status, 403, "{}", r.body);

    w.services
        .clock
        .advance(Duration::minutes(2))
        .expect("clock");
    let r = b
        .post(path::<AdminSendCode>(), &[("next", "/admin/people?q=ex")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = admin_code(&email, 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b
        .post(
            path::<AdminStepUp>(),
            &[("code", wrong), ("next", "/admin")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!b.get("/admin").await.body.contains("Detector lag"));
    let r = b
        .post(
            path::<AdminStepUp>(),
            &[("code", &code), ("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/admin"),
        "only an admin page is followed"
    );
    let page = b.get("/admin").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Detector lag"), "{}", page.body);
    assert_eq!(
        page.header("cache-control"),
        Some("no-store"),
        "kept by no cache"
    );
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit_log WHERE event LIKE 'admin.%' ORDER BY seq")
            .fetch_all(&w.pool)
            .await
            .expect("events");
    assert_eq!(
        events,
        ["admin.granted", "admin.step_up_failed", "admin.step_up"]
    );

    // Twelve hours on, the code is asked for again.
    w.services
        .clock
        .advance(Duration::hours(12))
        .expect("clock");
    let page = b.get("/admin").await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Email me a code"));
    // A revoked admin meets the wall again, however fresh the step-up.
    let r = b.post(path::<AdminSendCode>(), &[("next", "/admin")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = admin_code(&email, 2).await;
    b.post(
        path::<AdminStepUp>(),
        &[("code", &code), ("next", "/admin")],
    )
    .await;
    assert_eq!(b.get("/admin").await.status, 200);
    Admin(&w.services)
        .set_admin(&Email::parse(&email).expect("email"), false)
        .await
        .expect("revoked");
    assert_eq!(b.get("/admin").await.status, 404);
    assert_eq!(b.post(path::<AdminHealth>(), &[]).await.status, 404);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn search_masks_reveal_and_retry_from_the_pages_are_audited(pool: PgPool) {
    let w = world(pool);
    let (mut admin, admin_email) = stepped_up_admin(&w.app, &w.services).await;
    let admin_id = user_id(&w.pool, &admin_email).await;
    let aw = w.as_accounts();
    let tag = Uuid::new_v4().simple().to_string()[..10].to_string();
    let margaret = format!("margaret-{tag}@example.com");
    sign_up(&aw, &margaret, "5172").await;
    let her = user_id(&w.pool, &margaret).await;

    // Found by a part of her address; shown masked.
    let r = admin.post(path::<AdminSearch>(), &[("q", &tag[..6])]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hits = r.json();
    assert_eq!(hits.as_array().map(Vec::len), Some(1), "{hits}");
    assert_eq!(hits[0]["email"], "m***@example.com");
    assert!(!r.body.contains(&tag), "{}", r.body);
    let page = admin.get(&format!("/admin/people?q={}", &tag[..6])).await;
    assert!(page.body.contains("m***@example.com"));
    assert!(!page.body.contains(&margaret));
    let r = admin.post(path::<AdminSearch>(), &[("q", "x")]).await;
    assert_eq!(r.status, 400, "too short: {}", r.body);

    // Her page is masked until a reason is given; the look is audited.
    let r = admin
        .post(path::<AdminPerson>(), &[("id", &her.to_string())])
        .await;
    assert_eq!(r.json()["email"], "m***@example.com");
    let r = admin
        .post(
            path::<AdminReveal>(),
            &[("id", &her.to_string()), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status, 400, "a reason is needed: {}", r.body);
    let r = admin
        .post(
            path::<AdminReveal>(),
            &[("id", &her.to_string()), ("reason", "support ticket 412")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .post(path::<AdminPerson>(), &[("id", &her.to_string())])
        .await;
    assert_eq!(r.json()["email"], margaret.as_str());
    let (detail, note, subject_is_her, actor_is_admin): (serde_json::Value, String, bool, bool) =
        sqlx::query_as(
            "SELECT a.detail, n.note, a.subject = s.audit_ref, a.actor = t.audit_ref
               FROM audit_log a JOIN audit_notes n ON n.entry_id = a.id, users s, users t
              WHERE a.event = 'admin.revealed' AND s.id = $1 AND t.id = $2",
        )
        .bind(her)
        .bind(admin_id)
        .fetch_one(&w.pool)
        .await
        .expect("the reveal is audited");
    // The reason beside the chain (erasable), its keyed digest in it.
    assert_eq!(note, "support ticket 412");
    assert_eq!(
        detail["note_digest"],
        app::audit::rules::hex(&w.services.settings.audit_key.note_digest(&note))
    );
    assert!(subject_is_her && actor_is_admin);
    // Searches and looks are audited too, without what was typed.
    let searched: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE event = 'admin.searched' ORDER BY seq",
    )
    .fetch_all(&w.pool)
    .await
    .expect("searches");
    assert_eq!(searched[0], json!({ "matched": 1, "by_id": false }));
    let typed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE strpos(detail::text, $1) > 0")
            .bind(&tag[..6])
            .fetch_one(&w.pool)
            .await
            .expect("count");
    assert_eq!(typed, 0, "the search words are not kept");
    let looks: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT a.detail FROM audit_log a JOIN users u ON u.audit_ref = a.subject
          WHERE a.event = 'admin.viewed_person' AND u.id = $1 ORDER BY a.seq",
    )
    .bind(her)
    .fetch_all(&w.pool)
    .await
    .expect("looks");
    assert_eq!(
        looks,
        [json!({ "revealed": false }), json!({ "revealed": true })]
    );

    // A failed delivery is listed, opened and retried; then the worker sends it.
    let failed = failed_delivery(&w.pool, her).await;
    let r = admin
        .post(
            path::<AdminDeliveries>(),
            &[
                ("trouble", "failed"),
                ("channel", "email"),
                ("kind", "test"),
                ("person", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&failed.to_string()));
    let r = admin
        .post(
            path::<AdminDeliveries>(),
            &[
                ("trouble", "failed"),
                ("channel", "sms"),
                ("kind", ""),
                ("person", ""),
            ],
        )
        .await;
    assert!(!r.body.contains(&failed.to_string()), "filtered by channel");
    for (person, found) in [(her, true), (admin_id, false)] {
        let r = admin
            .post(
                path::<AdminDeliveries>(),
                &[
                    ("trouble", "failed"),
                    ("channel", ""),
                    ("kind", ""),
                    ("person", &person.to_string()),
                ],
            )
            .await;
        assert_eq!(
            r.body.contains(&failed.to_string()),
            found,
            "filtered by person"
        );
    }
    let r = admin
        .post(
            path::<AdminDeliveries>(),
            &[
                ("trouble", "lost"),
                ("channel", ""),
                ("kind", ""),
                ("person", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    let page = admin.get(&format!("/admin/deliveries/{failed}")).await;
    assert!(
        page.body.contains("the mail relay refused it"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Retry this delivery"));
    let r = admin
        .post(
            path::<AdminRetry>(),
            &[("ids", "not-an-id"), ("back", "/admin")],
        )
        .await;
    assert_eq!(r.status, 400);
    let r = admin
        .post(
            path::<AdminRetry>(),
            &[
                ("ids", &failed.to_string()),
                ("back", &format!("/admin/deliveries/{failed}")),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.trim(), "1");
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM deliveries WHERE id = $1")
            .bind(failed)
            .fetch_one(&w.pool)
            .await
            .expect("row");
    assert_eq!(
        (status.as_str(), attempts),
        ("pending", 6),
        "back in the queue, its trail kept"
    );
    let detail: serde_json::Value =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE event = 'admin.deliveries_retried'")
            .fetch_one(&w.pool)
            .await
            .expect("the retry is audited");
    assert_eq!(detail, json!({ "asked": 1, "retried": [failed] }));
    let before = mailbox::to(&margaret).await.len();
    Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    let status: String = sqlx::query_scalar("SELECT status FROM deliveries WHERE id = $1")
        .bind(failed)
        .fetch_one(&w.pool)
        .await
        .expect("status");
    assert_eq!(status, "sent");
    assert_eq!(mailbox::to(&margaret).await.len(), before + 1);
    // A sent delivery is not sent again by a second retry.
    let r = admin
        .post(
            path::<AdminRetry>(),
            &[("ids", &failed.to_string()), ("back", "/admin")],
        )
        .await;
    assert_eq!(r.body.trim(), "0");
    // Nothing goes again to (or about) an account that was deleted.
    let to_the_deleted = failed_delivery(&w.pool, her).await;
    sqlx::query("UPDATE users SET deleted_at = now() WHERE id = $1")
        .bind(her)
        .execute(&w.pool)
        .await
        .expect("deleted");
    let r = admin
        .post(
            path::<AdminRetry>(),
            &[("ids", &to_the_deleted.to_string()), ("back", "/admin")],
        )
        .await;
    assert_eq!(r.body.trim(), "0", "{}", r.body);

    let v = Audit(&w.services).verify().await.expect("verify");
    assert_eq!(v.first_bad, None, "{}", v.summary());
}

/// A normal history: accounts made, log-ins right and wrong, sign-outs.
async fn some_history(w: &World) {
    let aw = w.as_accounts();
    for name in ["ann", "bob", "cy"] {
        let email = address(name);
        sign_up(&aw, &email, "5172").await;
        let mut b = Browser::new(&w.app);
        log_in(&mut b, &email, "9999").await;
        log_in(&mut b, &email, "5172").await;
    }
}

async fn verified(services: &Services) -> Verification {
    Audit(services).verify().await.expect("the log can be read")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn audit_verify_passes_then_names_the_entry_edited_or_deleted_by_sql(pool: PgPool) {
    let w = world(pool);
    some_history(&w).await;
    let v = verified(&w.services).await;
    assert_eq!(v.first_bad, None, "{}", v.summary());
    assert!(v.entries >= 9, "{}", v.summary());
    assert_eq!(v.summary(), format!("{} entries, chain intact", v.entries));

    // The trigger refuses every change, whoever asks.
    for sql in [
        "UPDATE audit_log SET event = 'nothing' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
        "TRUNCATE audit_log CASCADE",
    ] {
        let e = sqlx::query(sql).execute(&w.pool).await.expect_err(sql);
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }

    // A writer without the key: the trigger off, one failed log-in made to look
    // like none. The check names that entry.
    let target: (i64, i64, serde_json::Value) = sqlx::query_as(
        "SELECT id, seq, detail FROM audit_log WHERE event = 'login_failed' ORDER BY seq LIMIT 1 OFFSET 1",
    )
    .fetch_one(&w.pool)
    .await
    .expect("a failed log-in");
    tamper(
        &w.pool,
        &format!(
            "UPDATE audit_log SET detail = '{{}}' WHERE seq = {}",
            target.1
        ),
    )
    .await;
    let v = verified(&w.services).await;
    let bad = v.first_bad.clone().expect("the edit is found");
    assert_eq!(
        (bad.id, bad.seq),
        (target.0, Some(target.1)),
        "{}",
        v.summary()
    );
    assert!(v.summary().contains("changed"), "{}", v.summary());
    assert!(
        v.summary().contains(&format!("entry {}", target.1)),
        "{}",
        v.summary()
    );

    // Put back exactly as it was: intact again (the check is about the content).
    tamper(
        &w.pool,
        &format!(
            "UPDATE audit_log SET detail = '{}'::jsonb WHERE seq = {}",
            target.2, target.1
        ),
    )
    .await;
    assert_eq!(verified(&w.services).await.first_bad, None);

    // Re-hashing the edited entry with a guessed key does not help either.
    tamper(
        &w.pool,
        &format!(
            "UPDATE audit_log SET event = 'login', hash = sha256(hash) WHERE seq = {}",
            target.1
        ),
    )
    .await;
    let v = verified(&w.services).await;
    assert_eq!(
        v.first_bad.as_ref().map(|b| b.seq),
        Some(Some(target.1)),
        "{}",
        v.summary()
    );
    tamper(
        &w.pool,
        &format!("DELETE FROM audit_log WHERE seq = {}", target.1),
    )
    .await;
    let v = verified(&w.services).await;
    let bad = v.first_bad.clone().expect("the deletion is found");
    assert_eq!(bad.seq, Some(target.1), "{}", v.summary());
    assert!(v.summary().contains("missing"), "{}", v.summary());
}

/// Runs `sql` as a database writer without the key would: the trigger off.
async fn tamper(pool: &PgPool, sql: &str) {
    let mut tx = pool.begin().await.expect("tx");
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
        .execute(&mut *tx)
        .await
        .expect("trigger off");
    if sql.starts_with("DELETE FROM audit_log") {
        let cond = sql.trim_start_matches("DELETE FROM audit_log ");
        sqlx::query(&format!(
            "DELETE FROM audit_ips WHERE entry_id IN (SELECT id FROM audit_log {cond})"
        ))
        .execute(&mut *tx)
        .await
        .expect("its address");
    }
    sqlx::query(sql).execute(&mut *tx).await.expect("the edit");
    sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete")
        .execute(&mut *tx)
        .await
        .expect("trigger on");
    tx.commit().await.expect("commit");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn entries_deleted_from_the_end_are_noticed_at_the_next_check(pool: PgPool) {
    let w = world(pool);
    some_history(&w).await;
    let first = verified(&w.services).await;
    assert_eq!(first.first_bad, None);
    tamper(
        &w.pool,
        &format!("DELETE FROM audit_log WHERE seq >= {}", first.head_seq - 1),
    )
    .await;
    // Noticed, and noticed again: a bad check is never the next one's baseline.
    for _ in 0..2 {
        let v = verified(&w.services).await;
        assert_eq!(
            v.first_bad.as_ref().map(|b| b.seq),
            Some(Some(first.head_seq)),
            "{}",
            v.summary()
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_address_beside_the_chain_can_be_erased_not_changed_and_references_never_move(
    pool: PgPool,
) {
    let w = world(pool);
    some_history(&w).await;
    let (id, seq): (i64, i64) = sqlx::query_as(
        "SELECT a.id, a.seq FROM audit_log a JOIN audit_ips i ON i.entry_id = a.id ORDER BY a.seq LIMIT 1 OFFSET 2",
    )
    .fetch_one(&w.pool)
    .await
    .expect("an entry with an address");
    sqlx::query("UPDATE audit_ips SET ip = '198.51.100.7' WHERE entry_id = $1")
        .bind(id)
        .execute(&w.pool)
        .await
        .expect("changed");
    let v = verified(&w.services).await;
    assert_eq!(
        v.first_bad.as_ref().map(|b| b.seq),
        Some(Some(seq)),
        "{}",
        v.summary()
    );
    sqlx::query("DELETE FROM audit_ips WHERE entry_id = $1")
        .bind(id)
        .execute(&w.pool)
        .await
        .expect("erased");
    assert_eq!(verified(&w.services).await.first_bad, None);
    let e = sqlx::query("UPDATE users SET audit_ref = gen_random_uuid()")
        .execute(&w.pool)
        .await
        .expect_err("references are fixed");
    assert!(e.to_string().contains("never changes"), "{e}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_servers_appending_at_once_leave_one_unbroken_chain(pool: PgPool) {
    // Two servers: each its own pool (its own connections), the same database.
    let one = world(pool.clone());
    let two = world(common::connect_again(&pool).await);
    let run = |services: Services, server: &'static str| {
        tokio::spawn(async move {
            let mut tasks = Vec::new();
            for lane in 0..8 {
                let services = services.clone();
                tasks.push(tokio::spawn(async move {
                    for n in 0..125 {
                        let mut tx = services.pool.begin().await.expect("tx");
                        append(
                            &mut tx,
                            &services.settings.audit_key,
                            NewEntry {
                                at: services.clock.now(),
                                actor: None,
                                subject: None,
                                event: "test.append",
                                ip: Some("192.0.2.1"),
                                detail: json!({ "server": server, "lane": lane, "n": n }),
                                note: None,
                            },
                        )
                        .await
                        .expect("append");
                        tx.commit().await.expect("commit");
                    }
                }));
            }
            for t in tasks {
                t.await.expect("lane");
            }
        })
    };
    let (a, b) = tokio::join!(
        run(one.services.clone(), "one"),
        run(two.services.clone(), "two")
    );
    a.expect("server one");
    b.expect("server two");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE event = 'test.append'"
        )
        .await,
        2000
    );
    assert_eq!(
        count(&pool, "SELECT count(DISTINCT prev_hash) FROM audit_log").await,
        count(&pool, "SELECT count(*) FROM audit_log").await,
        "no two entries follow the same one: no fork"
    );
    let v = verified(&one.services).await;
    assert_eq!(v.first_bad, None, "{}", v.summary());
    assert_eq!(
        v.entries,
        count(&pool, "SELECT count(*) FROM audit_log").await
    );
    assert_eq!(v.head_seq, v.entries, "places 1..N, no gaps");
}

/// The `server` binary itself, on this test's database, from the workspace root.
/// Run off this test's runtime (a single thread): while the command runs, this
/// test's own tasks (a connection's rollback being flushed, say) must go on, or
/// the command could wait for a lock that thread will never release.
async fn cli(pool: &PgPool, args: &[&str]) -> (bool, String) {
    let mut url = url::Url::parse(&common::database_url()).expect("DATABASE_URL");
    url.set_path(&format!(
        "/{}",
        pool.connect_options().get_database().expect("a database")
    ));
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(&args)
            .env("DATABASE_URL", url.as_str())
            .env("PRUUF_ENV", "test")
            .env("RUST_LOG", "error")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .output()
            .expect("the server binary runs")
    });
    // A bound on a failure only: the command answers in well under a second.
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the command ended")
        .expect("the command's thread");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_command_line_grants_revokes_and_verifies(pool: PgPool) {
    let w = world(pool.clone());
    some_history(&w).await;
    let email = address("operator");
    let aw = w.as_accounts();
    sign_up(&aw, &email, "3968").await;
    let (ok, text) = cli(&pool, &["admin", "grant", "nobody@example.com"]).await;
    assert!(
        !ok && text.contains("No account uses that address"),
        "{text}"
    );
    let (ok, text) = cli(&pool, &["admin", "grant", &email]).await;
    assert!(ok && text.contains("granted (1 admin now)"), "{text}");
    let admin: bool = sqlx::query_scalar("SELECT is_admin FROM users WHERE email = $1::citext")
        .bind(&email)
        .fetch_one(&pool)
        .await
        .expect("flag");
    assert!(admin);
    let (ok, text) = cli(&pool, &["admin", "revoke", &email]).await;
    assert!(ok && text.contains("revoked (0 admins now)"), "{text}");
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM audit_log WHERE event LIKE 'admin.%' ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("events");
    assert_eq!(events, ["admin.granted", "admin.revoked"]);

    let entries = count(&pool, "SELECT count(*) FROM audit_log").await;
    let (ok, text) = cli(&pool, &["audit", "verify"]).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{entries} entries, chain intact")),
        "{text}"
    );
    tamper(&pool, "UPDATE audit_log SET event = 'login' WHERE seq = 4").await;
    let (ok, text) = cli(&pool, &["audit", "verify"]).await;
    assert!(!ok, "a broken chain fails the command: {text}");
    assert!(text.contains("chain broken at entry 4"), "{text}");
}
