//! Attacks refused (issue 17): each test tries what a script or a free account
//! could do to cost money, spam, guess PINs or slow others, and checks that the
//! answer is a plain refusal and that nothing was stored.
use crate::accounts::{
    address, log_in, path, request_code, sign_up, signed_in_as, users, verify, world,
};
use app::accounts::login::ResetPin;
use app::accounts::signup::CreateAccount;
use chrono::Duration;
use pruuf_test_support::{browser::Browser, mailbox};
use sqlx::PgPool;

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_most_guessed_pins_are_refused_at_sign_up_and_reset(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("easy");
    let mut b = Browser::new(&w.app);
    request_code(&mut b, &email).await;
    let code = mailbox::code_for(&email, 1).await;
    verify(&mut b, &email, &code).await;
    for easy in ["1234", "0000", "2580", "1987"] {
        let r = b
            .post(
                path::<CreateAccount>(),
                &[
                    ("name", "Tom Test"),
                    ("pin", easy),
                    ("pin_again", easy),
                    ("accept", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{easy}: {}", r.body);
        assert!(
            r.body.contains("That PIN is too easy to guess"),
            "{}",
            r.body
        );
    }
    assert_eq!(users(&w.pool).await, 0, "no account was made");

    // A reset to an easy PIN keeps the old one.
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    let mut phone = sign_up(&w, &email, "4826").await;
    let mut laptop = Browser::new(&w.app);
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    request_code(&mut laptop, &email).await;
    let code = mailbox::code_for(&email, 3).await;
    verify(&mut laptop, &email, &code).await;
    let r = laptop
        .post(
            path::<ResetPin>(),
            &[("pin", "1111"), ("pin_again", "1111")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("That PIN is too easy to guess"),
        "{}",
        r.body
    );
    assert!(signed_in_as(&mut phone, &email).await, "nothing was reset");
    let mut fresh = Browser::new(&w.app);
    assert_eq!(
        log_in(&mut fresh, &email, "4826").await.header("location"),
        Some("/home"),
        "the old PIN still works"
    );
}

async fn save_push(
    b: &mut Browser,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> pruuf_test_support::Reply {
    b.post(
        path::<app::alerts::device::SavePush>(),
        &[("endpoint", endpoint), ("p256dh", p256dh), ("auth", auth)],
    )
    .await
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn test_alerts_are_limited_to_three_an_hour(pool: PgPool) {
    use app::alerts::device::SendTestAlert;
    let w = world(pool, &[]);
    let email = address("tester");
    let mut b = sign_up(&w, &email, "4826").await;
    let tests = "SELECT count(*) FROM deliveries WHERE kind = 'test'";
    for _ in 0..3 {
        let r = b.post(path::<SendTestAlert>(), &[]).await;
        assert_eq!(r.header("location"), Some("/home?test=sent"), "{}", r.body);
        w.clock.advance(Duration::minutes(10)).expect("test clock");
    }
    let sent = count(&w.pool, tests).await;
    assert!(sent >= 3, "one delivery per channel per test: {sent}");
    // 10:30 after a first at 10:00: refused until 11:00, and nothing is queued.
    let r = b.post(path::<SendTestAlert>(), &[]).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body.contains("3 test alerts in the last hour")
            && r.body.contains("try again in 30 minutes"),
        "{}",
        r.body
    );
    assert_eq!(count(&w.pool, tests).await, sent, "nothing was queued");
    w.clock.advance(Duration::minutes(30)).expect("test clock");
    let r = b.post(path::<SendTestAlert>(), &[]).await;
    assert_eq!(r.header("location"), Some("/home?test=sent"), "{}", r.body);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_push_endpoint_belongs_to_one_person_and_each_keeps_ten(pool: PgPool) {
    use pruuf_test_support::push::FakePushService;
    let w = world(pool, &[]);
    let mut tom = sign_up(&w, &address("tom"), "4826").await;
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    let mut eve = sign_up(&w, &address("eve"), "5937").await;
    let service = FakePushService::start().await.expect("push service");
    let toms = service.subscribe();
    let r = save_push(&mut tom, &toms.endpoint, &toms.p256dh, &toms.auth).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Eve re-subscribes Tom's endpoint with her own keys: refused, Tom's row unchanged.
    let eves = service.subscribe();
    let r = save_push(&mut eve, &toms.endpoint, &eves.p256dh, &eves.auth).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("another Pruuf account"), "{}", r.body);
    let (keys, owners): (String, i64) = sqlx::query_as(
        "SELECT min(p256dh), count(DISTINCT user_id) FROM push_subscriptions WHERE endpoint = $1",
    )
    .bind(&toms.endpoint)
    .fetch_one(&w.pool)
    .await
    .expect("row");
    assert_eq!(
        (keys.as_str(), owners),
        (toms.p256dh.trim_end_matches('='), 1)
    );

    // An endpoint that is not a push service (the cloud's metadata address, a
    // private host) is refused before anything is stored or sent.
    for endpoint in [
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/push",
        "https://push.attacker.example/x",
    ] {
        let r = save_push(&mut tom, endpoint, &eves.p256dh, &eves.auth).await;
        assert_eq!(r.status, 400, "{endpoint}: {}", r.body);
    }
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM push_subscriptions").await,
        1
    );

    // Tom adds eleven more browsers: the newest ten stay, his first is dropped.
    let mut newest = Vec::new();
    for _ in 0..11 {
        w.clock.advance(Duration::seconds(1)).expect("test clock");
        let sub = service.subscribe();
        let r = save_push(&mut tom, &sub.endpoint, &sub.p256dh, &sub.auth).await;
        assert_eq!(r.status, 200, "{}", r.body);
        newest.push(sub.endpoint.clone());
    }
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT endpoint FROM push_subscriptions ORDER BY created_at")
            .fetch_all(&w.pool)
            .await
            .expect("rows");
    assert_eq!(kept, newest[1..].to_vec());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn email_codes_stop_after_ten_a_day_even_at_the_hourly_pace(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("guesser");
    let mut b = Browser::new(&w.app);
    for i in 0..10 {
        let r = request_code(&mut b, &email).await;
        assert_eq!(r.status, 200, "code {i}: {}", r.body);
        w.clock.advance(Duration::minutes(15)).expect("test clock");
    }
    let codes = "SELECT count(*) FROM email_codes";
    assert_eq!(count(&w.pool, codes).await, 10);
    let r = request_code(&mut b, &email).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body.contains("10 codes to this address today"),
        "{}",
        r.body
    );
    assert_eq!(count(&w.pool, codes).await, 10, "no code was stored");
    assert_eq!(mailbox::to(&email).await.len(), 10, "and none was sent");
}

/// A log-in attempt through a trusted proxy: `lines` are the X-Forwarded-For
/// header lines as they arrive (the proxy appends the client to the last one).
async fn log_in_via_proxy(
    w: &crate::accounts::World,
    lines: &[&str],
    email: &str,
) -> pruuf_test_support::Reply {
    let mut call = pruuf_test_support::Call::post(path::<app::accounts::login::LogIn>());
    for line in lines {
        call = call.header("x-forwarded-for", line);
    }
    call.form(&[("email", email), ("pin", "4826"), ("tz", "0")])
        .send(&w.app)
        .await
}

/// The words a reply carries, as the page shows them.
fn words(r: &pruuf_test_support::Reply) -> String {
    serde_json::from_str::<app::error::AppError>(&r.body)
        .map(|e| e.message())
        .unwrap_or_else(|_| r.body.clone())
}

fn too_many(r: &pruuf_test_support::Reply) -> bool {
    r.status == 429 && words(r).contains("a lot of tries")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn per_ip_limits_read_the_proxys_line_and_count_ipv6_by_its_64(pool: PgPool) {
    let w = world(pool, &[("PRUUF_TRUST_PROXY", "1")]);
    // A client that writes its own X-Forwarded-For line, a new one each time, is
    // still the one address the proxy appended to the last line.
    for i in 0..20 {
        let spoof = format!("198.51.100.{i}");
        let r = log_in_via_proxy(&w, &[&spoof, "203.0.113.5"], &format!("a{i}@example.com")).await;
        assert!(!too_many(&r), "attempt {i}: {}", r.body);
    }
    let r = log_in_via_proxy(&w, &["198.51.100.99", "203.0.113.5"], "a99@example.com").await;
    assert!(too_many(&r), "{}", r.body);

    // Twenty addresses of one IPv6 /64 are one client; the next /64 is another.
    for i in 0..20 {
        let ip = format!("2001:db8:7:7::{:x}", i + 1);
        let r = log_in_via_proxy(&w, &[&ip], &format!("b{i}@example.com")).await;
        assert!(!too_many(&r), "attempt {i}: {}", r.body);
    }
    let r = log_in_via_proxy(&w, &["2001:db8:7:7:ffff::1"], "b99@example.com").await;
    assert!(too_many(&r), "{}", r.body);
    let r = log_in_via_proxy(&w, &["2001:db8:7:8::1"], "b99@example.com").await;
    assert!(!too_many(&r), "{}", r.body);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn guessing_slowly_for_days_still_turns_pin_log_in_off(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("slow");
    let _ = sign_up(&w, &email, "4826").await;
    // 9 wrong a day (under the 10 that lock for long), for three days.
    let mut last = None;
    for day in 0..3 {
        for i in 0..9 {
            let mut b = Browser::new(&w.app);
            last = Some(log_in(&mut b, &email, &format!("{}", 6100 + day * 10 + i)).await);
            w.clock.advance(Duration::minutes(16)).expect("test clock");
        }
        w.clock.advance(Duration::hours(25)).expect("test clock");
    }
    let last = last.expect("tried");
    assert_eq!(
        last.status, 429,
        "the 20th strike turns it off: {}",
        last.body
    );
    let mut b = Browser::new(&w.app);
    let right = log_in(&mut b, &email, "4826").await;
    assert_eq!(
        right.status, 429,
        "even the right PIN needs an email code now: {}",
        right.body
    );
    assert!(!signed_in_as(&mut b, &email).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn guesses_before_the_account_existed_do_not_lock_its_owner_out(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("later");
    // Twenty wrong PINs against an address with no account turn PIN log-in off for it.
    for i in 0..20 {
        let mut b = Browser::new(&w.app);
        log_in(&mut b, &email, &format!("{}", 6100 + i)).await;
        w.clock.advance(Duration::minutes(16)).expect("test clock");
    }
    let (disabled,): (bool,) =
        sqlx::query_as("SELECT pin_login_disabled FROM pin_guard WHERE email = $1")
            .bind(&email)
            .fetch_one(&w.pool)
            .await
            .expect("guard");
    assert!(disabled);
    // A week later its owner signs up (the email code proves the address), then logs in on her second device.
    w.clock.advance(Duration::days(7)).expect("test clock");
    let _ = sign_up(&w, &email, "4826").await;
    let mut second = Browser::new(&w.app);
    let r = log_in(&mut second, &email, "4826").await;
    assert_eq!(r.header("location"), Some("/home"), "{}", r.body);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM pin_guard").await, 0);
}

async fn user_id(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_frozen_contact_can_look_but_not_act_for_others(pool: PgPool) {
    use app::alerts::pages::OnIt;
    use app::checkin::pages::{LoadMember, PauseCheckins};
    use app::connections::pages::SendInvite;
    let w = world(pool, &[]);
    let (mum_email, tom_email) = (address("mum"), address("tom"));
    let _mum = sign_up(&w, &mum_email, "4826").await;
    let mut tom = sign_up(&w, &tom_email, "5937").await;
    let (mum, tom_id) = (
        user_id(&w.pool, &mum_email).await,
        user_id(&w.pool, &tom_email).await,
    );
    crate::alerts::connect(&w.pool, mum, tom_id, "Mum").await;
    let now = w.clock.now();
    let miss = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO misses (id, member_id, local_day, deadline_at, detected_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(miss)
    .bind(mum)
    .bind(now.date_naive())
    .bind(now)
    .execute(&w.pool)
    .await
    .expect("miss");
    sqlx::query("UPDATE users SET account_state = 'frozen' WHERE id = $1")
        .bind(tom_id)
        .execute(&w.pool)
        .await
        .expect("frozen");

    let mum_id = mum.to_string();
    let tomorrow = (now.date_naive() + Duration::days(1)).to_string();
    let miss_id = miss.to_string();
    let read_only = |r: &pruuf_test_support::Reply| {
        r.status == 403 && words(r).contains("paused until you choose a plan")
    };
    let r = tom
        .post(
            path::<PauseCheckins>(),
            &[
                ("member", &mum_id),
                ("first", &tomorrow),
                ("last", &tomorrow),
            ],
        )
        .await;
    assert!(read_only(&r), "pause: {} {}", r.status, r.body);
    let r = tom.post(path::<OnIt>(), &[("miss", &miss_id)]).await;
    assert!(read_only(&r), "I'm on it: {} {}", r.status, r.body);
    let r = tom
        .post(
            path::<SendInvite>(),
            &[
                ("who", "contact"),
                ("name", "Ann"),
                ("email", "ann@example.com"),
            ],
        )
        .await;
    assert!(read_only(&r), "invite: {} {}", r.status, r.body);
    // Nothing changed, and Tom still sees Mum.
    assert_eq!(count(&w.pool, "SELECT count(*) FROM pauses").await, 0);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM invites").await, 0);
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM misses WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        0
    );
    let r = tom.post(path::<LoadMember>(), &[("member", &mum_id)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_pasted_invite_code_with_spaces_and_dashes_is_taken_whole(pool: PgPool) {
    use app::connections::pages::{AcceptInvite, SendInvite};
    let w = world(pool, &[]);
    let (mum_email, tom_email) = (address("mum"), address("tom"));
    let mut mum = sign_up(&w, &mum_email, "4826").await;
    let mut tom = sign_up(&w, &tom_email, "5937").await;
    let r = tom
        .post(
            path::<SendInvite>(),
            &[("who", "member"), ("name", "Mum"), ("email", &mum_email)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mail = mailbox::to(&mum_email).await;
    let code: String = mail
        .iter()
        .filter_map(|m| m["text"].as_str())
        .find_map(|t| t.split("join?code=").nth(1))
        .map(|rest| rest.chars().take(6).collect())
        .expect("a code in the mail");
    // The field takes what people paste: no `maxlength` that cuts " ABC-DEF " short.
    let page = mum.get(&format!("/join?code={code}")).await;
    assert_eq!(page.status, 200);
    let field = page
        .body
        .split("id=\"join-code\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("the code field");
    let room: usize = field
        .split("maxlength=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    assert!(room >= 20, "room for a pasted code: {field}");
    let pasted = format!("  {}-{} \n", code[..3].to_lowercase(), &code[3..]);
    let r = mum.post(path::<AcceptInvite>(), &[("code", &pasted)]).await;
    assert_eq!(
        r.header("location"),
        Some("/connections?joined=1"),
        "{}",
        r.body
    );
    assert_eq!(count(&w.pool, "SELECT count(*) FROM connections").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invitations_are_capped_per_person_and_per_address(pool: PgPool) {
    use app::connections::pages::SendInvite;
    // The per-IP limit is raised so that the per-person and per-address ones show.
    let w = world(pool, &[("PRUUF_IP_LIMIT_PER_HOUR", "1000")]);
    let invite = |to: String| {
        [
            ("who", "contact".to_string()),
            ("name", "Ann".to_string()),
            ("email", to),
        ]
    };
    let mut tom = sign_up(&w, &address("tom"), "5937").await;
    for i in 0..20 {
        let form = invite(address(&format!("friend{i}")));
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = tom.post(path::<SendInvite>(), &pairs).await;
        assert_eq!(r.status, 200, "invite {i}: {}", r.body);
        w.clock.advance(Duration::minutes(1)).expect("test clock");
    }
    let form = invite(address("one-too-many"));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = tom.post(path::<SendInvite>(), &pairs).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(
        r.body.contains("20 invitations today") && r.body.contains("try again"),
        "{}",
        r.body
    );
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM invites").await,
        20,
        "nothing stored"
    );

    // Three people invite Ann today: a fourth cannot mail her again.
    let ann = address("ann");
    for who in ["a", "b", "c"] {
        let mut b = sign_up(&w, &address(who), "5937").await;
        let form = invite(ann.clone());
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = b.post(path::<SendInvite>(), &pairs).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let mut d = sign_up(&w, &address("d"), "5937").await;
    let form = invite(ann.clone());
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = d.post(path::<SendInvite>(), &pairs).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("several invitations today"), "{}", r.body);
    assert_eq!(
        mailbox::to(&ann).await.len(),
        3,
        "Ann got three mails, not four"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invitations_from_one_address_are_capped_per_hour(pool: PgPool) {
    use app::connections::pages::SendInvite;
    let w = world(pool, &[]);
    let mut tom = sign_up(&w, &address("tom"), "5937").await;
    // Sign-up itself counted a code request and a check from this address; the
    // invitations have their own count of 20 an hour.
    let mut last = None;
    for i in 0..21 {
        let to = address(&format!("x{i}"));
        let r = tom
            .post(
                path::<SendInvite>(),
                &[("who", "contact"), ("name", "Ann"), ("email", &to)],
            )
            .await;
        last = Some(r);
    }
    let last = last.expect("tried");
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(words(&last).contains("a lot of tries"), "{}", last.body);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM invites").await, 20);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn bad_bodies_get_a_clear_4xx_and_never_a_500(pool: PgPool) {
    use app::accounts::login::LogIn;
    use pruuf_test_support::Call;
    let w = world(pool, &[]);
    let form = "application/x-www-form-urlencoded";
    // A megabyte sent without a Content-Length (as a chunked body is), to a
    // server function, a page's form post and each webhook: 413, plain words.
    for (target, accept) in [
        (path::<LogIn>(), "application/json"),
        (path::<LogIn>(), "text/html"),
        ("/webhooks/stripe", "*/*"),
        ("/webhooks/twilio/inbound", "*/*"),
    ] {
        let r = Call::post(target)
            .header("content-type", form)
            .header("accept", accept)
            .raw_body(vec![b'a'; 1 << 20])
            .send(&w.app)
            .await;
        assert_eq!(r.status, 413, "{target} {accept}: {}", r.body);
        assert!(r.body.contains("more than Pruuf can take"), "{}", r.body);
    }
    // Bytes that are not UTF-8, raw or percent-encoded: 400, never "Network".
    for body in [
        &b"email=%FF%FE&pin=4826&tz=0"[..],
        &b"email=\xff\xfe&pin=4826&tz=0"[..],
    ] {
        let r = Call::post(path::<LogIn>())
            .header("content-type", form)
            .raw_body(body.to_vec())
            .send(&w.app)
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            !r.body.contains("internet connection") && !r.body.contains("Network"),
            "{}",
            r.body
        );
    }
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM audit_log").await,
        0,
        "nothing stored"
    );
}

/// A small seeded generator (xorshift64*): the same cases on every run.
struct Cases(u64);

impl Cases {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// A value no field accepts as valid: wrong types, odd text, bad bytes.
    /// A value for `key` that is never valid there: a name is anything a
    /// person may be called (a random id too), so a name that passes
    /// `PersonName` is drawn again (it would rename the fuzzer, rightly).
    fn junk_for(&mut self, key: &str) -> Vec<u8> {
        loop {
            let value = self.value();
            let valid_name = key == "name"
                && std::str::from_utf8(&value)
                    .is_ok_and(|v| app::validation::PersonName::parse(v).is_ok());
            if !valid_name {
                return value;
            }
        }
    }

    fn value(&mut self) -> Vec<u8> {
        match self.below(8) {
            0 => Vec::new(),
            1 => self
                .pick(&[
                    "-1",
                    "99999999999999999999999",
                    "1e308",
                    "NaN",
                    "true",
                    "null",
                    "[]",
                    "{}",
                    "2026-13-45",
                    "25:61",
                    "' OR 1=1 --",
                    "<script>alert(1)</script>",
                    "../../etc/passwd",
                    "%",
                    "%E",
                    "%ZZ",
                    "\u{202e}\u{0000}",
                    "Mars/Olympus_Mons",
                    "00000000-0000-0000-0000-00000000000g",
                    "+999999999999999999",
                    "@@",
                    "a@",
                ])
                .as_bytes()
                .to_vec(),
            2 => (0..self.below(64)).map(|_| self.next() as u8).collect(),
            3 => "\u{1f44d}\u{1f3fd}\u{0301}ŧĕxŧ"
                .repeat(1 + self.below(50))
                .into_bytes(),
            4 => vec![b'9'; 1 + self.below(5000)],
            5 => uuid::Uuid::new_v4().to_string().into_bytes(),
            6 => vec![0xff, 0xfe, 0x00, 0xc3],
            // Longer than any text field takes (a plan's parts, a note, a name):
            // a short run of letters is a valid name, and would change it.
            _ => "x".repeat(2001 + self.below(300)).into_bytes(),
        }
    }

    /// A request body: a form of known and unknown fields with bad values, JSON of
    /// the wrong shape, a truncated form, or noise; with a content type to match
    /// (or not).
    fn body(&mut self) -> (&'static str, Vec<u8>) {
        const FIELDS: &[&str] = &[
            "email",
            "pin",
            "pin_again",
            "code",
            "member",
            "first",
            "last",
            "miss",
            "token",
            "who",
            "name",
            "endpoint",
            "p256dh",
            "auth",
            "zone",
            "deadline",
            "time_zone",
            "grace",
            "lead",
            "reminder_on",
            "invite",
            "connection",
            "pause",
            "plan",
            "number",
            "sms_reminders",
            "size",
            "accept",
            "next",
            "intent",
            "tz",
            "on",
            "prefs",
            "zzz",
        ];
        let form = "application/x-www-form-urlencoded";
        match self.below(5) {
            0 | 1 => {
                let mut body = Vec::new();
                for i in 0..1 + self.below(6) {
                    if i > 0 {
                        body.push(b'&');
                    }
                    let key = self.pick(FIELDS);
                    body.extend_from_slice(key.as_bytes());
                    body.push(b'=');
                    body.extend(self.junk_for(key));
                }
                (form, body)
            }
            2 => {
                let key = self.pick(FIELDS);
                let json = match self.below(3) {
                    0 => format!(
                        "{{\"{key}\": {}}}",
                        self.pick(&["1", "[1,2]", "{}", "null", "-0.5"])
                    ),
                    1 => "[\"not\", \"an\", \"object\"]".to_string(),
                    _ => "{\"email\": ".to_string(),
                };
                (self.pick(&["application/json", form]), json.into_bytes())
            }
            3 => (form, b"email=%E2%8".to_vec()),
            _ => (
                self.pick(&[
                    form,
                    "text/plain",
                    "multipart/form-data",
                    "application/cbor",
                ]),
                (0..self.below(2000)).map(|_| self.next() as u8).collect(),
            ),
        }
    }
}

/// A fingerprint of what people see and own: any change to a row changes it.
async fn fingerprint(pool: &PgPool) -> Vec<String> {
    let mut prints = Vec::new();
    for table in [
        "users",
        "schedules",
        "checkins",
        "pauses",
        "connections",
        "invites",
        "phones",
        "push_subscriptions",
        "deliveries",
        "notifications",
        "misses",
        "consents",
    ] {
        let print: String = sqlx::query_scalar(&format!(
            "SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .expect(table);
        prints.push(format!("{table}:{print}"));
    }
    prints
}

/// Every server function that takes input, and every webhook, is sent junk (a
/// bounded, seeded set of cases): each answer is a 4xx with words, never a 5xx
/// or a panic, and no row anyone sees changes.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn fuzzing_every_server_function_and_webhook_changes_nothing_and_never_fails(pool: PgPool) {
    use leptos::server_fn::axum::server_fn_paths;
    use pruuf_test_support::Call;
    let w = world(pool, &[("PRUUF_IP_LIMIT_PER_HOUR", "1000000")]);
    let mut prober = sign_up(&w, &address("prober"), "4826").await;
    let mut fuzzer = sign_up(&w, &address("fuzzer"), "5937").await;
    let mut paths: Vec<&'static str> = server_fn_paths().map(|(p, _)| p).collect();
    paths.sort_unstable();
    paths.dedup();
    assert!(
        paths.len() >= 25,
        "the server functions are registered: {paths:?}"
    );

    // A function that takes no input does its one thing whatever is sent (sign
    // out, check in): there is nothing to fuzz. The rest refuse an empty form.
    let mut takes_input = Vec::new();
    let mut no_input = Vec::new();
    for p in &paths {
        let r = prober.post(p, &[]).await;
        assert!(
            r.status.as_u16() < 500,
            "{p} with nothing: {} {}",
            r.status,
            r.body
        );
        if r.status.is_client_error() {
            takes_input.push(*p);
        } else {
            no_input.push(*p);
        }
    }
    let mut targets: Vec<&str> = takes_input.clone();
    targets.extend([
        "/webhooks/stripe",
        "/webhooks/twilio/inbound",
        "/webhooks/twilio/status",
        "/webhooks/twilio/voice/incoming",
        "/webhooks/twilio/voice/pin",
        "/webhooks/twilio/voice/status",
        "/webhooks/twilio/voice/out/00000000-0000-0000-0000-000000000000",
        "/webhooks/twilio/voice/out/00000000-0000-0000-0000-000000000000/keys",
    ]);

    let before = fingerprint(&w.pool).await;
    let users_before: Vec<String> = sqlx::query_scalar("SELECT t::text FROM users t ORDER BY id")
        .fetch_all(&w.pool)
        .await
        .expect("u");
    let mut cases = Cases(0x5eed_cafe_f00d_0001);
    let per_target = 40;
    let mut sent = 0;
    for target in &targets {
        for _ in 0..per_target {
            let (content_type, body) = cases.body();
            let call = Call::post(target)
                .header("content-type", content_type)
                .header(
                    "accept",
                    cases.pick(&["application/json", "text/html", "*/*"]),
                )
                .raw_body(body.clone());
            let r = fuzzer.send(call).await;
            sent += 1;
            assert!(
                !r.status.is_server_error(),
                "{target} answered {} to {:?} ({content_type}): {}",
                r.status,
                String::from_utf8_lossy(&body),
                r.body
            );
            assert!(!r.body.contains("panicked"), "{target}: {}", r.body);
        }
    }
    let users_after: Vec<String> = sqlx::query_scalar("SELECT t::text FROM users t ORDER BY id")
        .fetch_all(&w.pool)
        .await
        .expect("u");
    assert_eq!(users_after, users_before, "no account changed");
    assert_eq!(fingerprint(&w.pool).await, before, "no row changed");
    // The count the note quotes: printed with --nocapture.
    println!(
        "fuzzed {sent} requests over {} targets ({} server functions without input left out: {no_input:?})",
        targets.len(),
        no_input.len()
    );
    assert!(sent >= 1000, "a meaningful number of cases: {sent}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_spray_of_failed_log_ins_across_the_site_pauses_pin_log_in_for_a_minute(pool: PgPool) {
    let w = world(pool, &[]);
    let email = address("mary");
    let _ = sign_up(&w, &email, "4826").await;
    // 300 failures in the last minute, each against a different address (so no
    // address's own ladder stops them).
    sqlx::query(
        "INSERT INTO pin_failures (email, failed_at)
         SELECT 'sprayed' || n || '@example.net', $1 FROM generate_series(1, 300) AS n",
    )
    .bind(w.clock.now())
    .execute(&w.pool)
    .await
    .expect("spray");
    let mut b = Browser::new(&w.app);
    let r = log_in(&mut b, &email, "4826").await;
    assert_eq!(r.status, 429, "even the right PIN waits: {}", r.body);
    assert!(
        r.body.contains("PIN log-in is paused for a minute"),
        "{}",
        r.body
    );
    assert!(!signed_in_as(&mut b, &email).await);
    w.clock.advance(Duration::seconds(61)).expect("test clock");
    let r = log_in(&mut b, &email, "4826").await;
    assert_eq!(r.header("location"), Some("/home"), "{}", r.body);
}
