//! The HTTP stack against a real PostgreSQL: health, readiness, pages, security
//! headers, the Origin check, the body limit and the test clock.
use crate::common;

use leptos::server_fn::ServerFn;
use pruuf_test_support::{Call, ORIGIN};
use sqlx::PgPool;

fn text_size_path() -> &'static str {
    <app::accounts::text_size_control::SetTextSize as ServerFn>::PATH
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn health_and_ready_answer(pool: PgPool) {
    let app = common::app(pool, false);
    let health = Call::get("/health").send(&app).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "alive");
    let ready = Call::get("/ready").send(&app).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["status"], "ready");
    assert!(ready.header("x-request-id").is_some());
}

/// `/metrics`: nobody off this machine without the token; with it, the outbox
/// backlog by channel and kind in Prometheus' text format.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn metrics_are_for_this_machine_or_the_token_holder(pool: PgPool) {
    let token = "a-scraper-token-of-enough-length";
    let app = server::router(common::state(
        pool.clone(),
        common::config_with(false, &[("PRUUF_METRICS_TOKEN", token)]),
    ));
    // The in-process router has no peer address: like a caller from elsewhere.
    assert_eq!(Call::get("/metrics").send(&app).await.status, 404);
    let wrong = Call::get("/metrics")
        .header("authorization", "Bearer a-scraper-token-of-enough-lengtH")
        .send(&app)
        .await;
    assert_eq!(wrong.status, 404);

    let user: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (id, email, pin_hash, text_size, created_at)
         VALUES (gen_random_uuid(), 'ops@example.com', 'x', 'standard', now()) RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .expect("user");
    sqlx::query(
        "INSERT INTO deliveries (id, recipient_id, member_id, kind, channel, payload, next_attempt_at, created_at)
         SELECT gen_random_uuid(), $1, $1, 'test', 'email', '{}'::jsonb, now(), now() FROM generate_series(1, 3)",
    )
    .bind(user)
    .execute(&pool)
    .await
    .expect("queued");
    let got = Call::get("/metrics")
        .header("authorization", &format!("Bearer {token}"))
        .send(&app)
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(got
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    assert!(
        got.body
            .contains("pruuf_outbox_waiting{channel=\"email\",kind=\"test\"} 3"),
        "{}",
        got.body
    );
    assert!(got.body.contains("# TYPE pruuf_detector_lag_seconds gauge"));
    assert!(!got.body.contains("ops@example.com"), "no personal data");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn migrations_are_applied(pool: PgPool) {
    let has_citext: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citext')")
            .fetch_one(&pool)
            .await
            .expect("query");
    assert!(has_citext);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn welcome_page_is_server_rendered_with_a_strict_policy(pool: PgPool) {
    let app = common::app(pool, false);
    let page = Call::get("/").send(&app).await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("Stay connected to loved ones with daily check-ins"));
    assert!(page.body.contains("data-text-size=\"standard\""));

    let csp = page
        .header("content-security-policy")
        .expect("a CSP on pages");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the page policy carries a nonce");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the same nonce"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(
        page.header("referrer-policy"),
        Some("strict-origin-when-cross-origin")
    );

    let again = Call::get("/").send(&app).await;
    let other = again.header("content-security-policy").expect("csp");
    assert_ne!(csp, other, "a fresh nonce for every response");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn unknown_page_is_a_friendly_404(pool: PgPool) {
    let app = common::app(pool, false);
    let page = Call::get("/no/such/page").send(&app).await;
    assert_eq!(page.status, 404);
    assert!(
        page.body.contains("We couldn't find that page"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Go to the start page"));
    // Its scripts carry the nonce its policy names, so it hydrates like any page.
    let csp = page.header("content-security-policy").expect("csp");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("an HTML page's policy carries a nonce");
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn non_json_responses_also_carry_security_headers(pool: PgPool) {
    let app = common::app(pool, false);
    let health = Call::get("/health").send(&app).await;
    let csp = health.header("content-security-policy").expect("csp");
    assert!(!csp.contains("nonce-"));
    assert!(csp.contains("frame-ancestors 'none'"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn cross_site_state_changes_are_refused(pool: PgPool) {
    let app = common::app(pool, false);
    let forged = Call::new(http::Method::POST, text_size_path())
        .header("origin", "https://evil.example")
        .form(&[("size", "large")])
        .send(&app)
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.header("set-cookie").is_none(), "nothing changed");

    let anonymous = Call::new(http::Method::POST, text_size_path())
        .form(&[("size", "large")])
        .send(&app)
        .await;
    assert_eq!(anonymous.status, 403, "no Origin and no Referer");

    let ours = Call::post(text_size_path())
        .form(&[("size", "large")])
        .send(&app)
        .await;
    assert!(ours.status.is_success(), "{} {}", ours.status, ours.body);
    let cookie = ours.header("set-cookie").expect("the choice is remembered");
    assert!(cookie.starts_with("pruuf_text_size=large;"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn text_size_works_without_javascript(pool: PgPool) {
    let app = common::app(pool, false);
    // A plain HTML form post, as a browser without the WASM sends it.
    let posted = Call::post(text_size_path())
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", &format!("{ORIGIN}/"))
        .form(&[("size", "extra-large")])
        .send(&app)
        .await;
    assert!(
        posted.status.is_redirection(),
        "{} {}",
        posted.status,
        posted.body
    );
    let back = posted.header("location").expect("sent back to the page");
    assert!(back.starts_with(&format!("{ORIGIN}/")), "{back}");
    let cookie = posted.header("set-cookie").expect("cookie");
    let pair = cookie.split(';').next().expect("name=value");

    let page = Call::get("/").header("cookie", pair).send(&app).await;
    assert!(page.body.contains("data-text-size=\"extra-large\""));
    assert!(page.body.contains("Text size: Extra large"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn bad_text_size_is_refused_and_changes_nothing(pool: PgPool) {
    let app = common::app(pool, false);
    let reply = Call::post(text_size_path())
        .form(&[("size", "gigantic")])
        .send(&app)
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.header("set-cookie").is_none());
    assert!(
        !reply.body.contains("gigantic"),
        "no echo of internals: {}",
        reply.body
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn oversized_bodies_are_refused(pool: PgPool) {
    let app = common::app(pool, false);
    let big = vec![b'a'; server::MAX_BODY_BYTES + 1];
    let reply = Call::post(text_size_path())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", &big.len().to_string())
        .raw_body(big)
        .send(&app)
        .await;
    assert_eq!(reply.status, 413);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_test_clock_exists_only_when_enabled(pool: PgPool) {
    let plain = common::app(pool.clone(), false);
    assert_eq!(Call::get("/__test/clock").send(&plain).await.status, 404);

    let app = common::app(pool, true);
    let set = Call::new(http::Method::POST, "/__test/clock")
        .json(&serde_json::json!({ "set": "2026-03-29T00:59:00Z" }))
        .send(&app)
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["now"], "2026-03-29T00:59:00Z");

    let moved = Call::new(http::Method::POST, "/__test/clock")
        .json(&serde_json::json!({ "advance_seconds": 61 }))
        .send(&app)
        .await;
    assert_eq!(moved.json()["now"], "2026-03-29T01:00:01Z");
    let read = Call::get("/__test/clock").send(&app).await;
    assert_eq!(
        read.json()["now"],
        "2026-03-29T01:00:01Z",
        "time stands still"
    );

    let silly = Call::new(http::Method::POST, "/__test/clock")
        .json(&serde_json::json!({ "advance_seconds": 1_000_000_000_000i64 }))
        .send(&app)
        .await;
    assert_eq!(silly.status, 400);
}
