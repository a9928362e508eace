//! Billing against the real database and the Stripe stand-in (test-support):
//! the trial and its warnings, Checkout, webhooks that apply once whatever the
//! order or the number of deliveries, the grace period, grandfathering,
//! disputes, dead letters and their replay, and the daily reconciliation.
use crate::common::{self, caller, person, World};
use crate::connections::invite;
use app::accounts::service::Me;
use app::billing::rules::Plan;
use app::billing::service::Billing;
use app::connections::service::Connections;
use app::connections::service::Invitee;
use axum::Router;
use chrono::Duration;
use pruuf_test_support::stripe::{FakeStripe, StripeEvent};
use pruuf_test_support::{Call, Reply};
use sqlx::PgPool;

const HOOK: &str = "/webhooks/stripe";

struct Shop {
    w: World,
    app: Router,
    stripe: FakeStripe,
    /// Events of the stand-in already posted to the app.
    posted: usize,
}

/// The app pointed at the Stripe stand-in (at `api_url` if given: a dead port
/// makes every Stripe call fail).
async fn billing_with(pool: PgPool, stripe: FakeStripe, api_url: Option<String>) -> Shop {
    let mut vars = stripe.vars();
    if let Some(url) = api_url {
        vars.retain(|(k, _)| *k != "PRUUF_STRIPE_API_URL");
        vars.push(("PRUUF_STRIPE_API_URL", url));
    }
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let state = common::state(pool.clone(), common::config_with(true, &pairs));
    Shop {
        w: World {
            services: state.services.clone(),
            pool,
        },
        app: server::router(state),
        stripe,
        posted: 0,
    }
}

async fn billing_world(pool: PgPool) -> Shop {
    let stripe = FakeStripe::start(None).await.expect("the Stripe stand-in");
    billing_with(pool, stripe, None).await
}

impl Shop {
    async fn post(&self, e: &StripeEvent) -> Reply {
        Call::post(HOOK)
            .header("stripe-signature", &e.signature)
            .header("content-type", "application/json")
            .raw_body(e.payload.clone().into_bytes())
            .send(&self.app)
            .await
    }

    /// The stand-in's events not yet posted (those made by the app's own calls
    /// to Stripe are sent just after their answer: settle first).
    async fn new_events(&mut self) -> Vec<StripeEvent> {
        self.stripe.settle().await;
        let all = self.stripe.events();
        let fresh = all[self.posted..].to_vec();
        self.posted = all.len();
        fresh
    }

    /// Posts the new events in order; each must be answered 200.
    async fn deliver(&mut self) -> Vec<String> {
        let mut outcomes = Vec::new();
        for e in self.new_events().await {
            let r = self.post(&e).await;
            assert_eq!(r.status, 200, "{} -> {}", e.type_, r.body);
            outcomes.push(format!(
                "{}: {}",
                e.type_,
                r.json()["outcome"].as_str().unwrap_or("")
            ));
        }
        outcomes
    }

    async fn state(&self, who: &Me) -> String {
        sqlx::query_scalar("SELECT account_state FROM users WHERE id = $1")
            .bind(who.user_id)
            .fetch_one(&self.w.pool)
            .await
            .expect("state")
    }

    async fn subscription_of(&self, who: &Me) -> String {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT stripe_subscription_id FROM users WHERE id = $1",
        )
        .bind(who.user_id)
        .fetch_one(&self.w.pool)
        .await
        .expect("row")
        .expect("a subscription")
    }

    async fn notices(&self, who: &Me, kind: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2")
            .bind(who.user_id)
            .bind(kind)
            .fetch_one(&self.w.pool)
            .await
            .expect("count")
    }

    /// How many deliveries on `channel` were written for `who`.
    async fn deliveries(&self, who: &Me, channel: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE recipient_id = $1 AND channel = $2",
        )
        .bind(who.user_id)
        .bind(channel)
        .fetch_one(&self.w.pool)
        .await
        .expect("count")
    }

    /// The title of the newest `kind` email to `who`.
    async fn last_title(&self, who: &Me, kind: &str) -> String {
        sqlx::query_scalar(
            "SELECT payload->>'title' FROM deliveries WHERE recipient_id = $1 AND kind = $2 AND channel = 'email'
             ORDER BY created_at DESC, id LIMIT 1",
        )
        .bind(who.user_id)
        .bind(kind)
        .fetch_one(&self.w.pool)
        .await
        .expect("a mail")
    }

    /// Tom looks out for Mum (a real invitation and acceptance): Tom's trial runs.
    async fn family(&self) -> (Me, Me) {
        let (mum, tom) = (person(&self.w, "mum").await, person(&self.w, "tom").await);
        let code = invite(&self.w, &tom, &mum, Invitee::Member, "Mum").await;
        Connections(&self.w.services)
            .accept_invite(&caller(), &mum, &code)
            .await
            .expect("accepted");
        (mum, tom)
    }

    /// `who` chooses `plan` and pays with the good card; the events are posted.
    async fn pays(&mut self, who: &Me, plan: Plan) -> String {
        let url = Billing(&self.w.services)
            .start_checkout(&caller(), who, plan)
            .await
            .expect("a checkout");
        let session = url.rsplit('/').next().expect("session id").to_string();
        self.stripe
            .pay(&session, FakeStripe::GOOD_CARD)
            .await
            .expect("paid")
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_trial_starts_with_the_first_member_warns_and_ends_on_day_31(pool: PgPool) {
    let b = billing_world(pool).await;
    let (mum, tom) = b.family().await;
    assert_eq!(b.state(&tom).await, "trial");
    assert_eq!(b.state(&mum).await, "active_free", "a Member never pays");
    let ends: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT trial_ends_at FROM users WHERE id = $1")
            .bind(tom.user_id)
            .fetch_one(&b.w.pool)
            .await
            .expect("trial end");
    let clock = &b.w.services.clock;
    let length = ends - clock.now();
    assert!(
        (length - Duration::days(30)).abs() < Duration::seconds(1),
        "{length}"
    );
    assert_eq!(b.notices(&tom, "billing_trial_started").await, 1);

    // Day 15: the 15-day warning, once however often the pass runs.
    clock.set(ends - Duration::days(15)).expect("clock");
    let pass = Billing(&b.w.services).billing_pass().await.expect("pass");
    assert_eq!(pass.warned, 1);
    assert_eq!(
        Billing(&b.w.services)
            .billing_pass()
            .await
            .expect("pass")
            .warned,
        0
    );
    // Days 23 and 29: 7 days, then 1 day left.
    clock.set(ends - Duration::days(7)).expect("clock");
    assert_eq!(
        Billing(&b.w.services)
            .billing_pass()
            .await
            .expect("pass")
            .warned,
        1
    );
    // Tom turns on push in a browser before the last warning.
    app::notify::push::save_subscription(
        &b.w.pool,
        tom.user_id,
        "https://push.example.test/tom",
        "BPk1c2lnbmVkLWtleS1ub3QtdXNlZC1pbi10aGlzLXRlc3Q",
        "YXV0aC1zZWNyZXQ",
        clock.now(),
    )
    .await
    .expect("subscribed");
    clock.set(ends - Duration::hours(20)).expect("clock");
    assert_eq!(
        Billing(&b.w.services)
            .billing_pass()
            .await
            .expect("pass")
            .warned,
        1
    );
    assert_eq!(b.notices(&tom, "billing_warning").await, 3);
    let last: String = sqlx::query_scalar(
        "SELECT payload->>'body' FROM deliveries WHERE recipient_id = $1 AND kind = 'billing_warning' AND channel = 'email'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tom.user_id)
    .fetch_one(&b.w.pool)
    .await
    .expect("warning mail");
    let date = app::billing::service::long_date(ends, "UTC");
    assert!(last.contains(&date), "names the exact date: {last}");
    // Until Tom subscribed a browser his notices went by email only (no push
    // delivery that could only fail); the last warning goes to both.
    assert_eq!(b.deliveries(&tom, "push").await, 1);
    assert_eq!(
        b.deliveries(&tom, "email").await,
        4,
        "trial started, 3 warnings"
    );
    assert_eq!(
        b.deliveries(&tom, "email").await,
        b.notices(&tom, "billing_trial_started").await + b.notices(&tom, "billing_warning").await
    );

    // Not a second early; then frozen, and told at that moment.
    clock.set(ends - Duration::seconds(1)).expect("clock");
    Billing(&b.w.services).billing_pass().await.expect("pass");
    assert_eq!(b.state(&tom).await, "trial");
    clock.set(ends).expect("clock");
    assert_eq!(
        Billing(&b.w.services)
            .billing_pass()
            .await
            .expect("pass")
            .changed,
        1
    );
    assert_eq!(b.state(&tom).await, "frozen");
    assert_eq!(b.notices(&tom, "billing_frozen").await, 1);
    // A frozen Contact cannot invite.
    let ann = person(&b.w, "ann").await;
    let refused = Connections(&b.w.services)
        .invite(
            &caller(),
            &tom,
            Invitee::Member,
            &app::connections::rules::PersonName::parse("Ann").expect("name"),
            &app::validation::Email::parse(&ann.email).expect("email"),
            None,
        )
        .await;
    assert!(refused.is_err());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_same_webhook_delivered_ten_times_applies_once(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    // A double click: one customer, one session, the same page.
    let first = Billing(&b.w.services)
        .start_checkout(&caller(), &tom, Plan::Monthly)
        .await
        .expect("checkout");
    let again = Billing(&b.w.services)
        .start_checkout(&caller(), &tom, Plan::Monthly)
        .await
        .expect("checkout");
    assert_eq!(first, again);
    assert_eq!(
        (b.stripe.customers_created(), b.stripe.sessions_created()),
        (1, 1)
    );
    let session = first.rsplit('/').next().expect("id").to_string();
    b.stripe
        .pay(&session, FakeStripe::GOOD_CARD)
        .await
        .expect("paid");

    let events = b.new_events().await;
    assert!(events
        .iter()
        .any(|e| e.type_ == "checkout.session.completed"));
    for e in &events {
        let mut outcomes = Vec::new();
        for _ in 0..10 {
            let r = b.post(e).await;
            assert_eq!(r.status, 200, "{}", r.body);
            outcomes.push(r.json()["outcome"].as_str().unwrap_or("").to_string());
        }
        assert_eq!(outcomes[0], "applied", "{}", e.type_);
        assert!(
            outcomes[1..].iter().all(|o| o == "duplicate"),
            "{outcomes:?}"
        );
    }
    assert_eq!(b.state(&tom).await, "active");
    assert_eq!(b.notices(&tom, "billing_paid").await, 1, "one thank-you");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&b.w.pool)
        .await
        .expect("count");
    assert_eq!(stored, events.len() as i64);
    // The trial end was carried over: the first charge falls on day 31.
    let sub = b.stripe.subscription(&b.subscription_of(&tom).await);
    assert_eq!(sub["status"], "trialing");
    let trial_end = sub["trial_end"].as_i64().expect("trial end");
    let ours: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT trial_ends_at FROM users WHERE id = $1")
            .bind(tom.user_id)
            .fetch_one(&b.w.pool)
            .await
            .expect("trial end");
    assert_eq!(trial_end, ours.timestamp());
    // A second Checkout while the plan is live is refused.
    let second = Billing(&b.w.services)
        .start_checkout(&caller(), &tom, Plan::Annual)
        .await;
    assert!(second
        .unwrap_err()
        .message()
        .contains("already have a plan"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn updated_arriving_before_created_ends_in_the_right_state(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    let sub = b.pays(&tom, Plan::Annual).await;
    let paid = b.new_events().await;
    // Tom cancels in Stripe's portal; that update arrives first.
    b.w.services
        .stripe
        .as_ref()
        .expect("payments on")
        .set_cancel_at_period_end(&sub, true)
        .await
        .expect("canceled at Stripe");
    for e in b.new_events().await {
        assert_eq!(b.post(&e).await.status, 200);
    }
    assert_eq!(b.state(&tom).await, "canceled");
    // Then the older events: they say "active, renewing", and change nothing.
    for e in paid.iter().rev() {
        assert_eq!(b.post(e).await.status, 200);
    }
    assert_eq!(b.state(&tom).await, "canceled");
    let (plan, cancel): (Option<String>, bool) =
        sqlx::query_as("SELECT plan, cancel_at_period_end FROM users WHERE id = $1")
            .bind(tom.user_id)
            .fetch_one(&b.w.pool)
            .await
            .expect("row");
    assert_eq!((plan.as_deref(), cancel), (Some("annual"), true));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn past_due_freezes_after_three_days_of_grace_and_not_before(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    let sub = b.pays(&tom, Plan::Monthly).await;
    b.stripe.end_trial(&sub).await.expect("trial over");
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "active");

    b.stripe.fail_renewal(&sub).await.expect("declined");
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "past_due");
    assert_eq!(b.notices(&tom, "billing_payment_failed").await, 1);
    let clock = &b.w.services.clock;
    let failed_at = clock.now();
    // The first pass of the grace period warns with the days actually left.
    clock.set(failed_at + Duration::minutes(5)).expect("clock");
    assert_eq!(
        Billing(&b.w.services)
            .billing_pass()
            .await
            .expect("pass")
            .warned,
        1
    );
    assert_eq!(
        b.last_title(&tom, "billing_warning").await,
        "Alerts stop in 3 days",
        "a 3-day grace period, not the 7-day mark"
    );
    clock
        .set(failed_at + Duration::days(3) - Duration::minutes(1))
        .expect("clock");
    Billing(&b.w.services).billing_pass().await.expect("pass");
    assert_eq!(b.state(&tom).await, "past_due", "still in the grace period");
    assert_eq!(
        b.notices(&tom, "billing_warning").await,
        2,
        "told: 3 days, then 1 day left"
    );
    assert_eq!(
        b.last_title(&tom, "billing_warning").await,
        "Alerts stop in 1 day"
    );
    clock.set(failed_at + Duration::days(3)).expect("clock");
    Billing(&b.w.services).billing_pass().await.expect("pass");
    assert_eq!(b.state(&tom).await, "frozen");
    // Paying again (a new card in the portal) thaws it at once.
    b.stripe.renew(&sub).await.expect("paid");
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "active");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_payer_who_becomes_a_member_ends_active_free_without_a_charge(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    let sub = b.pays(&tom, Plan::Monthly).await;
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "active");

    // Tom's daughter asks to look out for him: Tom becomes a Member.
    let emily = person(&b.w, "emily").await;
    let code = invite(&b.w, &tom, &emily, Invitee::Contact, "Emily").await;
    Connections(&b.w.services)
        .accept_invite(&caller(), &emily, &code)
        .await
        .expect("accepted");
    assert_eq!(
        b.stripe.subscription(&sub)["cancel_at_period_end"],
        true,
        "not renewed"
    );
    b.deliver().await;
    assert_eq!(
        b.state(&tom).await,
        "canceled",
        "paid until the period's end"
    );
    assert!(b.notices(&tom, "billing_now_free").await >= 1);

    // The period ends (here: the trial he paid ahead in): no renewal, free.
    b.stripe.end_trial(&sub).await.expect("period over");
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "active_free");
    let charged = b
        .stripe
        .events()
        .iter()
        .filter(|e| e.type_ == "invoice.paid")
        .filter(|e| e.payload.contains("\"amount_paid\":399"))
        .count();
    assert_eq!(charged, 0, "never charged");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_dispute_freezes_at_once(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    let sub = b.pays(&tom, Plan::Monthly).await;
    b.stripe.end_trial(&sub).await.expect("charged");
    b.deliver().await;
    b.stripe.dispute(&sub).await.expect("disputed");
    let outcomes = b.deliver().await;
    assert!(
        outcomes
            .iter()
            .any(|o| o == "charge.dispute.created: applied"),
        "{outcomes:?}"
    );
    assert_eq!(b.state(&tom).await, "frozen");
    assert_eq!(b.notices(&tom, "billing_disputed").await, 1);
    // Stripe still says active; the dispute wins until support steps in.
    b.stripe.renew(&sub).await.expect("renewed");
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "frozen");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn bad_signatures_unknown_types_and_unknown_customers_change_nothing(pool: PgPool) {
    let b = billing_world(pool).await;
    let e = b.stripe.event_for_test(
        "customer.subscription.updated",
        serde_json::json!({"id": "sub_x"}),
    );
    // Signed with another secret.
    let forged = Call::post(HOOK)
        .header("stripe-signature", "t=1,v1=00")
        .raw_body(e.payload.clone().into_bytes())
        .send(&b.app)
        .await;
    assert_eq!(forged.status, 400);
    // Signed right, but 301 seconds ago.
    // The stand-in signed it just now (real time): `t=<now>,v1=…`.
    let now: i64 = e.signature[2..e.signature.find(',').expect("t=..,v1=..")]
        .parse()
        .expect("a time");
    let stale = Call::post(HOOK)
        .header("stripe-signature", &b.stripe.sign(&e.payload, now - 301))
        .raw_body(e.payload.clone().into_bytes())
        .send(&b.app)
        .await;
    assert_eq!(stale.status, 400);
    let unsigned = Call::post(HOOK)
        .raw_body(e.payload.clone().into_bytes())
        .send(&b.app)
        .await;
    assert_eq!(unsigned.status, 400);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&b.w.pool)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // An event type we don't use: 200, recorded, ignored.
    let other = b.stripe.event_for_test(
        "customer.created",
        serde_json::json!({"id": "cus_x", "object": "customer"}),
    );
    let r = b.post(&other).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["outcome"]
            .as_str()
            .unwrap_or("")
            .starts_with("ignored"),
        "{}",
        r.body
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_event_for_an_unknown_customer_is_ignored_with_a_log_line(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    b.pays(&tom, Plan::Monthly).await;
    // Another app's customer (or a deleted account): forget the mapping.
    sqlx::query("UPDATE users SET stripe_customer_id = NULL WHERE id = $1")
        .bind(tom.user_id)
        .execute(&b.w.pool)
        .await
        .expect("unlinked");
    let outcomes = b.deliver().await;
    assert!(
        outcomes
            .iter()
            .all(|o| o.ends_with("ignored: unknown customer")),
        "{outcomes:?}"
    );
    assert_eq!(b.state(&tom).await, "trial");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_failing_handler_lands_in_the_dead_letter_table_and_replays(pool: PgPool) {
    let stripe = FakeStripe::start(None).await.expect("stand-in");
    // While Stripe is out of reach from the app, the handler cannot read the
    // subscription: 500, kept.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let dead_url = format!("http://{}/", dead.local_addr().expect("addr"));
    drop(dead);
    let mut good = billing_with(pool.clone(), stripe.clone(), None).await;
    let broken = billing_with(pool.clone(), stripe.clone(), Some(dead_url)).await;
    let (_mum, tom) = good.family().await;
    good.pays(&tom, Plan::Monthly).await;
    let events = good.new_events().await;
    let created = events
        .iter()
        .find(|e| e.type_ == "customer.subscription.created")
        .expect("created");
    let r = broken.post(created).await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        !r.body.contains("127.0.0.1"),
        "no internal detail: {}",
        r.body
    );
    let (id, attempts, error): (uuid::Uuid, i32, String) = sqlx::query_as(
        "SELECT id, attempts, error FROM stripe_dead_letters WHERE event_id = $1 AND resolved_at IS NULL",
    )
    .bind(&created.id)
    .fetch_one(&pool)
    .await
    .expect("kept");
    assert_eq!(attempts, 1);
    assert!(error.contains("Stripe could not be reached"), "{error}");
    assert_eq!(broken.state(&tom).await, "trial", "nothing half-applied");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(stored, 0, "a failed event is not marked as seen");

    // An admin replays it from the Webhooks page once Stripe is back.
    let (mut admin, _) = crate::admin::stepped_up_admin(&good.app, &good.w.services).await;
    let page = admin.get("/admin/webhooks").await;
    assert!(page.body.contains(&created.id), "{}", page.body);
    assert!(
        page.body
            .contains("customer.subscription.created (stripe api)"),
        "{}",
        page.body
    );
    let r = admin
        .post(
            crate::accounts::path::<app::admin::pages::webhooks::AdminReplay>(),
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), "applied");
    let detail: serde_json::Value =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE event = 'admin.webhook_replayed'")
            .fetch_one(&pool)
            .await
            .expect("the replay is audited");
    assert_eq!(
        detail,
        serde_json::json!({ "letter": id, "outcome": "applied", "by": "admin page" })
    );
    assert!(!admin
        .get("/admin/webhooks")
        .await
        .body
        .contains(&created.id));
    assert_eq!(good.state(&tom).await, "active");
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stripe_dead_letters WHERE resolved_at IS NULL")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(open, 0);
    // Stripe's own retry of the same event is now a duplicate.
    let retry = good.post(created).await;
    assert_eq!(retry.json()["outcome"], "duplicate");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_daily_reconciliation_fixes_drift_once_a_day(pool: PgPool) {
    let mut b = billing_world(pool).await;
    let (_mum, tom) = b.family().await;
    let sub = b.pays(&tom, Plan::Monthly).await;
    b.deliver().await;
    assert_eq!(b.state(&tom).await, "active");
    // A webhook that never arrived: Stripe gave up on the card.
    b.stripe.set_status_silently(&sub, "unpaid");
    let r = Billing(&b.w.services)
        .reconcile_if_due()
        .await
        .expect("ran")
        .expect("due today");
    assert_eq!((r.checked, r.fixed, r.failed), (1, 1, 0));
    assert_eq!(b.state(&tom).await, "frozen");
    assert!(
        Billing(&b.w.services)
            .reconcile_if_due()
            .await
            .expect("ran")
            .is_none(),
        "once a day"
    );
    b.w.services
        .clock
        .advance(Duration::days(1))
        .expect("clock");
    let next = Billing(&b.w.services)
        .reconcile_if_due()
        .await
        .expect("ran")
        .expect("the next day");
    assert_eq!(next.fixed, 0, "nothing left to fix");
}
