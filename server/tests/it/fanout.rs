//! Fan-out: a missed alert's sends run side by side, each under a deadline, so a
//! slow relay or a push service that never answers holds one slot, not the queue.
use crate::alerts::{at, connect, count, family};
use crate::common::{self, person, World};
use app::alerts::service::Alerts;
use app::notify::worker::Worker;
use app::notify::Channel;
use pruuf_test_support::smtp::{Behaviour, SmtpSink};
use sqlx::PgPool;
use std::time::Duration;

/// The services with mail going to `sink`, and the test clock.
pub(crate) fn world_mailing(pool: PgPool, sink: &SmtpSink) -> World {
    let url = sink.url();
    let state = common::state(
        pool.clone(),
        common::config_with(true, &[("PRUUF_SMTP_URL", url.as_str())]),
    );
    World {
        services: state.services.clone(),
        pool,
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_missed_alerts_mails_are_in_the_relays_hands_side_by_side(pool: PgPool) {
    // The sink answers no mail until four are in its hands at once: a worker
    // that sends one mail after another would never see an answer.
    let sink = SmtpSink::start().await.expect("sink");
    sink.set_behaviour(Behaviour {
        hold_until: 4,
        ..Behaviour::default()
    });
    let w = world_mailing(pool, &sink);
    let (mum, _tom, _ann) = family(&w).await;
    for name in ["sue", "raj"] {
        let contact = person(&w, name).await;
        connect(&w.pool, mum.user_id, contact.user_id, "Mum").await;
    }
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&w.services).detect().await.expect("pass").deliveries,
        4
    );

    let pass = tokio::time::timeout(
        Duration::from_secs(60),
        Worker(&w.services).deliver(&[Channel::Email]),
    )
    .await
    .expect("the pass ended")
    .expect("pass");
    assert_eq!((pass.claimed, pass.sent), (4, 4), "{pass:?}");
    assert_eq!(sink.count(), 4);
    assert_eq!(sink.most_held(), 4, "all four were in flight together");
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE status = 'sent' AND attempts = 1"
        )
        .await,
        4,
        "each sent on its first try"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_push_service_that_never_answers_holds_one_send_for_its_deadline_only(pool: PgPool) {
    use app::notify::push::save_subscription;
    use pruuf_test_support::push::FakePushService;
    let w = common::world(pool);
    let (_mum, tom, ann) = family(&w).await;
    // Tom's browser's push service takes the connection and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let silent_endpoint = format!("http://{}/push/silent", silent.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let service = FakePushService::start().await.expect("push service");
    let tablet = service.subscribe();
    let now = w.services.clock.now();
    let subscriptions = [
        (&tom, silent_endpoint.as_str(), &tablet.p256dh, &tablet.auth),
        (&ann, tablet.endpoint.as_str(), &tablet.p256dh, &tablet.auth),
    ];
    for (who, endpoint, p256dh, auth) in subscriptions {
        save_subscription(&w.pool, who.user_id, endpoint, p256dh, auth, now)
            .await
            .expect("subscribed");
    }
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");

    let pass = Worker(&w.services)
        .deliver(&[Channel::Push])
        .await
        .expect("pass");
    assert_eq!((pass.sent, pass.retried), (1, 1), "{pass:?}");
    assert_eq!(service.received(&tablet).len(), 1, "Ann's tablet has it");
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT status, last_error FROM deliveries WHERE recipient_id = $1 AND channel = 'push'",
    )
    .bind(tom.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("Tom's push");
    assert_eq!(status, "pending", "tried again later");
    assert_eq!(error.as_deref(), Some("no answer within 5 s"));
    held.abort();
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_alert_taken_over_mid_send_says_sent_again_and_keeps_its_message_id(pool: PgPool) {
    use app::notify::outbox;
    let sink = SmtpSink::start().await.expect("sink");
    let w = world_mailing(pool, &sink);
    let (_mum, tom, ann) = family(&w).await;
    w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&w.services).detect().await.expect("pass");
    // A worker takes one alert, starts handing it over, and dies there.
    let now = w.services.clock.now();
    let claimed = outbox::claim_deliveries(
        &w.pool,
        &[Channel::Email],
        now,
        now + chrono::Duration::seconds(60),
        1,
    )
    .await
    .expect("claim");
    assert_eq!(
        claimed.len(),
        1,
        "a worker takes only what it starts sending"
    );
    let first = &claimed[0];
    let (tried, untried) = if first.recipient_id == Some(tom.user_id) {
        (&tom, &ann)
    } else {
        (&ann, &tom)
    };

    // Its claim runs out; another worker sends both.
    w.services
        .clock
        .advance(chrono::Duration::seconds(61))
        .expect("clock");
    let pass = Worker(&w.services)
        .deliver(&[Channel::Email])
        .await
        .expect("pass");
    assert_eq!(pass.sent, 2, "{pass:?}");
    let taken = sink.taken();
    let to = |who: &str| taken.iter().find(|t| t.to == who).cloned().expect("a mail");
    // (The subject is RFC 2047-encoded on the wire; its ASCII end reads plainly.)
    let subject = |who: &str| to(who).subject.unwrap_or_default();
    assert!(
        subject(&tried.email).ends_with("checked in today (sent again)"),
        "they may have it already: this one says so: {}",
        subject(&tried.email)
    );
    assert!(
        subject(&untried.email).ends_with("checked in today"),
        "never handed over: {}",
        subject(&untried.email)
    );
    assert_eq!(
        to(&tried.email).message_id,
        Some(format!("<{}@127.0.0.1>", first.id)),
        "the same id on every try"
    );
}

/// A relay closes connections that rested too long; the next mail on such a
/// connection must not be the one that pays for it.
#[tokio::test]
async fn a_connection_the_relay_closed_while_resting_costs_no_mail() {
    use app::notify::email::{Mailer, OutgoingMail};
    use app::validation::Email;
    let sink = SmtpSink::start().await.expect("sink");
    let mailer = Mailer::new(&sink.url(), "Pruuf <alerts@pruuf.example>").expect("mailer");
    let mail = |n: u32| OutgoingMail {
        to: Email::parse("tom@example.com").expect("address"),
        subject: format!("Mail {n}"),
        text: "Hello".into(),
        html: "<p>Hello</p>".into(),
        message_id: None,
    };
    mailer.send_once(&mail(1)).await.expect("first");
    mailer
        .send_once(&mail(2))
        .await
        .expect("second, on the same connection");
    assert_eq!(sink.connections(), 1, "the connection was kept");
    sink.hang_up();
    mailer
        .send_once(&mail(3))
        .await
        .expect("third: on a new connection, in the same try");
    assert_eq!(sink.count(), 3);
    assert_eq!(sink.connections(), 2);
}
