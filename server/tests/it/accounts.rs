//! Accounts end to end through the real router, PostgreSQL and the mail catcher:
//! the code rules, the lockout ladder, sessions, the Origin check, and answers
//! that do not tell whether an address has an account.
use crate::common;
use app::accounts::devices::{SignOut, SignOutEverywhere};
use app::accounts::login::{LogIn, ResetPin};
use app::accounts::signup::{CreateAccount, RequestCode, VerifyCode};
use app::clock::Clock;
use axum::Router;
use chrono::Duration;
use leptos::server_fn::ServerFn;
use pruuf_test_support::{browser::Browser, mailbox, Call, Reply};
use sqlx::PgPool;

const COOKIE: &str = server::sessions::COOKIE_LOCAL;

pub(crate) fn path<S: ServerFn>() -> &'static str {
    S::PATH
}

/// A fresh address per test: the mail catcher is shared by every test.
pub(crate) fn address(name: &str) -> String {
    format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub(crate) struct World {
    pub(crate) app: Router,
    pub(crate) clock: Clock,
    pub(crate) pool: PgPool,
}

pub(crate) fn world(pool: PgPool, vars: &[(&str, &str)]) -> World {
    let state = common::state(pool.clone(), common::config_with(true, vars));
    let clock = state.clock.clone();
    World {
        app: server::router(state),
        clock,
        pool,
    }
}

pub(crate) async fn request_code(b: &mut Browser, email: &str) -> Reply {
    b.post(
        path::<RequestCode>(),
        &[("email", email), ("intent", "signup"), ("tz", "0")],
    )
    .await
}

pub(crate) async fn verify(b: &mut Browser, email: &str, code: &str) -> Reply {
    b.post(path::<VerifyCode>(), &[("email", email), ("code", code)])
        .await
}

pub(crate) async fn log_in(b: &mut Browser, email: &str, pin: &str) -> Reply {
    b.post(
        path::<LogIn>(),
        &[("email", email), ("pin", pin), ("tz", "0")],
    )
    .await
}

/// Signs up through every step, as the pages do.
pub(crate) async fn sign_up(w: &World, email: &str, pin: &str) -> Browser {
    let mut b = Browser::new(&w.app);
    let sent = mailbox::to(email).await.len();
    let r = request_code(&mut b, email).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = mailbox::code_for(email, sent + 1).await;
    let r = verify(&mut b, email, &code).await;
    assert_eq!(r.header("location"), Some("/signup/pin"), "{}", r.body);
    let r = b
        .post(
            path::<CreateAccount>(),
            &[
                ("name", "Tom Test"),
                ("pin", pin),
                ("pin_again", pin),
                ("accept", "yes"),
            ],
        )
        .await;
    assert_eq!(r.header("location"), Some("/signup/size"), "{}", r.body);
    b
}

pub(crate) async fn users(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await
        .expect("count")
}

pub(crate) async fn signed_in_as(b: &mut Browser, email: &str) -> bool {
    let home = b.get("/home").await;
    home.status == 200 && home.body.contains(email)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sign_up_records_consent_then_log_out_and_in(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("mary");
    let mut b = sign_up(&w, &email, "4826").await;
    assert!(signed_in_as(&mut b, &email).await);

    let (terms, ua): (String, String) =
        sqlx::query_as("SELECT terms_version, user_agent FROM consents")
            .fetch_one(&w.pool)
            .await
            .expect("consent recorded");
    assert_eq!(terms, server::config::DEFAULT_POLICY_VERSION);
    assert!(ua.contains("Chrome"));

    let r = b.post(path::<SignOut>(), &[]).await;
    assert_eq!(r.header("location"), Some("/login?signed_out=1"));
    let home = b.get("/home").await;
    assert_eq!(home.header("location"), Some("/login"), "signed out");

    let r = log_in(&mut b, &email.to_uppercase(), "4826").await;
    assert_eq!(r.header("location"), Some("/home"), "{}", r.body);
    assert!(signed_in_as(&mut b, &email).await);

    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM audit_log ORDER BY id")
        .fetch_all(&w.pool)
        .await
        .expect("audit");
    assert_eq!(events, ["signup", "sign_out", "login"]);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn codes_expire_are_single_use_and_allow_five_wrong_tries(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("codes");
    let mut b = Browser::new(&w.app);

    // Expiry: ten minutes.
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 1).await;
    w.clock.advance(Duration::minutes(10)).expect("test clock");
    let r = verify(&mut b, &email, &code).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("expired"), "{}", r.body);

    // Single use.
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 2).await;
    assert_eq!(
        verify(&mut b, &email, &code).await.header("location"),
        Some("/signup/pin")
    );
    let again = verify(&mut b, &email, &code).await;
    assert!(again.body.contains("already been used"), "{}", again.body);

    // Five wrong tries spend a code, even for the right one after.
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 3).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let r = verify(&mut b, &email, wrong).await;
        assert!(r.body.contains(&format!("({left} tr")), "{}", r.body);
    }
    let last = verify(&mut b, &email, wrong).await;
    assert!(
        last.body.contains("can't be used any more"),
        "{}",
        last.body
    );
    let right = verify(&mut b, &email, &code).await;
    assert_eq!(right.status, 400);
    assert!(
        right.body.contains("can't be used any more"),
        "{}",
        right.body
    );
    assert_eq!(users(&w.pool).await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn resend_waits_a_minute_and_five_codes_an_hour_at_most(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("hourly");
    let mut b = Browser::new(&w.app);
    assert_eq!(request_code(&mut b, &email).await.status, 200);
    let soon = request_code(&mut b, &email).await;
    assert_eq!(soon.status, 429);
    assert!(
        soon.body.contains("ask again in 60 seconds"),
        "{}",
        soon.body
    );
    for _ in 0..4 {
        w.clock.advance(Duration::seconds(61)).expect("test clock");
        assert_eq!(request_code(&mut b, &email).await.status, 200);
    }
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    let sixth = request_code(&mut b, &email).await;
    assert_eq!(sixth.status, 429);
    assert!(sixth.body.contains("5 codes"), "{}", sixth.body);
    assert_eq!(
        mailbox::to(&email).await.len(),
        5,
        "the refused ones sent nothing"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_lockout_ladder_and_a_reset_that_lifts_it(pool: PgPool) {
    let w = world(pool, &[("PRUUF_IP_LIMIT_PER_HOUR", "1000")]);
    let email = address("ladder");
    let _ = sign_up(&w, &email, "4826").await;
    let mut b = Browser::new(&w.app);

    for _ in 0..4 {
        let r = log_in(&mut b, &email, "1111").await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("don't match"), "{}", r.body);
    }
    let fifth = log_in(&mut b, &email, "1111").await;
    assert_eq!(fifth.status, 429);
    assert!(fifth.body.contains("in 5 minutes"), "{}", fifth.body);
    // Locked: even the right PIN is refused, with the same words.
    let right = log_in(&mut b, &email, "4826").await;
    assert_eq!(right.status, 429);
    assert!(
        right.body.contains("try again in 5 minutes"),
        "{}",
        right.body
    );

    // Each failure from the fifth on locks again: 5 minutes up to the ninth,
    // 15 minutes from the tenth, and the twentieth turns PIN log-in off.
    for _ in 6..=9 {
        w.clock.advance(Duration::minutes(5)).expect("test clock");
        let r = log_in(&mut b, &email, "1111").await;
        assert!(r.body.contains("in 5 minutes"), "{}", r.body);
    }
    for _ in 10..=19 {
        w.clock.advance(Duration::minutes(15)).expect("test clock");
        let r = log_in(&mut b, &email, "1111").await;
        assert!(r.body.contains("in 15 minutes"), "{}", r.body);
    }
    w.clock.advance(Duration::minutes(15)).expect("test clock");
    let twentieth = log_in(&mut b, &email, "1111").await;
    assert!(twentieth.body.contains("turned off"), "{}", twentieth.body);
    let disabled = log_in(&mut b, &email, "4826").await;
    assert_eq!(disabled.status, 429);
    assert!(disabled.body.contains("turned off"), "{}", disabled.body);
    w.clock.advance(Duration::hours(25)).expect("test clock");
    assert!(
        log_in(&mut b, &email, "4826")
            .await
            .body
            .contains("turned off"),
        "stays off until a reset"
    );

    // A reset by email code lifts it.
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 2).await;
    assert_eq!(
        verify(&mut b, &email, &code).await.header("location"),
        Some("/forgot/pin")
    );
    let r = b
        .post(
            path::<ResetPin>(),
            &[("pin", "5937"), ("pin_again", "5937")],
        )
        .await;
    assert_eq!(
        r.header("location"),
        Some("/home?pin=changed"),
        "{}",
        r.body
    );
    let mut fresh = Browser::new(&w.app);
    assert_eq!(
        log_in(&mut fresh, &email, "5937").await.header("location"),
        Some("/home")
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_unknown_address_gets_the_same_answers(pool: PgPool) {
    let w = world(pool, &[]);
    let known = address("known");
    let _ = sign_up(&w, &known, "4826").await;
    let unknown = address("unknown");
    w.clock.advance(Duration::seconds(61)).expect("test clock");

    let mut b = Browser::new(&w.app);
    let a = request_code(&mut b, &known).await;
    let c = request_code(&mut b, &unknown).await;
    assert_eq!((a.status, a.body.clone()), (c.status, c.body.clone()));

    for _ in 0..5 {
        let a = log_in(&mut b, &known, "1111").await;
        let c = log_in(&mut b, &unknown, "1111").await;
        assert_eq!(
            (a.status, a.body),
            (c.status, c.body),
            "the same, lockout included"
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn log_in_gives_a_new_session_id_and_the_old_one_is_worthless(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("rotate");
    let mut first = sign_up(&w, &email, "4826").await;
    let before = first.cookie(COOKIE).expect("a session").to_string();

    let mut b = Browser::new(&w.app);
    // A session exists before log-in (a verified email), and someone knows its id.
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 2).await;
    verify(&mut b, &email, &code).await;
    let planted = b
        .cookie(COOKIE)
        .expect("a session before log-in")
        .to_string();
    assert_eq!(
        log_in(&mut b, &email, "4826").await.header("location"),
        Some("/home")
    );
    let after = b.cookie(COOKIE).expect("a session").to_string();
    assert_ne!(planted, after);
    assert_ne!(before, after);

    let mut attacker = Browser::new(&w.app);
    attacker.set_cookie(COOKIE, &planted);
    assert!(!signed_in_as(&mut attacker, &email).await);
    assert!(signed_in_as(&mut b, &email).await);
    assert!(
        signed_in_as(&mut first, &email).await,
        "the other device stays"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_pin_reset_ends_every_other_session(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("reset");
    let mut phone = sign_up(&w, &email, "4826").await;
    let mut laptop = Browser::new(&w.app);
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    request_code(&mut laptop, &email).await;
    let code = mailbox::code_for(&email, 2).await;
    verify(&mut laptop, &email, &code).await;
    laptop
        .post(
            path::<ResetPin>(),
            &[("pin", "6284"), ("pin_again", "6284")],
        )
        .await;
    assert!(signed_in_as(&mut laptop, &email).await);
    assert!(!signed_in_as(&mut phone, &email).await);
    assert_eq!(
        log_in(&mut phone, &email, "4826").await.status,
        400,
        "the old PIN is gone"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn sign_out_everywhere_keeps_this_device_only_when_asked(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("everywhere");
    let mut one = sign_up(&w, &email, "4826").await;
    let mut two = Browser::new(&w.app);
    log_in(&mut two, &email, "4826").await;
    let mut three = Browser::new(&w.app);
    log_in(&mut three, &email, "4826").await;

    let devices = one.get("/devices").await;
    assert_eq!(
        devices.body.matches("Signed in ").count(),
        3,
        "{}",
        devices.body
    );

    one.post(path::<SignOutEverywhere>(), &[("keep_this", "yes")])
        .await;
    assert!(signed_in_as(&mut one, &email).await);
    assert!(!signed_in_as(&mut two, &email).await);
    three.post(path::<SignOutEverywhere>(), &[]).await;
    assert!(
        signed_in_as(&mut one, &email).await,
        "three was already out"
    );
    one.post(path::<SignOutEverywhere>(), &[]).await;
    assert!(!signed_in_as(&mut one, &email).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn bad_input_gets_its_own_words_and_creates_nothing(pool: PgPool) {
    let w = world(pool, &[]);
    let mut b = Browser::new(&w.app);
    let r = request_code(&mut b, "not-an-email").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("like name@example.com"), "{}", r.body);

    let r = log_in(&mut b, "mary@example.com", "12").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Your PIN is 4 numbers"), "{}", r.body);

    let r = b.post(path::<LogIn>(), &[("pin", "1234")]).await;
    assert_eq!(r.status, 400, "missing field: {}", r.body);

    let r = verify(&mut b, "mary@example.com", "12ab").await;
    assert!(r.body.contains("6 numbers"), "{}", r.body);

    // Without a verified address, no account can be made.
    let r = b
        .post(
            path::<CreateAccount>(),
            &[
                ("name", "Tom Test"),
                ("pin", "4826"),
                ("pin_again", "4826"),
                ("accept", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("start again"), "{}", r.body);

    // Verified, but PINs differ, or the Terms not accepted.
    let email = address("bad");
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 1).await;
    verify(&mut b, &email, &code).await;
    let r = b
        .post(
            path::<CreateAccount>(),
            &[
                ("name", "Tom Test"),
                ("pin", "1234"),
                ("pin_again", "1235"),
                ("accept", "yes"),
            ],
        )
        .await;
    assert!(r.body.contains("PINs don't match"), "{}", r.body);
    let r = b
        .post(
            path::<CreateAccount>(),
            &[("name", "Tom Test"), ("pin", "4826"), ("pin_again", "4826")],
        )
        .await;
    assert!(r.body.contains("accept the Terms"), "{}", r.body);
    // Sign-up asks what to call the person; without a name, no account.
    let r = b
        .post(
            path::<CreateAccount>(),
            &[
                ("name", " "),
                ("pin", "4826"),
                ("pin_again", "4826"),
                ("accept", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("what to call you"), "{}", r.body);
    assert_eq!(users(&w.pool).await, 0);

    let big = "x".repeat(server::MAX_BODY_BYTES + 1);
    let r = b
        .post(path::<LogIn>(), &[("email", &big), ("pin", "1234")])
        .await;
    assert_eq!(r.status, 413);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn log_in_from_another_site_is_refused(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("csrf");
    let _ = sign_up(&w, &email, "4826").await;
    for origin in [Some("https://evil.example"), None] {
        let mut call = Call::new(http::Method::POST, path::<LogIn>())
            .form(&[("email", &email), ("pin", "4826")]);
        if let Some(o) = origin {
            call = call.header("origin", o);
        }
        let r = call.send(&w.app).await;
        assert_eq!(r.status, 403, "{origin:?}");
        assert!(r.header("set-cookie").is_none());
    }
    let logins: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE event = 'login'")
        .fetch_one(&w.pool)
        .await
        .expect("count");
    assert_eq!(logins, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn twenty_log_in_attempts_an_hour_from_one_address(pool: PgPool) {
    let w = world(pool, &[]);
    let mut b = Browser::new(&w.app);
    for i in 0..20 {
        // Different addresses, so no account lockout gets in the way.
        let r = log_in(&mut b, &format!("someone{i}@example.com"), "1111").await;
        assert_eq!(r.status, 400, "attempt {i}: {}", r.body);
    }
    let r = log_in(&mut b, "someone99@example.com", "1111").await;
    assert_eq!(r.status, 429);
    let error: app::error::AppError = serde_json::from_str(&r.body).expect("an AppError");
    assert!(error.message().contains("a lot of tries"), "{}", r.body);
    w.clock.advance(Duration::minutes(61)).expect("test clock");
    assert_eq!(
        log_in(&mut b, "someone99@example.com", "1111").await.status,
        400
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn without_javascript_errors_come_back_to_the_form(pool: PgPool) {
    let w = world(pool, &[]);
    let mut b = Browser::new(&w.app);
    let r = b
        .post_html(
            path::<RequestCode>(),
            "/signup",
            &[("email", "nope"), ("intent", "signup")],
        )
        .await;
    assert_eq!(r.status, 302);
    let back = r.header("location").expect("back to the form").to_string();
    assert!(back.starts_with("http://127.0.0.1:3000/signup?"), "{back}");
    let page = b
        .get(back.trim_start_matches("http://127.0.0.1:3000"))
        .await;
    assert!(
        page.body.contains("like name@example.com"),
        "the message is on the page"
    );

    let email = address("nojs");
    let r = b
        .post_html(
            path::<RequestCode>(),
            "/signup",
            &[("email", &email), ("intent", "signup")],
        )
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some(app::accounts::signup::verify_path(&email, None, None).as_str())
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn new_terms_ask_again(pool: PgPool) {
    let w = world(pool.clone(), &[]);
    let email = address("terms");
    let _ = sign_up(&w, &email, "4826").await;
    let bumped = world(pool, &[("PRUUF_TERMS_VERSION", "2027-01-01")]);
    let mut b = Browser::new(&bumped.app);
    log_in(&mut b, &email, "4826").await;
    let home = b.get("/home").await;
    assert!(home.body.contains("updated our Terms"), "{}", home.body);
    b.post(path::<app::accounts::devices::AcceptTerms>(), &[])
        .await;
    let home = b.get("/home").await;
    assert!(!home.body.contains("updated our Terms"));
    let versions: Vec<String> =
        sqlx::query_scalar("SELECT terms_version FROM consents ORDER BY id")
            .fetch_all(&bumped.pool)
            .await
            .expect("consents");
    assert_eq!(
        versions,
        [server::config::DEFAULT_POLICY_VERSION, "2027-01-01"]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_mail_that_cannot_be_sent_says_so_and_leaves_no_code(pool: PgPool) {
    let w = world(pool, &[("PRUUF_SMTP_URL", "smtp://127.0.0.1:1")]);
    let mut b = Browser::new(&w.app);
    let r = request_code(&mut b, &address("nomail")).await;
    assert_eq!(r.status, 503);
    let error: app::error::AppError = serde_json::from_str(&r.body).expect("an AppError");
    assert_eq!(error, app::error::AppError::MailNotSent);
    assert!(error.message().contains("couldn't send the email"));
    let codes: i64 = sqlx::query_scalar("SELECT count(*) FROM email_codes")
        .fetch_one(&w.pool)
        .await
        .expect("count");
    assert_eq!(codes, 0, "an unsent code counts against no limit");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_pin_changed_in_settings_needs_the_old_one_and_signs_other_devices_out(pool: PgPool) {
    use app::settings::pages::ChangeMyPin;
    let w = world(pool, &[]);
    let email = address("pinchange");
    let mut phone = sign_up(&w, &email, "4826").await;
    let mut laptop = Browser::new(&w.app);
    let r = log_in(&mut laptop, &email, "4826").await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = phone
        .post(
            path::<ChangeMyPin>(),
            &[("current", "9142"), ("pin", "5937"), ("pin_again", "5937")],
        )
        .await;
    assert_eq!(r.status, 400, "the old PIN is needed: {}", r.body);
    let r = phone
        .post(
            path::<ChangeMyPin>(),
            &[("current", "4826"), ("pin", "1234"), ("pin_again", "1234")],
        )
        .await;
    assert_eq!(r.status, 400, "an easy PIN is refused: {}", r.body);
    assert!(
        signed_in_as(&mut laptop, &email).await,
        "nothing changed yet"
    );

    let r = phone
        .post(
            path::<ChangeMyPin>(),
            &[("current", "4826"), ("pin", "5937"), ("pin_again", "5937")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        signed_in_as(&mut phone, &email).await,
        "this device stays in"
    );
    assert!(
        !signed_in_as(&mut laptop, &email).await,
        "the other is signed out"
    );
    let r = log_in(&mut Browser::new(&w.app), &email, "4826").await;
    assert_eq!(r.status, 400, "the old PIN is refused: {}", r.body);
    let r = log_in(&mut Browser::new(&w.app), &email, "5937").await;
    assert_eq!(r.status, 200, "the new PIN works: {}", r.body);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_email_change_needs_the_code_from_the_new_address_and_tells_the_old(pool: PgPool) {
    use app::settings::email::{ConfirmEmailChange, RequestEmailChange};
    let w = world(pool, &[]);
    let (old, new, taken) = (address("old"), address("new"), address("taken"));
    let mut b = sign_up(&w, &old, "4826").await;
    sign_up(&w, &taken, "5937").await;

    let r = b
        .post(path::<RequestEmailChange>(), &[("email", &new)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = mailbox::code_for(&new, 1).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let r = b
        .post(
            path::<ConfirmEmailChange>(),
            &[("to", &new), ("code", wrong)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        signed_in_as(&mut b, &old).await,
        "nothing changed on a wrong code"
    );
    let r = b
        .post(
            path::<ConfirmEmailChange>(),
            &[("to", &new), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(signed_in_as(&mut b, &new).await);
    assert!(mailbox::to(&old)
        .await
        .iter()
        .any(|m| m["subject"] == "Your Pruuf email address was changed"));
    let r = log_in(&mut Browser::new(&w.app), &new, "4826").await;
    assert_eq!(r.status, 200, "the new address logs in: {}", r.body);
    let r = log_in(&mut Browser::new(&w.app), &old, "4826").await;
    assert_eq!(r.status, 400, "the old one no longer does: {}", r.body);

    // An address with an account of its own stays that account's (a minute on,
    // so its sign-up code's resend wait has passed).
    w.clock
        .advance(chrono::Duration::seconds(61))
        .expect("clock");
    let r = b
        .post(path::<RequestEmailChange>(), &[("email", &taken)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = mailbox::code_for(&taken, 2).await;
    let r = b
        .post(
            path::<ConfirmEmailChange>(),
            &[("to", &taken), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("already has a Pruuf account"), "{}", r.body);
    assert!(signed_in_as(&mut b, &new).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_device_and_its_session_are_written_once_a_day_not_on_every_request(pool: PgPool) {
    let w = world(pool, &[]);
    // Early in a UTC day, so the hours below stay inside it.
    let morning = chrono::DateTime::parse_from_rfc3339("2026-12-01T06:00:00Z")
        .expect("instant")
        .with_timezone(&chrono::Utc);
    w.clock.set(morning).expect("test clock");
    let mut b = sign_up(&w, &address("daily"), "4826").await;
    let last_seen = |pool: PgPool| async move {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
            "SELECT last_seen_at FROM devices ORDER BY created_at DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .expect("device")
    };
    // tower-sessions sets the expiry from the real clock each time it saves.
    let session_expiry = |pool: PgPool| async move {
        sqlx::query_scalar::<_, time::OffsetDateTime>(
            "SELECT max(expiry_date) FROM tower_sessions.session",
        )
        .fetch_one(&pool)
        .await
        .expect("session")
    };
    assert_eq!(b.get("/home").await.status, 200);
    let seen = last_seen(w.pool.clone()).await;
    let expiry = session_expiry(w.pool.clone()).await;

    // Hours of use the same day: neither row is written again.
    for _ in 0..5 {
        w.clock.advance(Duration::hours(2)).expect("test clock");
        assert_eq!(b.get("/home").await.status, 200);
        assert_eq!(b.get("/settings").await.status, 200);
    }
    assert_eq!(
        last_seen(w.pool.clone()).await,
        seen,
        "last_seen_at unchanged the same day"
    );
    assert_eq!(
        session_expiry(w.pool.clone()).await,
        expiry,
        "the session is not saved again the same day"
    );

    // The next day's first request writes both, once.
    w.clock.advance(Duration::hours(10)).expect("test clock");
    assert_eq!(b.get("/home").await.status, 200);
    let next = last_seen(w.pool.clone()).await;
    assert!(next > seen, "last_seen_at moves on the next day");
    let rolled = session_expiry(w.pool.clone()).await;
    assert!(
        rolled > expiry,
        "the session's 30 days roll forward once that day"
    );
    assert_eq!(b.get("/home").await.status, 200);
    assert_eq!(last_seen(w.pool.clone()).await, next);
    assert_eq!(session_expiry(w.pool.clone()).await, rolled);
}
