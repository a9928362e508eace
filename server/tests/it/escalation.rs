//! An alert's escalation, repeats and closing (issue 21), on the test clock:
//! Contacts told in the family's order, the next only after the wait and only
//! while nobody has responded; repeats that stop at the chosen count; a Contact
//! closing the alert tells everyone and ends the repeats.
use crate::alerts::{at, ten_am};
use crate::common::{caller, person, world, World};
use app::accounts::service::Me;
use app::alerts::escalation::{Escalation, Outcome};
use app::alerts::service::Alerts;
use app::checkin::service::CheckIns;
use app::notify::worker::Worker;
use app::notify::Channel;
use pruuf_test_support::mailbox;
use uuid::Uuid;

async fn connect(w: &World, member: &Me, contact: &Me, called: &str, name: &str) {
    sqlx::query(
        "INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         VALUES ($1, $2, $3, $4, $5, now())",
    )
    .bind(Uuid::new_v4())
    .bind(member.user_id)
    .bind(contact.user_id)
    .bind(called)
    .bind(name)
    .execute(&w.pool)
    .await
    .expect("connection");
}

/// Mum in Honolulu (10:00 AM, 15 minutes' grace: alerted from 20:15 UTC),
/// looked out for by Tom, Anna and Sue.
async fn mum_and_three(w: &World) -> (Me, [Me; 3]) {
    let mum = person(w, "mum").await;
    let tom = person(w, "tom").await;
    let anna = person(w, "anna").await;
    let sue = person(w, "sue").await;
    connect(w, &mum, &tom, "Mum", "Tom").await;
    connect(w, &mum, &anna, "Mum", "Anna").await;
    connect(w, &mum, &sue, "Mum", "Sue").await;
    w.services
        .clock
        .set(at("2026-11-26T18:00:00Z"))
        .expect("clock");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &ten_am("Pacific/Honolulu"))
        .await
        .expect("schedule");
    (mum, [tom, anna, sue])
}

/// Who has been sent a missed-check-in alert (first or repeat), by email.
async fn alerted(w: &World, kind: &str) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT recipient_id FROM deliveries WHERE kind = $1 AND channel = 'email' ORDER BY created_at, recipient_id",
    )
    .bind(kind)
    .fetch_all(&w.pool)
    .await
    .expect("deliveries")
}

async fn detect_at(w: &World, when: &str) -> app::alerts::service::DetectorPass {
    w.services.clock.set(at(when)).expect("clock");
    Alerts(&w.services).detect().await.expect("detector pass")
}

async fn drain(w: &World) {
    while Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("worker pass")
        .claimed
        > 0
    {}
}

async fn the_miss(w: &World, member: &Me) -> Uuid {
    sqlx::query_scalar("SELECT id FROM misses WHERE member_id = $1")
        .bind(member.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("the miss")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_ordered_escalation_tells_the_next_only_after_the_wait_and_stops_when_someone_is_on_it(
    pool: sqlx::PgPool,
) {
    let w = world(pool);
    let (mum, [tom, anna, sue]) = mum_and_three(&w).await;
    // Anna sets the order: Tom, then Anna, then Sue, 15 minutes apart.
    Alerts(&w.services)
        .set_order(
            &caller(),
            &anna,
            mum.user_id,
            &Escalation {
                gap_min: Some(15),
                repeats: 4,
            },
            &[
                (tom.user_id, Some(1)),
                (anna.user_id, Some(2)),
                (sue.user_id, Some(3)),
            ],
        )
        .await
        .expect("order");
    // Everyone sees the order and its timings.
    let order = Alerts(&w.services)
        .order_view(&sue, mum.user_id)
        .await
        .expect("order view");
    assert_eq!(order.gap_min, Some(15));
    assert!(
        order.summary[0].starts_with("Tom: told first, at 10:15 AM HST \u{b7} 8:15 PM your time"),
        "{:?}",
        order.summary
    );
    assert!(
        order.summary[1].starts_with("Anna: told 15 minutes after"),
        "{:?}",
        order.summary
    );

    let pass = detect_at(&w, "2026-11-26T20:16:00Z").await;
    assert_eq!(pass.missed, 1);
    assert_eq!(
        alerted(&w, "missed").await,
        vec![tom.user_id],
        "Tom first, alone"
    );
    // 14 minutes on: still only Tom.
    detect_at(&w, "2026-11-26T20:30:00Z").await;
    assert_eq!(alerted(&w, "missed").await, vec![tom.user_id]);
    // 15 minutes on and nobody responded: Anna, told that Tom knows.
    detect_at(&w, "2026-11-26T20:31:00Z").await;
    assert_eq!(alerted(&w, "missed").await, vec![tom.user_id, anna.user_id]);
    drain(&w).await;
    let to_anna = mailbox::to(&anna.email).await;
    let text = to_anna[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("Tom has been told"), "{text}");
    // Tom says he is on it: Sue is never alerted, nobody gets a repeat, and
    // Anna (alerted by email) hears by email that Tom is on it.
    let miss = the_miss(&w, &mum).await;
    Alerts(&w.services)
        .acknowledge(&caller(), &tom, miss)
        .await
        .expect("on it");
    for when in [
        "2026-11-26T20:47:00Z",
        "2026-11-26T21:30:00Z",
        "2026-11-26T23:00:00Z",
    ] {
        let pass = detect_at(&w, when).await;
        assert_eq!(pass.realerts, 0, "{when}");
    }
    assert_eq!(
        alerted(&w, "missed").await,
        vec![tom.user_id, anna.user_id],
        "Sue was never alerted"
    );
    assert!(alerted(&w, "missed_again").await.is_empty());
    assert_eq!(alerted(&w, "acknowledged").await, vec![anna.user_id]);
    drain(&w).await;
    assert!(mailbox::to(&anna.email).await.iter().any(|m| m["text"]
        .as_str()
        .unwrap_or_default()
        .contains("Tom is on it")));
    // Sue, never alerted, sees it in the app.
    let sue_notes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'acknowledged'",
    )
    .bind(sue.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("notes");
    assert_eq!(sue_notes, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn with_nobody_responding_everyone_is_alerted_again_every_30_minutes_up_to_the_count(
    pool: sqlx::PgPool,
) {
    let w = world(pool);
    let (mum, [tom, anna, sue]) = mum_and_three(&w).await;
    Alerts(&w.services)
        .set_order(
            &caller(),
            &mum,
            mum.user_id,
            &Escalation {
                gap_min: None,
                repeats: 2,
            },
            &[],
        )
        .await
        .expect("two repeats");
    assert_eq!(detect_at(&w, "2026-11-26T20:16:00Z").await.deliveries, 3);
    assert_eq!(detect_at(&w, "2026-11-26T20:45:00Z").await.realerts, 0);
    let pass = detect_at(&w, "2026-11-26T20:46:00Z").await;
    assert_eq!((pass.realerts, pass.deliveries), (1, 3));
    assert_eq!(detect_at(&w, "2026-11-26T21:15:00Z").await.realerts, 0);
    assert_eq!(detect_at(&w, "2026-11-26T21:16:00Z").await.realerts, 1);
    // The count is reached: no more, however long nobody responds.
    for when in [
        "2026-11-26T21:46:00Z",
        "2026-11-26T23:00:00Z",
        "2026-11-27T05:00:00Z",
    ] {
        assert_eq!(detect_at(&w, when).await.realerts, 0, "{when}");
    }
    assert_eq!(alerted(&w, "missed_again").await.len(), 6);
    drain(&w).await;
    let repeat = mailbox::to(&sue.email)
        .await
        .into_iter()
        .find(|m| m["subject"] == "Still no check-in from Mum")
        .expect("a repeat to Sue");
    let text = repeat["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Tom, Anna and Sue have been told"),
        "says who has been told: {text}"
    );
    let _ = (tom, anna);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn closing_with_shes_fine_tells_everyone_at_once_and_ends_the_repeats(pool: sqlx::PgPool) {
    let w = world(pool);
    let (mum, [tom, anna, sue]) = mum_and_three(&w).await;
    detect_at(&w, "2026-11-26T20:16:00Z").await;
    drain(&w).await;
    let miss = the_miss(&w, &mum).await;
    // Someone from another family can neither see nor close it.
    let stranger = person(&w, "stranger").await;
    assert!(Alerts(&w.services)
        .close(&caller(), &stranger, miss, Outcome::Fine, "")
        .await
        .is_err());
    w.services
        .clock
        .set(at("2026-11-26T21:40:00Z"))
        .expect("clock");
    Alerts(&w.services)
        .close(
            &caller(),
            &tom,
            miss,
            Outcome::Fine,
            "I reached her by phone.",
        )
        .await
        .expect("closed");
    // Closing again (Anna, a moment later) changes nothing.
    Alerts(&w.services)
        .close(&caller(), &anna, miss, Outcome::Hospital, "")
        .await
        .expect("already closed");
    // Anna and Sue are told at once, by the channel that alerted them.
    let mut told = vec![anna.user_id, sue.user_id];
    told.sort();
    assert_eq!(alerted(&w, "alert_closed").await, told);
    drain(&w).await;
    let to_sue = mailbox::to(&sue.email).await;
    assert!(
        to_sue.iter().any(|m| m["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Tom closed the alert about Mum: Mum is fine. I reached her by phone")),
        "{to_sue:?}"
    );
    // No repeat ever follows.
    for when in ["2026-11-26T21:46:00Z", "2026-11-26T23:00:00Z"] {
        assert_eq!(detect_at(&w, when).await.realerts, 0, "{when}");
    }
    assert!(alerted(&w, "missed_again").await.is_empty());
    // The alert page and Mum's history say who closed it and what happened.
    let view = Alerts(&w.services)
        .alert_view(&anna, miss)
        .await
        .expect("alert");
    assert_eq!(
        view.closed.as_deref(),
        Some("Closed by Tom at 9:40 PM \u{2014} Mum is fine. I reached her by phone.")
    );
    assert!(!view.may_close && !view.may_acknowledge);
    let detail = CheckIns(&w.services)
        .member_detail(&anna, mum.user_id)
        .await
        .expect("detail");
    let day = detail
        .days
        .iter()
        .find(|d| d.day == "Thursday 26 November")
        .expect("the day");
    assert_eq!(
        day.handled.as_deref(),
        Some("Closed by Tom at 9:40 PM \u{2014} Mum is fine. I reached her by phone.")
    );
    // The close is in the audit log.
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE event = 'alert.closed'")
            .fetch_one(&w.pool)
            .await
            .expect("audit");
    assert_eq!(audited, 1);
}

fn sues_plan() -> app::plan::rules::Plan {
    app::plan::rules::Plan {
        address: "12 Elm Street".into(),
        key_holder: "Neighbour Sue".into(),
        key_holder_phone: "555-0101".into(),
        health: "Insulin twice a day".into(),
        ..Default::default()
    }
}

async fn plan_views(w: &World, by: &Me) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.audit_ref = a.actor
         WHERE a.event = 'plan.viewed' AND u.id = $1",
    )
    .bind(by.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("audit")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_plan_is_for_her_contacts_only_every_view_is_audited_and_the_alert_carries_the_key_holder(
    pool: sqlx::PgPool,
) {
    use app::plan::service::Plans;
    let w = world(pool);
    let (mum, [tom, anna, _sue]) = mum_and_three(&w).await;
    Plans(&w.services)
        .save(&caller(), &mum, mum.user_id, &sues_plan())
        .await
        .expect("Mum writes her plan");
    // Her Contact reads it, and the view is in the audit log.
    assert_eq!(plan_views(&w, &tom).await, 0);
    let seen = Plans(&w.services)
        .view(&caller(), &tom, mum.user_id)
        .await
        .expect("Tom reads it");
    assert_eq!(seen.plan.key_holder_phone, "555-0101");
    assert!(!seen.may_edit, "not until Mum allows it");
    assert_eq!(plan_views(&w, &tom).await, 1);
    // Her own look is not a Contact's view.
    Plans(&w.services)
        .view(&caller(), &mum, mum.user_id)
        .await
        .expect("Mum reads it");
    // A Contact from another family gets "not found", and no audit entry.
    let (_, [other, _, _]) = mum_and_three(&w).await;
    let refused = Plans(&w.services)
        .view(&caller(), &other, mum.user_id)
        .await;
    assert!(
        matches!(refused, Err(app::error::AppError::NotFound)),
        "{refused:?}"
    );
    assert_eq!(plan_views(&w, &other).await, 0);
    // Tom may not change it until Mum lets him; then she is told.
    let changed = app::plan::rules::Plan {
        pets: "Cat called Biscuit".into(),
        ..sues_plan()
    };
    assert!(Plans(&w.services)
        .save(&caller(), &tom, mum.user_id, &changed)
        .await
        .is_err());
    Plans(&w.services)
        .set_contacts_may_edit(&caller(), &mum, true)
        .await
        .expect("allowed");
    Plans(&w.services)
        .save(&caller(), &tom, mum.user_id, &changed)
        .await
        .expect("Tom adds the cat");
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND body LIKE 'Tom changed your plan%'",
    )
    .bind(mum.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("notes");
    assert_eq!(told, 1);

    // Mum misses: the alert's email carries the key holder (not her health),
    // and the alert page shows the plan to her Contacts, audited.
    detect_at(&w, "2026-11-26T20:16:00Z").await;
    drain(&w).await;
    let mail = mailbox::to(&anna.email)
        .await
        .into_iter()
        .find(|m| m["subject"] == "Mum hasn\u{2019}t checked in today")
        .expect("Anna's alert");
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(text.contains("Key: Neighbour Sue, 555-0101."), "{text}");
    assert!(!text.contains("Insulin"), "{text}");
    let miss = the_miss(&w, &mum).await;
    let page = Alerts(&w.services)
        .alert_page(&caller(), &anna, miss)
        .await
        .expect("the alert");
    assert!(page
        .plan
        .iter()
        .any(|(label, value)| label == "Key holder\u{2019}s phone" && value == "555-0101"));
    assert!(page
        .plan
        .iter()
        .any(|(_, value)| value == "Cat called Biscuit"));
    assert_eq!(plan_views(&w, &anna).await, 1);
    let refused = Alerts(&w.services)
        .alert_page(&caller(), &other, miss)
        .await;
    assert!(refused.is_err());
    assert_eq!(plan_views(&w, &other).await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_alert_emails_signed_link_answers_once_without_signing_in_and_opening_it_changes_nothing(
    pool: sqlx::PgPool,
) {
    let w = world(pool);
    let (mum, [tom, _anna, _sue]) = mum_and_three(&w).await;
    detect_at(&w, "2026-11-26T20:16:00Z").await;
    drain(&w).await;
    let mail = mailbox::to(&tom.email)
        .await
        .into_iter()
        .find(|m| m["subject"] == "Mum hasn\u{2019}t checked in today")
        .expect("Tom's alert");
    let text = mail["text"].as_str().unwrap_or_default().to_string();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/answer/"))
        .expect("an answer link in the mail");
    let (path, token) = link.split_once("?t=").expect("signed");
    let delivery: Uuid = path
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("the delivery id");
    let acknowledged = || async {
        sqlx::query_scalar::<_, Option<Uuid>>(
            "SELECT acknowledged_by FROM misses WHERE member_id = $1",
        )
        .bind(mum.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("miss")
    };
    let told = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM notifications WHERE kind = 'acknowledged'",
        )
        .fetch_one(&w.pool)
        .await
        .expect("notes")
    };

    // Opening the link (as a mail scanner would) shows the button, nothing more.
    let view = Alerts(&w.services)
        .answer_view(delivery, token)
        .await
        .expect("the page");
    assert!(view.may_answer);
    assert_eq!(view.headline, "Mum hasn\u{2019}t checked in today.");
    assert_eq!(acknowledged().await, None);
    // A changed signature, or the signature on another delivery, is refused.
    let first = if token.starts_with('A') { "B" } else { "A" };
    let forged = format!("{first}{}", &token[1..]);
    assert!(Alerts(&w.services)
        .answer_view(delivery, &forged)
        .await
        .is_err());
    assert!(Alerts(&w.services)
        .answer_by_link(&caller(), delivery, &forged)
        .await
        .is_err());
    assert!(Alerts(&w.services)
        .answer_by_link(&caller(), Uuid::new_v4(), token)
        .await
        .is_err());
    assert_eq!(acknowledged().await, None);

    // The button: Tom is on it, the others are told.
    Alerts(&w.services)
        .answer_by_link(&caller(), delivery, token)
        .await
        .expect("answered");
    assert_eq!(acknowledged().await, Some(tom.user_id));
    assert_eq!(told().await, 2, "Anna and Sue");
    // Used again: harmless.
    Alerts(&w.services)
        .answer_by_link(&caller(), delivery, token)
        .await
        .expect("harmless");
    assert_eq!(told().await, 2);
    let view = Alerts(&w.services)
        .answer_view(delivery, token)
        .await
        .expect("the page");
    assert!(!view.may_answer);
    assert!(view
        .state
        .unwrap_or_default()
        .starts_with("You said you\u{2019}re on it"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE event = 'alert.acknowledged' AND detail->>'how' = 'email'",
    )
    .fetch_one(&w.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_alert_notification_carries_a_signed_im_on_it_that_answers_once(pool: sqlx::PgPool) {
    use pruuf_test_support::push::FakePushService;
    let w = world(pool);
    let (mum, [tom, _anna, _sue]) = mum_and_three(&w).await;
    let service = FakePushService::start().await.expect("push service");
    let phone = subscribed(&w, &service, &tom).await;
    detect_at(&w, "2026-11-26T20:16:00Z").await;
    Worker(&w.services)
        .deliver(&[Channel::Push])
        .await
        .expect("push pass");
    let got = service.received(&phone);
    assert_eq!(got.len(), 1);
    let message: serde_json::Value =
        serde_json::from_str(&phone.decrypt(&got[0].body).expect("decrypts")).expect("json");
    assert_eq!(message["answer"], app::notify::ANSWER_PUSH_PATH);
    let delivery: Uuid = message["delivery"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("the delivery");
    let signature = message["signature"].as_str().expect("signed");
    // The button's post: Tom is on it; posting it again changes nothing.
    for _ in 0..2 {
        Alerts(&w.services)
            .answer_by_link(&caller(), delivery, signature)
            .await
            .expect("answered");
    }
    let by: Option<Uuid> =
        sqlx::query_scalar("SELECT acknowledged_by FROM misses WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("miss");
    assert_eq!(by, Some(tom.user_id));
    let told: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'acknowledged'")
            .fetch_one(&w.pool)
            .await
            .expect("told");
    assert_eq!(told, 2, "Anna and Sue, once each");
}

/// A Member with a browser subscribed at the push stand-in.
async fn subscribed(
    w: &World,
    service: &pruuf_test_support::push::FakePushService,
    who: &Me,
) -> pruuf_test_support::push::FakeSubscription {
    let sub = service.subscribe();
    app::notify::push::save_subscription(
        &w.pool,
        who.user_id,
        &sub.endpoint,
        &sub.p256dh,
        &sub.auth,
        w.services.clock.now(),
    )
    .await
    .expect("subscribed");
    sub
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_reminder_ladder_comes_at_minus_60_minus_15_and_0_and_stops_after_a_check_in(
    pool: sqlx::PgPool,
) {
    use app::checkin::service::Source;
    use pruuf_test_support::push::FakePushService;
    let w = world(pool);
    // Mum, Gran and Dad: 10:00 AM in Honolulu (20:00 UTC), reminders from 60
    // minutes before, 15 minutes' grace.
    let (mum, _) = mum_and_three(&w).await;
    let (gran, dad) = (person(&w, "gran").await, person(&w, "dad").await);
    for m in [&gran, &dad] {
        CheckIns(&w.services)
            .set_schedule(&caller(), m, &ten_am("Pacific/Honolulu"))
            .await
            .expect("schedule");
    }
    // Dad is away today.
    sqlx::query(
        "INSERT INTO pauses (id, member_id, first_day, last_day, created_by, created_at)
         VALUES ($1, $2, '2026-11-26', '2026-11-27', $2, now())",
    )
    .bind(Uuid::new_v4())
    .bind(dad.user_id)
    .execute(&w.pool)
    .await
    .expect("pause");
    let service = FakePushService::start().await.expect("push service");
    let mum_phone = subscribed(&w, &service, &mum).await;
    let gran_phone = subscribed(&w, &service, &gran).await;
    let dad_phone = subscribed(&w, &service, &dad).await;
    let push_all = || async {
        Worker(&w.services)
            .deliver(&[Channel::Push])
            .await
            .expect("push pass");
    };
    let titles = |sub: &pruuf_test_support::push::FakeSubscription| -> Vec<String> {
        service
            .received(sub)
            .iter()
            .map(|got| {
                let m: serde_json::Value =
                    serde_json::from_str(&sub.decrypt(&got.body).expect("decrypts")).expect("json");
                m["title"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    };

    for (when, expected) in [
        ("2026-11-26T18:59:00Z", 0),
        ("2026-11-26T19:00:00Z", 1), // 9:00: sixty minutes before
        ("2026-11-26T19:30:00Z", 1),
        ("2026-11-26T19:45:00Z", 2), // 9:45: fifteen minutes before
        ("2026-11-26T19:59:00Z", 2),
        ("2026-11-26T20:00:00Z", 3), // 10:00: the deadline
        ("2026-11-26T20:10:00Z", 3),
    ] {
        detect_at(&w, when).await;
        // Gran checks in after her first reminder.
        if when == "2026-11-26T19:00:00Z" {
            push_all().await;
            CheckIns(&w.services)
                .check_in(gran.user_id, Source::Web)
                .await
                .expect("Gran checks in");
        }
        push_all().await;
        assert_eq!(
            service.received(&mum_phone).len(),
            expected,
            "Mum at {when}"
        );
    }
    assert_eq!(
        titles(&mum_phone),
        [
            "Time to check in",
            "15 minutes to check in",
            "Please check in now"
        ]
    );
    assert_eq!(
        titles(&gran_phone),
        ["Time to check in"],
        "none after her check-in"
    );
    assert!(service.received(&dad_phone).is_empty(), "none while paused");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn im_with_her_now_checks_her_in_closes_the_alert_and_says_who_to_everyone(
    pool: sqlx::PgPool,
) {
    let w = world(pool);
    let (mum, [tom, anna, _sue]) = mum_and_three(&w).await;
    let pass = detect_at(&w, "2026-11-26T20:16:00Z").await;
    assert_eq!(pass.missed, 1);
    drain(&w).await;
    let checkins = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM checkins")
            .fetch_one(&w.pool)
            .await
            .expect("count")
    };
    // Before anyone acts, Tom's page offers it; Mum's own page does not.
    let tom_sees = CheckIns(&w.services)
        .member_detail(&tom, mum.user_id)
        .await
        .expect("detail");
    assert!(tom_sees.may_check_in_for);
    let mum_sees = CheckIns(&w.services)
        .member_detail(&mum, mum.user_id)
        .await
        .expect("detail");
    assert!(!mum_sees.may_check_in_for);
    // Someone from another family cannot (and learns nothing); nor can Mum use
    // it for herself: nothing is recorded.
    let stranger = person(&w, "stranger").await;
    let refused = CheckIns(&w.services)
        .check_in_for(&caller(), &stranger, mum.user_id)
        .await
        .expect_err("a stranger");
    assert_eq!(refused.status().as_u16(), 404);
    let refused = CheckIns(&w.services)
        .check_in_for(&caller(), &mum, mum.user_id)
        .await
        .expect_err("herself");
    assert_eq!(refused.status().as_u16(), 400);
    assert_eq!(checkins().await, 0);

    // Tom is with her at 20:40 UTC (10:40 AM in Honolulu).
    w.services
        .clock
        .set(at("2026-11-26T20:40:00Z"))
        .expect("clock");
    let done = CheckIns(&w.services)
        .check_in_for(&caller(), &tom, mum.user_id)
        .await
        .expect("checked in for her");
    assert!(!done.already);
    assert!(done.late);
    // Mum is told who checked her in.
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = 'checked_in'",
    )
    .bind(mum.user_id)
    .fetch_all(&w.pool)
    .await
    .expect("her notifications");
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("Tom checked you in at 10:40 AM, in person."),
        "{told:?}"
    );
    // Counted as her check-in, and as made by Tom.
    let (source, by): (String, Option<Uuid>) =
        sqlx::query_as("SELECT source, checked_in_by FROM checkins WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("the check-in");
    assert_eq!((source.as_str(), by), ("contact", Some(tom.user_id)));
    // The alert is over: no repeat comes.
    for when in ["2026-11-26T20:47:00Z", "2026-11-26T21:30:00Z"] {
        assert_eq!(detect_at(&w, when).await.realerts, 0, "{when}");
    }
    // Anna, who was alerted, is told by email that Tom is with her.
    drain(&w).await;
    let update = mailbox::to(&anna.email)
        .await
        .into_iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .find(|t| t.contains("checked in at"))
        .expect("an update to Anna");
    assert!(update.contains("Tom is with them"), "{update}");
    // A second tap (Anna's) is the same check-in, not another.
    let again = CheckIns(&w.services)
        .check_in_for(&caller(), &anna, mum.user_id)
        .await
        .expect("already");
    assert!(again.already);
    assert_eq!(checkins().await, 1);
    // Her history says who, to her and to her Contacts; the audit log has it once.
    let today = |d: app::checkin::views::MemberDetail| d.days[0].by.clone();
    assert_eq!(
        today(
            CheckIns(&w.services)
                .member_detail(&mum, mum.user_id)
                .await
                .expect("detail")
        )
        .as_deref(),
        Some("Checked in by Tom, who was with you")
    );
    let anna_sees = CheckIns(&w.services)
        .member_detail(&anna, mum.user_id)
        .await
        .expect("detail");
    assert!(!anna_sees.may_check_in_for, "done for today");
    assert_eq!(
        today(anna_sees).as_deref(),
        Some("Checked in by Tom, who was with them")
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.audit_ref = a.actor
         WHERE a.event = 'checkin.by_contact' AND u.id = $1",
    )
    .bind(tom.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}
