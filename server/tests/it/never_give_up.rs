//! An alert about a missed check-in is never quietly dropped: it is tried until
//! the Member checks in, someone says "I'm on it", or a day has passed; and when
//! a Contact cannot be reached at all, the other Contacts are told.
use crate::alerts::{at, count, family};
use crate::fanout::world_mailing;
use app::alerts::service::Alerts;
use app::notify::worker::Worker;
use app::notify::Channel;
use chrono::{DateTime, Duration, Utc};
use pruuf_test_support::smtp::{Behaviour, SmtpSink};
use sqlx::PgPool;

/// When the next delivery waiting in the queue is due.
async fn next_due(pool: &PgPool) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'")
        .fetch_one(pool)
        .await
        .expect("next due")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn alerts_outlast_a_relay_down_for_three_hours(pool: PgPool) {
    let sink = SmtpSink::start().await.expect("sink");
    let w = world_mailing(pool, &sink);
    let (_mum, tom, ann) = family(&w).await;
    let grace_ended = at("2026-11-26T20:16:00Z");
    w.services.clock.set(grace_ended).expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").deliveries,
        2
    );

    // The relay answers "try again later" to everything for three hours.
    sink.set_behaviour(Behaviour {
        refuse: true,
        ..Behaviour::default()
    });
    let mut tries = 0;
    while w.services.clock.now() < grace_ended + Duration::hours(3) {
        let pass = Worker(&w.services)
            .deliver(&[Channel::Email])
            .await
            .expect("pass");
        assert_eq!(
            pass.failed, 0,
            "no alert is given up on while the miss is open"
        );
        tries += pass.retried;
        let next = next_due(&w.pool).await.expect("both alerts still queued");
        w.services.clock.set(next).expect("clock");
    }
    assert!(tries >= 12, "tried again and again: {tries}");
    assert_eq!(sink.count(), 0);

    // The relay is back: the next try takes both.
    sink.set_behaviour(Behaviour::default());
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!(pass.sent, 2, "{pass:?}");
    let got = sink.per_recipient();
    assert_eq!(got.get(&tom.email), Some(&1));
    assert_eq!(got.get(&ann.email), Some(&1));
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE status <> 'sent'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_contact_nobody_can_reach_is_reported_to_the_others_once(pool: PgPool) {
    let sink = SmtpSink::start().await.expect("sink");
    let w = world_mailing(pool, &sink);
    let (_mum, tom, ann) = family(&w).await;
    // Tom's only channel, his email, bounces: the mailbox is gone.
    sink.bounce(&tom.email);
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!((pass.sent, pass.failed), (1, 1), "{pass:?}");
    let error: Option<String> = sqlx::query_scalar(
        "SELECT last_error FROM deliveries WHERE recipient_id = $1 AND status = 'failed'",
    )
    .bind(tom.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("Tom's alert");
    assert_eq!(
        error.as_deref(),
        Some("the mail relay refused it for good (the relay answered 550)"),
        "no address in what is kept"
    );

    // The next detector pass tells Ann, by her channels and in the app.
    let pass = Alerts(&w.services).detect().await.expect("pass");
    assert_eq!((pass.unreachable, pass.deliveries), (1, 1), "{pass:?}");
    Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    let to_ann: Vec<_> = sink
        .taken()
        .into_iter()
        .filter(|t| t.to == ann.email)
        .collect();
    assert_eq!(to_ann.len(), 2, "the alert, then the notice");
    assert_eq!(to_ann[1].subject.as_deref(), Some("We could not reach Tom"));
    let note: String = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = 'unreachable'",
    )
    .bind(ann.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("Ann's notification");
    assert!(
        note.contains("we could not reach Tom") && note.contains("checks on Mother"),
        "{note}"
    );
    // Once: later passes do not repeat it, and Tom is not told about himself.
    assert_eq!(
        Alerts(&w.services)
            .detect()
            .await
            .expect("pass")
            .unreachable,
        0
    );
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'unreachable'"
        )
        .await,
        1
    );
}
