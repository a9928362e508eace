//! Missed check-ins against the real database and the mail catcher: one alert per
//! Contact per channel, racing detectors, a worker that dies mid-send, a relay
//! that fails and comes back, a permanent failure, and a check-in racing the
//! detector.
use crate::common::{self, caller, person, world, World};
use app::accounts::service::Me;
use app::alerts::service::Alerts;
use app::checkin::service::CheckIns;
use app::checkin::service::{ScheduleInput, Source};
use app::checkin::windows::{Days, Window};
use app::notify::worker::Worker;
use app::notify::Channel;
use app::services::Services;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use pruuf_test_support::mailbox;
use pruuf_test_support::proxy::CuttableProxy;
use sqlx::PgPool;
use uuid::Uuid;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

pub(crate) fn ten_am(zone: &str) -> ScheduleInput {
    ScheduleInput {
        windows: vec![Window {
            time: NaiveTime::from_hms_opt(10, 0, 0).expect("time"),
            days: Days::EVERY_DAY,
        }],
        zone: zone.parse().expect("zone"),
        reminder_on: true,
        lead_min: 60,
        grace_min: 15,
    }
}

pub(crate) async fn connect(pool: &PgPool, member: Uuid, contact: Uuid, called: &str) {
    sqlx::query(
        "INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         VALUES ($1, $2, $3, $4, 'Tom', now())",
    )
    .bind(Uuid::new_v4())
    .bind(member)
    .bind(contact)
    .bind(called)
    .execute(pool)
    .await
    .expect("connection");
}

pub(crate) async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

/// Mum in Honolulu (10:00 AM, 15 minutes' grace), with Tom and Ann looking out for her.
pub(crate) async fn family(w: &World) -> (Me, Me, Me) {
    let (mum, tom, ann) = (
        person(w, "mum").await,
        person(w, "tom").await,
        person(w, "ann").await,
    );
    connect(&w.pool, mum.user_id, tom.user_id, "Mum").await;
    connect(&w.pool, mum.user_id, ann.user_id, "Mother").await;
    w.services
        .clock
        .set(at("2026-11-26T18:00:00Z"))
        .expect("clock"); // 8:00 AM HST
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &ten_am("Pacific/Honolulu"))
        .await
        .expect("schedule");
    (mum, tom, ann)
}

async fn drain(services: &Services) {
    loop {
        let pass = Worker(services)
            .deliver(&[Channel::Email])
            .await
            .expect("worker pass");
        if pass.claimed == 0 {
            break;
        }
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_missed_alert_goes_out_before_thousands_of_queued_notices(pool: PgPool) {
    let w = world(pool);
    let (_mum, tom, ann) = family(&w).await;
    // 5,000 test alerts and notices queued (for Ann, who tapped "send a test"
    // too often, say) well before Mum's deadline.
    sqlx::query(
        "INSERT INTO deliveries (id, recipient_id, member_id, kind, channel, payload, next_attempt_at, created_at)
         SELECT gen_random_uuid(), $1, $1, CASE WHEN n % 2 = 0 THEN 'test' ELSE 'billing_warning' END, 'email',
                '{\"title\": \"A test alert from Pruuf\", \"body\": \"Test\", \"link\": \"/home\"}'::jsonb, $2, $2
         FROM generate_series(1, 5000) AS n",
    )
    .bind(ann.user_id)
    .bind(w.services.clock.now())
    .execute(&w.pool)
    .await
    .expect("queued");
    w.services
        .clock
        .set(at("2026-11-26T20:15:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 1);
    // The very first worker pass takes the alerts, ahead of the older queue.
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("worker pass");
    assert!(pass.claimed > 2, "a full batch: {}", pass.claimed);
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'missed' AND status = 'sent'"
        )
        .await,
        2,
        "Tom's and Ann's alerts went in the first pass"
    );
    let to_tom = mailbox::to(&tom.email).await;
    assert!(
        to_tom
            .iter()
            .any(|m| m["subject"] == "Mum hasn\u{2019}t checked in today"),
        "Tom's alert reached the relay"
    );
}

async fn the_miss(w: &World) -> Uuid {
    sqlx::query_scalar("SELECT id FROM misses")
        .fetch_one(&w.pool)
        .await
        .expect("one miss")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_before_the_alarm_went_out_cancels_it_and_sends_no_update(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, _ann) = family(&w).await;
    w.services
        .clock
        .set(at("2026-11-26T20:15:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").deliveries,
        2
    );
    // Mum taps "I'm OK" before any worker has handed the alerts over.
    w.services
        .clock
        .set(at("2026-11-26T20:15:20Z"))
        .expect("clock");
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    drain(&w.services).await;
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'missed' AND status = 'canceled'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'late_update'"
        )
        .await,
        0,
        "no \"all is well\" for an alarm nobody got"
    );
    assert!(
        mailbox::to(&tom.email).await.is_empty(),
        "Tom's inbox holds neither the alarm nor an update"
    );
    let view = Alerts(&w.services)
        .alert_view(&tom, the_miss(&w).await)
        .await
        .expect("alert page");
    assert!(!view.may_acknowledge);
    assert!(view.headline.contains("All is well"), "{}", view.headline);
    assert!(
        view.trail
            .iter()
            .all(|t| t.contains("not sent: they checked in first")),
        "{:?}",
        view.trail
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_lets_alerts_being_handed_over_finish_then_sends_the_update(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await;
    // A worker has taken both alerts: they are in the relay's hands right now.
    let taken = missed_and_taken(&w).await;
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    let mut answers = Vec::new();
    for d in taken {
        let answer = Worker(&w.services).send_one(&d).await;
        answers.push((d, answer));
    }
    let pass = Worker(&w.services).record(answers).await.expect("recorded");
    assert_eq!(
        (pass.skipped, pass.sent),
        (0, 2),
        "not canceled under the relay"
    );
    Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    for who in [&tom, &ann] {
        let mails = mailbox::to(&who.email).await;
        assert_eq!(mails.len(), 2, "the alarm, then the update");
        assert!(
            mails[1]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Update:")),
            "{:?}",
            mails[1]["subject"]
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_after_local_midnight_resolves_the_evening_miss(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await;
    // 11:30 PM in Honolulu with 30 minutes' grace: the alert comes at midnight.
    let late_evening = ScheduleInput {
        windows: vec![Window {
            time: NaiveTime::from_hms_opt(23, 30, 0).expect("time"),
            days: Days::EVERY_DAY,
        }],
        grace_min: 30,
        ..ten_am("Pacific/Honolulu")
    };
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &late_evening)
        .await
        .expect("schedule");
    w.services
        .clock
        .set(at("2026-11-27T10:00:00Z"))
        .expect("clock"); // midnight HST
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 1);
    drain(&w.services).await;
    // 12:05 AM: a new local day, but this check-in answers last night's alarm.
    w.services
        .clock
        .set(at("2026-11-27T10:05:00Z"))
        .expect("clock");
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    drain(&w.services).await;
    for who in [&tom, &ann] {
        let update: Vec<_> = mailbox::to(&who.email)
            .await
            .into_iter()
            .filter(|m| {
                m["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("Update:"))
            })
            .collect();
        assert_eq!(update.len(), 1, "one update each");
        let text = update[0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("(35 min late)"), "{text}");
    }
    // Half an hour after the alert: no repeat, and no "I'm on it" left to press.
    w.services
        .clock
        .set(at("2026-11-27T10:31:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").realerts,
        0
    );
    let view = Alerts(&w.services)
        .alert_view(&ann, the_miss(&w).await)
        .await
        .expect("alert page");
    assert!(!view.may_acknowledge);
    assert!(view.headline.contains("All is well"), "{}", view.headline);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn with_no_grace_a_check_in_within_the_deadline_minute_is_on_time_and_alerts_nobody(
    pool: PgPool,
) {
    let w = world(pool);
    let (mum, _tom, _ann) = family(&w).await;
    let no_grace = ScheduleInput {
        grace_min: 0,
        ..ten_am("Pacific/Honolulu")
    };
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &no_grace)
        .await
        .expect("schedule");
    // 10:00:00 and 10:00:40: the deadline's minute has not ended, nobody is due.
    for t in ["2026-11-26T20:00:00Z", "2026-11-26T20:00:40Z"] {
        w.services.clock.set(at(t)).expect("clock");
        assert_eq!(
            Alerts(&w.services).detect().await.expect("pass").missed,
            0,
            "{t}"
        );
    }
    // 10:00:50: Mum taps "I'm OK", on time.
    w.services
        .clock
        .set(at("2026-11-26T20:00:50Z"))
        .expect("clock");
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    // 10:01:00: the window has closed; she checked in, so no alert, no update.
    w.services
        .clock
        .set(at("2026-11-26T20:01:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM misses").await, 0);
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind IN ('missed', 'late_update')"
        )
        .await,
        0
    );

    // The next day nobody checks in: the alert comes at 10:01:00, not before.
    w.services
        .clock
        .set(at("2026-11-27T20:00:59Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    w.services
        .clock
        .set(at("2026-11-27T20:01:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_missed_member_gives_one_alert_per_contact_per_channel(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await;
    // 10:15:59 is still inside the grace period; nothing happens.
    w.services
        .clock
        .set(at("2026-11-26T20:14:59Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    // 10:15 has passed: one miss, one email delivery each for Tom and Ann.
    w.services
        .clock
        .set(at("2026-11-26T20:15:00Z"))
        .expect("clock");
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!((pass.missed, pass.deliveries), (1, 2));
    // Again, and from a second detector: nothing more.
    let other = common::state(w.pool.clone(), common::config(true)).services;
    other.clock.set(at("2026-11-26T20:16:00Z")).expect("clock");
    assert_eq!(Alerts(&other).detect().await.expect("pass").missed, 0);
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM misses").await, 1);
    assert_eq!(count(&w.pool, "SELECT count(*) FROM deliveries").await, 2);
    // The next deadline moved on to tomorrow's.
    let next: DateTime<Utc> =
        sqlx::query_scalar("SELECT next_deadline FROM schedules WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("next");
    assert_eq!(next, at("2026-11-27T20:00:00Z"));

    drain(&w.services).await;
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE status = 'sent'"
        )
        .await,
        2
    );
    for (who, name) in [(&tom, "Mum"), (&ann, "Mother")] {
        let mails: Vec<_> = mailbox::to(&who.email)
            .await
            .into_iter()
            .filter(|m| m["subject"] == format!("{name} hasn\u{2019}t checked in today"))
            .collect();
        assert_eq!(mails.len(), 1, "one alert mail to {name}'s Contact");
        let text = mails[0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("10:00 AM HST"), "{text}");
        assert!(text.contains("/alerts/"), "{text}");
    }
    // Both see "Missed" with the alert; Tom says he's on it; Ann sees that.
    let home = CheckIns(&w.services).home(&ann).await.expect("home");
    let href = home.watching[0].alert_href.clone().expect("an alert link");
    let miss: Uuid = href.trim_start_matches("/alerts/").parse().expect("id");
    Alerts(&w.services)
        .acknowledge(&caller(), &tom, miss)
        .await
        .expect("on it");
    let home = CheckIns(&w.services).home(&ann).await.expect("home");
    assert_eq!(home.watching[0].on_it.as_deref(), Some("Tom is on it."));
    let alert = Alerts(&w.services)
        .alert_view(&ann, miss)
        .await
        .expect("alert");
    assert_eq!(
        alert
            .acknowledged
            .as_deref()
            .map(|a| a.starts_with("Tom is on it")),
        Some(true)
    );
    assert!(!alert.may_acknowledge);
    // Acknowledged: no second round after 30 minutes.
    w.services
        .clock
        .set(at("2026-11-26T21:00:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").realerts,
        0
    );
    // A stranger cannot read or acknowledge it.
    let stranger = person(&w, "stranger").await;
    assert!(Alerts(&w.services)
        .alert_view(&stranger, miss)
        .await
        .is_err());
    assert!(Alerts(&w.services)
        .acknowledge(&caller(), &stranger, miss)
        .await
        .is_err());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn nobody_on_it_within_30_minutes_alerts_everyone_again_and_frozen_contacts_get_nothing(
    pool: PgPool,
) {
    let w = world(pool);
    let (_mum, _tom, ann) = family(&w).await;
    sqlx::query("UPDATE users SET account_state = 'frozen' WHERE id = $1")
        .bind(ann.user_id)
        .execute(&w.pool)
        .await
        .expect("frozen");
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").deliveries,
        1,
        "Tom only"
    );
    w.services
        .clock
        .set(at("2026-11-26T20:45:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").realerts,
        0,
        "not yet 30 minutes"
    );
    w.services
        .clock
        .set(at("2026-11-26T20:46:00Z"))
        .expect("clock");
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!((pass.realerts, pass.deliveries), (1, 1));
    // The next repeat comes 30 minutes after the last (up to four: see
    // escalation.rs), one per pass however late the pass is.
    w.services
        .clock
        .set(at("2026-11-26T22:00:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").realerts,
        1,
        "the second repeat"
    );
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").realerts,
        0,
        "not twice in one moment"
    );
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'missed_again'"
        )
        .await,
        2
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_detectors_racing_over_a_thousand_due_members_claim_each_miss_once(pool: PgPool) {
    let w = world(pool);
    let tom = person(&w, "tom").await;
    // 1,000 Members due at the same minute, all watched by Tom.
    sqlx::query(
        "WITH m AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'member' || g || '-' || $2 || '@example.com', 'x', 'standard', now()
             FROM generate_series(1, 1000) g RETURNING id)
         , s AS (INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at)
             SELECT id, '10:00', 'Pacific/Honolulu', '2026-11-26T20:00:00Z', now(), now() FROM m RETURNING member_id)
         INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         SELECT gen_random_uuid(), member_id, $1, 'Me', 'Tom', now() FROM s",
    )
    .bind(tom.user_id)
    .bind(Uuid::new_v4().simple().to_string())
    .execute(&w.pool)
    .await
    .expect("members");
    let when = at("2026-11-26T20:20:00Z");
    let mut detectors = Vec::new();
    for _ in 0..2 {
        // Each with its own pool, as two processes would have.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_with(w.pool.connect_options().as_ref().clone())
            .await
            .expect("pool");
        let services = common::state(pool, common::config(true)).services;
        services.clock.set(when).expect("clock");
        detectors.push(tokio::spawn(async move {
            Alerts(&services).detect().await.expect("pass")
        }));
    }
    let mut claimed = 0;
    for d in detectors {
        claimed += d.await.expect("task").missed;
    }
    assert_eq!(
        claimed, 1000,
        "every miss claimed, by one detector or the other"
    );
    assert_eq!(count(&w.pool, "SELECT count(*) FROM misses").await, 1000);
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM deliveries").await,
        1000
    );
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM (SELECT miss_id FROM deliveries GROUP BY miss_id HAVING count(*) > 1) d").await,
        0
    );
}

/// Mum misses (10:16 AM HST) and one worker takes both email alerts (a try
/// each, with a 60-second lease) without answering yet.
async fn missed_and_taken(w: &World) -> Vec<app::notify::outbox::ClaimedRow> {
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");
    take_emails(w).await
}

/// One worker takes every email due now, with a 60-second lease.
async fn take_emails(w: &World) -> Vec<app::notify::outbox::ClaimedRow> {
    let now = w.services.clock.now();
    app::notify::outbox::claim_deliveries(
        &w.pool,
        &[Channel::Email],
        now,
        now + Duration::seconds(60),
        50,
    )
    .await
    .expect("claim")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_worker_that_dies_mid_send_is_taken_over_after_its_lease(pool: PgPool) {
    let w = world(pool);
    let (_mum, tom, _ann) = family(&w).await;
    // A worker claims everything, hands one to the provider, and dies before
    // recording it.
    let claimed = missed_and_taken(&w).await;
    assert_eq!(claimed.len(), 2);
    let toms = claimed
        .iter()
        .find(|d| d.address == tom.email)
        .expect("Tom's");
    assert_eq!(toms.attempts, 1, "taking it counts the try");
    Worker(&w.services)
        .send_one(toms)
        .await
        .expect("the relay took it");
    drop(claimed);
    // Within the lease nobody else takes them.
    assert_eq!(
        Worker(&w.services)
            .deliver(&[Channel::Email])
            .await
            .expect("pass")
            .claimed,
        0
    );
    // After it, another worker does, and each is recorded sent once.
    w.services
        .clock
        .advance(Duration::seconds(61))
        .expect("clock");
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!((pass.claimed, pass.sent), (2, 2));
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE status = 'sent'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&w.pool, "SELECT max(attempts)::bigint FROM deliveries").await,
        2
    );
    // The price of never losing one: Tom may get that alert twice.
    let toms_mails = mailbox::to(&tom.email).await.len();
    assert!((1..=2).contains(&toms_mails));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_worker_whose_lease_ran_out_mid_send_cannot_overwrite_the_next_try(pool: PgPool) {
    let w = world(pool);
    let (_mum, tom, ann) = family(&w).await;
    // Worker A takes both alerts, then stalls (a frozen machine): its lease runs
    // out before the relay answers it.
    let slow = missed_and_taken(&w).await;
    assert_eq!(slow.len(), 2);
    w.services
        .clock
        .advance(Duration::seconds(61))
        .expect("clock");
    // Worker B takes them again and sends them, labelled (A's may have gone).
    let b = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!((b.claimed, b.sent), (2, 2));
    for who in [&tom, &ann] {
        let mails = mailbox::to(&who.email).await;
        assert_eq!(mails.len(), 1, "B's try");
        let subject = mails[0]["subject"].as_str().unwrap_or_default();
        assert!(subject.ends_with("(sent again)"), "{subject}");
    }
    // A's answers come in at last, a failure for one: they change nothing.
    let late: Vec<_> = slow
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let answer = if i == 0 {
                Ok(None)
            } else {
                Err(app::notify::rules::SendError::Permanent("refused".into()))
            };
            (d, answer)
        })
        .collect();
    let a = Worker(&w.services).record(late).await.expect("recorded");
    assert_eq!((a.skipped, a.sent, a.failed), (2, 0, 0));
    // Attempts count real tries: A's and B's.
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE attempts = 2 AND status = 'sent' AND last_error IS NULL"
        )
        .await,
        2
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_delivery_no_worker_ever_finishes_ends_failed_and_visible(pool: PgPool) {
    let w = world(pool);
    let (_mum, tom, ann) = family(&w).await;
    // Sending these alerts kills the worker every time (a poisoned row): each
    // try is taken, and its lease runs out with no answer.
    let mut taken = missed_and_taken(&w).await;
    for _ in 0..app::notify::rules::LAPSED_TRIES {
        assert_eq!(taken.len(), 2, "taken again after its lease");
        w.services
            .clock
            .advance(Duration::seconds(61))
            .expect("clock");
        taken = take_emails(&w).await;
    }
    // After five tries in a row with no answer, no process takes them again:
    // they end failed, saying why.
    assert!(taken.is_empty(), "{taken:?}");
    assert_eq!(
        count(
            &w.pool,
            &format!(
                "SELECT count(*) FROM deliveries WHERE status = 'failed' AND attempts = {} AND last_error = '{}'",
                app::notify::rules::LAPSED_TRIES,
                app::notify::rules::LAPSED_WORDS
            )
        )
        .await,
        2
    );
    for who in [&tom, &ann] {
        assert!(mailbox::to(&who.email).await.is_empty());
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_relay_that_fails_three_times_then_recovers_ends_sent(pool: PgPool) {
    let smtp = std::env::var("PRUUF_SMTP_URL").expect("PRUUF_SMTP_URL");
    let target: std::net::SocketAddr = smtp
        .trim_start_matches("smtp://")
        .parse()
        .expect("host:port");
    let proxy = CuttableProxy::start(target).await.expect("proxy");
    let url = format!("smtp://{}", proxy.addr);
    let state = common::state(
        pool.clone(),
        common::config_with(true, &[("PRUUF_SMTP_URL", &url)]),
    );
    let w = World {
        services: state.services.clone(),
        pool,
    };
    let (_mum, _tom, ann) = family(&w).await;
    sqlx::query("UPDATE users SET account_state = 'frozen' WHERE id = $1")
        .bind(ann.user_id)
        .execute(&w.pool)
        .await
        .expect("one recipient only");
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");
    proxy.cut();
    for wait in [0, 30, 120] {
        w.services
            .clock
            .advance(Duration::seconds(wait))
            .expect("clock");
        let pass = Worker(&w.services)
            .deliver(&[Channel::Email])
            .await
            .expect("pass");
        assert_eq!((pass.claimed, pass.retried), (1, 1), "after {wait} s");
        // Not due again before its backoff.
        assert_eq!(
            Worker(&w.services)
                .deliver(&[Channel::Email])
                .await
                .expect("pass")
                .claimed,
            0
        );
    }
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM deliveries")
        .fetch_one(&w.pool)
        .await
        .expect("row");
    assert!(error.is_some(), "the failure is recorded");
    proxy.restore();
    w.services
        .clock
        .advance(Duration::minutes(10))
        .expect("clock");
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!(pass.sent, 1);
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM deliveries")
            .fetch_one(&w.pool)
            .await
            .expect("row");
    assert_eq!((status.as_str(), attempts), ("sent", 4));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_permanent_failure_ends_failed_and_shows_on_the_alert(pool: PgPool) {
    let w = world(pool);
    let (_mum, tom, ann) = family(&w).await;
    // An address no relay would take (written past validation, as a corrupt row would be).
    sqlx::query("UPDATE users SET email = 'not an address' WHERE id = $1")
        .bind(ann.user_id)
        .execute(&w.pool)
        .await
        .expect("bad address");
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!((pass.sent, pass.failed), (1, 1));
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE status = 'failed'"
        )
        .await,
        1
    );
    // Tom's own trail shows his alert was sent.
    let href = CheckIns(&w.services)
        .home(&tom)
        .await
        .expect("home")
        .watching[0]
        .alert_href
        .clone()
        .expect("alert");
    let miss: Uuid = href.trim_start_matches("/alerts/").parse().expect("id");
    let alert = Alerts(&w.services)
        .alert_view(&tom, miss)
        .await
        .expect("alert");
    assert!(
        alert
            .trail
            .iter()
            .any(|t| t.starts_with("Alert by email: sent at")),
        "{:?}",
        alert.trail
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_racing_the_detector_leaves_no_alert_to_go_out(pool: PgPool) {
    let w = world(pool);
    let tom = person(&w, "tom").await;
    let mut members = Vec::new();
    w.services
        .clock
        .set(at("2026-11-26T18:00:00Z"))
        .expect("clock");
    for _ in 0..20 {
        let m = person(&w, "mum").await;
        connect(&w.pool, m.user_id, tom.user_id, "Mum").await;
        CheckIns(&w.services)
            .set_schedule(&caller(), &m, &ten_am("Pacific/Honolulu"))
            .await
            .expect("schedule");
        members.push(m);
    }
    w.services
        .clock
        .set(at("2026-11-26T20:15:30Z"))
        .expect("clock");
    let detector = {
        let services = w.services.clone();
        tokio::spawn(async move { Alerts(&services).detect().await.expect("pass") })
    };
    let mut taps = Vec::new();
    for m in &members {
        let (services, id) = (w.services.clone(), m.user_id);
        taps.push(tokio::spawn(async move {
            CheckIns(&services)
                .check_in(id, Source::Web)
                .await
                .expect("checked in")
        }));
    }
    detector.await.expect("detector");
    for t in taps {
        t.await.expect("tap");
    }
    // Nothing was handed over yet, so an alert the detector wrote is canceled
    // by the check-in, and nobody gets an "all is well" for an alarm they never
    // received.
    for m in &members {
        let alerts: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE member_id = $1 AND kind = 'missed' AND status <> 'canceled'",
        )
        .bind(m.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("count");
        let updates: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries WHERE member_id = $1 AND kind = 'late_update'",
        )
        .bind(m.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("count");
        assert_eq!(
            (alerts, updates),
            (0, 0),
            "no alert left to go out, and no update"
        );
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn push_alerts_are_encrypted_signed_and_retried_and_gone_subscriptions_are_dropped(
    pool: PgPool,
) {
    use app::notify::push::save_subscription;
    use pruuf_test_support::push::FakePushService;
    let w = world(pool);
    let (_mum, tom, ann) = family(&w).await;
    let service = FakePushService::start().await.expect("push service");
    let (phone, old_laptop, tablet) = (
        service.subscribe(),
        service.subscribe(),
        service.subscribe(),
    );
    let now = w.services.clock.now();
    for (who, sub) in [(&tom, &phone), (&tom, &old_laptop), (&ann, &tablet)] {
        save_subscription(
            &w.pool,
            who.user_id,
            &sub.endpoint,
            &sub.p256dh,
            &sub.auth,
            now,
        )
        .await
        .expect("subscribed");
    }
    service.script(&old_laptop, &[410]);
    service.script(&tablet, &[500, 503, 429]);
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!(pass.deliveries, 4, "email and push for each of Tom and Ann");

    // Tom's phone gets it; his old laptop's subscription is gone and removed.
    let first = Worker(&w.services)
        .deliver(&[Channel::Push])
        .await
        .expect("pass");
    assert_eq!((first.sent, first.retried), (1, 1));
    let got = service.received(&phone);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].content_encoding, "aes128gcm");
    assert!(got[0].authorization.starts_with("vapid t="), "VAPID signed");
    assert_eq!(got[0].urgency, "high");
    let message: serde_json::Value =
        serde_json::from_str(&phone.decrypt(&got[0].body).expect("decrypts")).expect("json");
    assert_eq!(message["title"], "Mum hasn\u{2019}t checked in today");
    assert!(message["url"]
        .as_str()
        .unwrap_or_default()
        .starts_with("/alerts/"));
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM push_subscriptions").await,
        2,
        "the gone subscription was deleted"
    );
    // A browser counts as a way to reach someone once a push reached it: Tom's
    // phone now, Ann's tablet (refusing so far) not yet.
    let confirmed = |endpoint: String| {
        let pool = w.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT confirmed_at IS NOT NULL FROM push_subscriptions WHERE endpoint = $1",
            )
            .bind(endpoint)
            .fetch_one(&pool)
            .await
            .expect("subscription")
        }
    };
    assert!(confirmed(phone.endpoint.clone()).await);
    assert!(!confirmed(tablet.endpoint.clone()).await);
    // Ann's tablet: 500, 503, 429, then it takes it, on the backoff schedule.
    for wait in [30, 120, 600] {
        w.services
            .clock
            .advance(Duration::seconds(wait))
            .expect("clock");
        let pass = Worker(&w.services)
            .deliver(&[Channel::Push])
            .await
            .expect("pass");
        assert_eq!(pass.claimed, 1, "after {wait} s");
    }
    assert_eq!(service.received(&tablet).len(), 1);
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM deliveries d JOIN users u ON u.id = d.recipient_id WHERE d.channel = 'push' AND u.id = $1")
            .bind(ann.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("row");
    assert_eq!((status.as_str(), attempts), ("sent", 4));
    // The VAPID key was made once and kept.
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM server_settings WHERE key LIKE 'vapid%'"
        )
        .await,
        1
    );
}

/// Through the real router: a browser hands over its subscription (bad ones are
/// refused), and "Send me a test alert" reaches it and the mailbox.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_browser_subscribes_and_a_test_alert_proves_the_path(pool: PgPool) {
    use crate::accounts::{address, path, sign_up, world as http_world};
    use app::alerts::device::{PushKey, SavePush, SendTestAlert};
    use pruuf_test_support::push::FakePushService;
    let w = http_world(pool.clone(), &[]);
    let email = address("tom");
    let mut b = sign_up(&w, &email, "4826").await;
    let key = b.post(path::<PushKey>(), &[]).await;
    assert_eq!(key.status, 200, "{}", key.body);
    assert_eq!(
        key.json().as_str().map(str::len),
        Some(87),
        "a P-256 public key, base64url"
    );

    let service = FakePushService::start().await.expect("push service");
    let sub = service.subscribe();
    for (endpoint, p256dh, auth) in [
        ("ftp://127.0.0.1/x", sub.p256dh.as_str(), sub.auth.as_str()),
        (
            "http://push.example/x",
            sub.p256dh.as_str(),
            sub.auth.as_str(),
        ),
        (sub.endpoint.as_str(), "bm90IGEga2V5", sub.auth.as_str()),
        (sub.endpoint.as_str(), sub.p256dh.as_str(), "c2hvcnQ"),
    ] {
        let r = b
            .post(
                path::<SavePush>(),
                &[("endpoint", endpoint), ("p256dh", p256dh), ("auth", auth)],
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM push_subscriptions").await,
        0
    );
    let r = b
        .post(
            path::<SavePush>(),
            &[
                ("endpoint", &sub.endpoint),
                ("p256dh", &sub.p256dh),
                ("auth", &sub.auth),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = b.post(path::<SendTestAlert>(), &[]).await;
    assert_eq!(r.header("location"), Some("/home?test=sent"), "{}", r.body);
    let services = common::state(pool.clone(), common::config(true)).services;
    services.clock.set(w.clock.now()).expect("clock");
    drain_all(&services).await;
    let got = service.received(&sub);
    assert_eq!(got.len(), 1);
    let message: serde_json::Value =
        serde_json::from_str(&sub.decrypt(&got[0].body).expect("decrypts")).expect("json");
    assert_eq!(message["title"], "A test alert from Pruuf");
    let mails = mailbox::to(&email).await;
    assert!(mails
        .iter()
        .any(|m| m["subject"] == "A test alert from Pruuf"));
}

pub(crate) async fn drain_all(services: &Services) {
    loop {
        let pass = Worker(services)
            .deliver(&Channel::ALL)
            .await
            .expect("worker pass");
        if pass.claimed == 0 {
            break;
        }
    }
}

/// Subscribes a fresh stand-in browser for `who`.
async fn browser_for(
    w: &World,
    service: &pruuf_test_support::push::FakePushService,
    who: Uuid,
) -> pruuf_test_support::push::FakeSubscription {
    let sub = service.subscribe();
    app::notify::push::save_subscription(
        &w.pool,
        who,
        &sub.endpoint,
        &sub.p256dh,
        &sub.auth,
        w.services.clock.now(),
    )
    .await
    .expect("subscribed");
    sub
}

fn message_of(
    sub: &pruuf_test_support::push::FakeSubscription,
    got: &pruuf_test_support::push::Received,
) -> serde_json::Value {
    serde_json::from_str(&sub.decrypt(&got.body).expect("decrypts")).expect("json")
}

/// A Member's reminder comes by push at deadline − lead, once, only if they have
/// not checked in; "I'm OK" on it (the service worker posts the token it carried)
/// checks them in with no session; a made-up or old token changes nothing.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_reminder_comes_by_push_at_the_lead_and_its_i_am_ok_checks_in(pool: PgPool) {
    use crate::accounts::path;
    use app::checkin::pages::ReminderCheckIn;
    use pruuf_test_support::{browser::Browser, push::FakePushService};
    let state = common::state(pool.clone(), common::config(true));
    let w = World {
        services: state.services.clone(),
        pool: pool.clone(),
    };
    let app = server::router(state);
    let (mum, _tom, _ann) = family(&w).await; // 8:00 AM in Honolulu; 10:00 AM deadline, 60 min lead
    let (gran, dad) = (person(&w, "gran").await, person(&w, "dad").await);
    CheckIns(&w.services)
        .set_schedule(&caller(), &gran, &ten_am("Pacific/Honolulu"))
        .await
        .expect("schedule");
    let no_reminders = ScheduleInput {
        reminder_on: false,
        ..ten_am("Pacific/Honolulu")
    };
    CheckIns(&w.services)
        .set_schedule(&caller(), &dad, &no_reminders)
        .await
        .expect("schedule");
    let service = FakePushService::start().await.expect("push service");
    let mum_phone = browser_for(&w, &service, mum.user_id).await;
    let gran_phone = browser_for(&w, &service, gran.user_id).await;
    let dad_phone = browser_for(&w, &service, dad.user_id).await;
    CheckIns(&w.services)
        .check_in(gran.user_id, Source::Web)
        .await
        .expect("gran checks in early");

    w.services
        .clock
        .set(at("2026-11-26T18:59:59Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").reminders,
        0
    );
    w.services
        .clock
        .set(at("2026-11-26T19:00:00Z"))
        .expect("clock"); // 9:00 AM: the lead has come
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!(
        (pass.reminders, pass.reminders_sent),
        (1, 1),
        "Mum only: Gran checked in (her deadline moved on), Dad turned reminders off"
    );
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").reminders,
        0,
        "once"
    );
    drain_all(&w.services).await;
    assert!(service.received(&gran_phone).is_empty());
    assert!(service.received(&dad_phone).is_empty());
    let got = service.received(&mum_phone);
    assert_eq!(got.len(), 1);
    let message = message_of(&mum_phone, &got[0]);
    assert_eq!(message["kind"], "reminder");
    assert_eq!(message["title"], "Time to check in");
    assert!(
        message["body"]
            .as_str()
            .unwrap_or_default()
            .contains("before 10:00 AM"),
        "{message}"
    );
    assert_eq!(message["checkin"], "/api/reminder_check_in");
    assert_eq!(path::<ReminderCheckIn>(), "/api/reminder_check_in");
    let token = message["token"].as_str().expect("token").to_string();
    // The token is stored nowhere: the outbox keeps the reminder's id, the
    // reminder row only the token's hash.
    let anywhere: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM deliveries WHERE strpos(payload::text, $1) > 0)
              + (SELECT count(*) FROM reminders WHERE token_hash = $1)",
    )
    .bind(&token)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(anywhere, 0, "the token itself is not stored");
    let hashed: i64 = sqlx::query_scalar("SELECT count(*) FROM reminders WHERE token_hash = $1")
        .bind(app::alerts::service::token_hash(&token))
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(hashed, 1);

    // The service worker's post: no session cookie, only the token.
    let mut sw = Browser::new(&app);
    let made_up = "A".repeat(43);
    for bad in ["", "short", made_up.as_str(), "../../etc/passwd"] {
        let r = sw.post(path::<ReminderCheckIn>(), &[("token", bad)]).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let checkins = || {
        sqlx::query_scalar::<_, String>("SELECT source FROM checkins WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_all(&pool)
    };
    assert!(
        checkins().await.expect("rows").is_empty(),
        "nothing changed"
    );
    w.services
        .clock
        .set(at("2026-11-26T19:10:00Z"))
        .expect("clock");
    let r = sw
        .post(path::<ReminderCheckIn>(), &[("token", &token)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("You checked in!"), "{}", r.body);
    assert_eq!(checkins().await.expect("rows"), ["push"]);
    let r = sw
        .post(path::<ReminderCheckIn>(), &[("token", &token)])
        .await;
    assert!(
        r.body.contains("You already checked in at 9:10 AM"),
        "{}",
        r.body
    );

    // The next day the old reminder's button does nothing.
    w.services
        .clock
        .set(at("2026-11-27T19:10:00Z"))
        .expect("clock");
    let r = sw
        .post(path::<ReminderCheckIn>(), &[("token", &token)])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("another day"), "{}", r.body);
    assert_eq!(checkins().await.expect("rows").len(), 1);
}

/// Confirmations follow each Contact's choice: by default a quiet push to a
/// Contact with a device (none without one), email when asked for, nothing for
/// "only when something is wrong" or a frozen Contact; a late check-in after an
/// alert sends the update instead, by the alert's channels.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn confirmations_follow_each_contacts_choice(pool: PgPool) {
    use app::alerts::rules::ConfirmPrefs;
    use pruuf_test_support::push::FakePushService;
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await;
    let (kay, fred) = (person(&w, "kay").await, person(&w, "fred").await);
    connect(&w.pool, mum.user_id, kay.user_id, "Mum").await;
    connect(&w.pool, mum.user_id, fred.user_id, "Mum").await;
    let service = FakePushService::start().await.expect("push service");
    let tom_phone = browser_for(&w, &service, tom.user_id).await;
    let kay_phone = browser_for(&w, &service, kay.user_id).await;
    let fred_phone = browser_for(&w, &service, fred.user_id).await;
    // Tom keeps the default (push); Ann has no device and asks for email too;
    // Kay only wants to hear when something is wrong; Fred's account is frozen.
    let both = ConfirmPrefs {
        every: true,
        push: true,
        email: true,
        sms: false,
    };
    Alerts(&w.services)
        .set_confirm_prefs(&caller(), ann.user_id, &both)
        .await
        .expect("prefs");
    let problems = ConfirmPrefs::parse("problems", None, None, None).expect("prefs");
    Alerts(&w.services)
        .set_confirm_prefs(&caller(), kay.user_id, &problems)
        .await
        .expect("prefs");
    sqlx::query("UPDATE users SET account_state = 'frozen' WHERE id = $1")
        .bind(fred.user_id)
        .execute(&w.pool)
        .await
        .expect("frozen");

    w.services
        .clock
        .set(at("2026-11-26T19:45:00Z"))
        .expect("clock"); // 9:45 AM, on time
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT recipient_id, channel, kind FROM deliveries ORDER BY channel, recipient_id",
    )
    .fetch_all(&w.pool)
    .await
    .expect("rows");
    let mut expected = vec![
        (ann.user_id, "email".to_string(), "checked_in".to_string()),
        (tom.user_id, "push".to_string(), "checked_in".to_string()),
    ];
    expected.sort();
    let mut rows = rows;
    rows.sort();
    assert_eq!(rows, expected);
    drain_all(&w.services).await;
    let got = service.received(&tom_phone);
    assert_eq!(got.len(), 1);
    let message = message_of(&tom_phone, &got[0]);
    assert_eq!(message["title"], "Mum checked in");
    assert_eq!(message["body"], "Mum checked in at 9:45 AM. All is well.");
    assert!(service.received(&kay_phone).is_empty());
    assert!(service.received(&fred_phone).is_empty());
    let mails = mailbox::to(&ann.email).await;
    let mail = mails
        .iter()
        .find(|m| m["subject"] == "Mother checked in")
        .expect("Ann's confirmation mail");
    assert!(
        mail["text"]
            .as_str()
            .unwrap_or_default()
            .contains("/settings/alerts"),
        "says how to change it"
    );

    // The next day Mum misses; the alert goes out; then she checks in late:
    // an update by the alert's channels, and no confirmation on top.
    w.services
        .clock
        .set(at("2026-11-27T20:16:00Z"))
        .expect("clock");
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!(pass.missed, 1);
    drain_all(&w.services).await;
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("late check-in");
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, count(*) FROM deliveries WHERE created_at >= '2026-11-27' GROUP BY kind ORDER BY kind",
    )
    .fetch_all(&w.pool)
    .await
    .expect("kinds");
    // Alerts: Tom (email, push), Ann (email), Kay (email, push); Fred is frozen.
    assert_eq!(
        kinds,
        [("late_update".to_string(), 5), ("missed".to_string(), 5)]
    );
}

/// The plan of `sql` (with its parameters as literals, as a prepared statement's
/// custom plan would see them).
async fn plan(pool: &PgPool, sql: &str) -> String {
    let rows: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
        .fetch_all(pool)
        .await
        .expect("explain");
    rows.join("\n")
}

/// Per-tick work does not grow with history: with a year of resolved misses and
/// 20,000 Members due over the next weeks, the repeat-alert and reminder claims
/// read an index of open misses and of Members due within the hour, not the
/// tables.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn per_tick_claims_read_open_misses_and_members_due_soon_only(pool: PgPool) {
    sqlx::query(
        "WITH m AS (
             INSERT INTO users (id, email, pin_hash, text_size, created_at)
             SELECT gen_random_uuid(), 'member' || g || '@history.example', 'x', 'standard', now()
             FROM generate_series(1, 20000) g RETURNING id)
         , s AS (
             INSERT INTO schedules (member_id, deadline, time_zone, next_deadline, created_at, updated_at)
             SELECT id, '10:00', 'UTC', '2026-11-26T10:00:00Z'::timestamptz + random() * interval '30 days', now(), now()
             FROM m RETURNING member_id)
         INSERT INTO misses (id, member_id, local_day, deadline_at, detected_at, resolved_at)
         SELECT gen_random_uuid(), member_id, '2025-12-01'::date + d, '2025-12-01T10:15:00Z'::timestamptz + d * interval '1 day',
                '2025-12-01T10:15:00Z'::timestamptz + d * interval '1 day', '2025-12-01T11:00:00Z'::timestamptz + d * interval '1 day'
         FROM s, generate_series(0, 9) d",
    )
    .execute(&pool)
    .await
    .expect("a year of history");
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .expect("analyze");
    let now = "'2026-11-26T12:00:00Z'::timestamptz";
    let repeat = app::alerts::store::due_steps_sql()
        .replace("$1", now)
        .replace("$2", "200");
    let repeat_plan = plan(&pool, &repeat).await;
    assert!(repeat_plan.contains("misses_next_step"), "{repeat_plan}");
    assert!(!repeat_plan.contains("Seq Scan on misses"), "{repeat_plan}");
    let reminders = app::alerts::store::DUE_REMINDERS_SQL
        .replace("$1", now)
        .replace("$2", "200");
    let reminder_plan = plan(&pool, &reminders).await;
    assert!(
        reminder_plan.contains("schedules_by_next_deadline"),
        "{reminder_plan}"
    );
    assert!(
        !reminder_plan.contains("Seq Scan on schedules"),
        "{reminder_plan}"
    );
}

/// The notifications `who` has whose words contain `words`.
async fn told(w: &World, who: &Me, words: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND strpos(body, $2) > 0",
    )
    .bind(who.user_id)
    .bind(words)
    .fetch_one(&w.pool)
    .await
    .expect("notifications")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn running_late_moves_today_once_tells_the_contacts_and_the_alert_waits_for_the_new_time(
    pool: PgPool,
) {
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await; // 10:00 AM HST, 15 minutes' grace; now 8:00 AM
    let c = CheckIns(&w.services);
    // Mum is running late: 3 hours, to 1:00 PM.
    let moved_to = c
        .running_late(&caller(), &mum, mum.user_id, 180)
        .await
        .expect("moved");
    assert_eq!(moved_to, "1:00 PM HST");
    assert_eq!(
        told(
            &w,
            &tom,
            "Mum is running late today, and will check in by 1:00 PM HST."
        )
        .await,
        1
    );
    assert_eq!(told(&w, &ann, "Mother is running late today").await, 1);
    // Once a day; someone from another family may not.
    let again = c.running_late(&caller(), &mum, mum.user_id, 30).await;
    assert!(
        matches!(&again, Err(app::error::AppError::Invalid(m)) if m.contains("already been moved once")),
        "{again:?}"
    );
    let stranger = person(&w, "stranger").await;
    let other = c.running_late(&caller(), &stranger, mum.user_id, 30).await;
    assert!(
        matches!(other, Err(app::error::AppError::NotFound)),
        "{other:?}"
    );
    // Past the usual time and its grace: nobody is alerted.
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    // 12:30 PM: on time for the new time.
    w.services
        .clock
        .set(at("2026-11-26T22:30:00Z"))
        .expect("clock");
    let done = c
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("check-in");
    assert!(!done.late, "on time for 1:00 PM");
    let next: DateTime<Utc> =
        sqlx::query_scalar("SELECT next_deadline FROM schedules WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("next");
    assert_eq!(
        next,
        at("2026-11-27T20:00:00Z"),
        "tomorrow is back to 10:00 AM"
    );

    // The next day Ann, a Contact, moves it an hour (Mum is told who did it),
    // and Mum misses the new time: the alert waits for 11:00 AM and says so.
    w.services
        .clock
        .set(at("2026-11-27T19:00:00Z"))
        .expect("clock");
    c.running_late(&caller(), &ann, mum.user_id, 60)
        .await
        .expect("moved by Ann");
    assert_eq!(
        told(&w, &mum, "moved your check-in today to 11:00 AM HST").await,
        1
    );
    assert_eq!(told(&w, &tom, "says Mum is running late today").await, 1);
    w.services
        .clock
        .set(at("2026-11-27T21:14:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    w.services
        .clock
        .set(at("2026-11-27T21:16:00Z"))
        .expect("clock");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 1);
    let deadline: DateTime<Utc> =
        sqlx::query_scalar("SELECT deadline_at FROM misses WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("the miss");
    assert_eq!(deadline, at("2026-11-27T21:00:00Z"));
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM audit_log WHERE event = 'checkin.running_late'"
        )
        .await,
        2
    );
}

/// When each of `who`'s deliveries of `kind` is due, oldest first.
async fn due_at(w: &World, who: &Me, kind: &str) -> Vec<DateTime<Utc>> {
    sqlx::query_scalar(
        "SELECT next_attempt_at FROM deliveries WHERE recipient_id = $1 AND kind = $2 ORDER BY created_at",
    )
    .bind(who.user_id)
    .bind(kind)
    .fetch_all(&w.pool)
    .await
    .expect("deliveries")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn quiet_hours_hold_a_confirmation_until_the_morning_but_never_an_alert(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await; // Mum: 10:00 AM in Honolulu
                                            // Tom lives in Tokyo and keeps 9 PM to 8 AM quiet; Ann has no quiet hours.
    sqlx::query("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE id = $1")
        .bind(tom.user_id)
        .execute(&w.pool)
        .await
        .expect("Tom's zone");
    let by_email = app::alerts::rules::ConfirmPrefs {
        every: true,
        push: false,
        email: true,
        sms: false,
    };
    let alerts = Alerts(&w.services);
    for who in [&tom, &ann] {
        alerts
            .set_confirm_prefs(&caller(), who.user_id, &by_email)
            .await
            .expect("prefs");
    }
    let quiet = app::alerts::rules::QuietHours::parse(true, "21:00", "08:00").expect("valid");
    alerts
        .set_quiet_hours(&caller(), tom.user_id, quiet)
        .await
        .expect("quiet hours");
    assert_eq!(alerts.quiet_hours(tom.user_id).await.expect("read"), quiet);

    // Mum checks in at 8:00 AM in Honolulu: 3:00 AM in Tokyo.
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("check-in");
    assert_eq!(
        due_at(&w, &tom, "checked_in").await,
        vec![at("2026-11-26T23:00:00Z")],
        "8:00 AM in Tokyo"
    );
    assert_eq!(
        due_at(&w, &ann, "checked_in").await,
        vec![at("2026-11-26T18:00:00Z")]
    );
    drain(&w.services).await;
    assert!(mailbox::to(&tom.email).await.is_empty(), "not in the night");
    assert_eq!(mailbox::to(&ann.email).await.len(), 1);
    w.services
        .clock
        .set(at("2026-11-26T23:00:00Z"))
        .expect("clock");
    drain(&w.services).await;
    assert_eq!(mailbox::to(&tom.email).await.len(), 1, "in his morning");

    // The next day she misses: 5:16 AM in Tokyo, and Tom's alert goes at once.
    w.services
        .clock
        .set(at("2026-11-27T20:16:00Z"))
        .expect("clock");
    assert_eq!(alerts.detect().await.expect("pass").missed, 1);
    assert_eq!(
        due_at(&w, &tom, "missed").await,
        vec![at("2026-11-27T20:16:00Z")]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_weekly_summary_counts_a_known_week_once_on_monday_morning(pool: PgPool) {
    use app::summary::service::Summaries;
    let w = world(pool);
    let (mum, tom, ann) = family(&w).await;
    // Ann turned the summary off.
    sqlx::query("UPDATE users SET weekly_summary = false WHERE id = $1")
        .bind(ann.user_id)
        .execute(&w.pool)
        .await
        .expect("Ann's choice");
    // Mum's week, Monday 16 to Sunday 22 November: on time Mon, Tue and Sat;
    // late Wed, and Sun after an alert; missed Thu; away Fri.
    for (day, late) in [
        ("2026-11-16", false),
        ("2026-11-17", false),
        ("2026-11-18", true),
        ("2026-11-21", false),
        ("2026-11-22", true),
    ] {
        sqlx::query(
            "INSERT INTO checkins (id, member_id, local_day, checked_in_at, deadline_at, late, source)
             VALUES (gen_random_uuid(), $1, $2::date, now(), now(), $3, 'web')",
        )
        .bind(mum.user_id)
        .bind(day)
        .bind(late)
        .execute(&w.pool)
        .await
        .expect("check-in");
    }
    for day in ["2026-11-19", "2026-11-22"] {
        sqlx::query(
            "INSERT INTO misses (id, member_id, local_day, deadline_at, detected_at)
             VALUES (gen_random_uuid(), $1, $2::date, now(), now())",
        )
        .bind(mum.user_id)
        .bind(day)
        .execute(&w.pool)
        .await
        .expect("miss");
    }
    sqlx::query(
        "INSERT INTO pauses (id, member_id, first_day, last_day, created_at)
         VALUES (gen_random_uuid(), $1, '2026-11-20', '2026-11-20', now())",
    )
    .bind(mum.user_id)
    .execute(&w.pool)
    .await
    .expect("pause");
    // A check-in the week after does not count.
    sqlx::query(
        "INSERT INTO checkins (id, member_id, local_day, checked_in_at, deadline_at, late, source)
         VALUES (gen_random_uuid(), $1, '2026-11-23', now(), now(), false, 'web')",
    )
    .bind(mum.user_id)
    .execute(&w.pool)
    .await
    .expect("check-in");

    let summaries = Summaries(&w.services);
    // Monday 23 November, 7:59 AM for Tom (UTC): not yet.
    w.services
        .clock
        .set(at("2026-11-23T07:59:00Z"))
        .expect("clock");
    assert_eq!(summaries.send_weekly().await.expect("pass"), 0);
    w.services
        .clock
        .set(at("2026-11-23T08:00:00Z"))
        .expect("clock");
    assert_eq!(summaries.send_weekly().await.expect("pass"), 1, "Tom only");
    assert_eq!(
        summaries.send_weekly().await.expect("pass"),
        0,
        "once a week"
    );
    drain(&w.services).await;
    let mails = mailbox::to(&tom.email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0]["subject"],
        "Last week: Monday 16 to Sunday 22 November"
    );
    let text = mails[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Mum: 3 on time, 2 late, 1 missed, 1 day paused."),
        "{text}"
    );
    assert!(mailbox::to(&ann.email).await.is_empty());
}

/// The database's `quiet_end` (what the outbox uses) and `QuietHours::waits_until`
/// (the rule, unit-tested) agree, every 20 minutes of a week spanning the clocks
/// going back, in New York and in Lord Howe (a 30-minute shift), for a window that
/// crosses midnight and one that does not.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_databases_quiet_hours_read_as_the_rule_does(pool: PgPool) {
    use app::alerts::rules::QuietHours;
    for (zone, from) in [
        ("America/New_York", "2026-10-29T00:00:00Z"),
        ("Australia/Lord_Howe", "2026-04-02T00:00:00Z"),
    ] {
        let tz = app::time::parse_zone(zone).expect("zone");
        for (start, end) in [("21:00", "08:00"), ("13:00", "15:30")] {
            let q = QuietHours::parse(true, start, end)
                .expect("valid")
                .expect("on");
            for step in 0..(7 * 24 * 3) {
                let now = at(from) + Duration::minutes(20 * step);
                let sql: DateTime<Utc> = sqlx::query_scalar("SELECT quiet_end($1, $2, $3, $4)")
                    .bind(now)
                    .bind(zone)
                    .bind(q.from)
                    .bind(q.to)
                    .fetch_one(&pool)
                    .await
                    .expect("quiet_end");
                assert_eq!(
                    sql,
                    q.waits_until(now, tz).unwrap_or(now),
                    "{zone} {start}-{end} at {now}"
                );
            }
        }
    }
}
