//! Mail goes out through real SMTP to the local catcher, with both bodies; a relay
//! that cannot be reached is reported, not ignored.
use app::notify::email::{MailError, Mailer, OutgoingMail};
use app::validation::Email;
use pruuf_test_support::mailbox;
use pruuf_test_support::smtp::{Behaviour, SmtpSink};
use std::time::Duration;

fn smtp_url() -> String {
    std::env::var("PRUUF_SMTP_URL")
        .expect("PRUUF_SMTP_URL names the mail catcher (scripts/test.sh starts maildev)")
}

#[tokio::test]
async fn a_mail_arrives_with_text_and_html() {
    let mailer = Mailer::new(&smtp_url(), "Pruuf <hello@pruuf.test>").expect("mailer");
    let subject = format!("Your Pruuf code ({})", uuid_like());
    let mail = OutgoingMail {
        message_id: None,
        to: Email::parse("mary@example.com").expect("valid"),
        subject: subject.clone(),
        text: "Your code is 123456. It works for 10 minutes.".into(),
        html: "<p>Your code is <strong>123456</strong>.</p>".into(),
    };
    mailer.send(&mail).await.expect("sent");

    let got = mailbox::with_subject(&subject).await;
    assert_eq!(got.len(), 1, "exactly one copy arrived");
    let m = &got[0];
    assert_eq!(m["to"][0]["address"], "mary@example.com");
    assert_eq!(m["from"][0]["address"], "hello@pruuf.test");
    assert!(m["text"]
        .as_str()
        .unwrap_or("")
        .contains("Your code is 123456"));
    assert!(m["html"]
        .as_str()
        .unwrap_or("")
        .contains("<strong>123456</strong>"));
}

#[tokio::test]
async fn an_unreachable_relay_is_an_error() {
    // Port 1 on loopback: nothing listens there.
    let mailer = Mailer::new("smtp://127.0.0.1:1", "Pruuf <hello@pruuf.test>").expect("mailer");
    let mail = OutgoingMail {
        message_id: None,
        to: Email::parse("mary@example.com").expect("valid"),
        subject: "never delivered".into(),
        text: "x".into(),
        html: "<p>x</p>".into(),
    };
    assert!(matches!(
        mailer.send(&mail).await,
        Err(MailError::NotSent(_))
    ));
}

#[tokio::test]
async fn a_relay_that_stops_answering_mid_mail_is_given_up_on_and_its_connection_closed() {
    // A relay that takes the mail's end and never answers (seen as a whole test
    // run hanging on a sign-in code): the try ends as a passing failure.
    let sink = SmtpSink::start().await.expect("sink");
    sink.set_behaviour(Behaviour {
        silent: true,
        ..Behaviour::default()
    });
    let mailer = Mailer::new(&sink.url(), "Pruuf <hello@pruuf.test>")
        .expect("mailer")
        .answering_within(Duration::from_millis(300));
    let mail = OutgoingMail {
        message_id: None,
        to: Email::parse("mary@example.com").expect("valid"),
        subject: "held by a stalled relay".into(),
        text: "x".into(),
        html: "<p>x</p>".into(),
    };
    assert!(matches!(
        mailer.send_once(&mail).await,
        Err(MailError::NotSent(_))
    ));
    assert_eq!(sink.count(), 0);
    // The relay answers again: the next mail goes, on a new connection (the
    // stalled one, in an unknown state, was closed rather than kept).
    sink.set_behaviour(Behaviour::default());
    mailer.send_once(&mail).await.expect("sent");
    assert_eq!(sink.count(), 1);
    assert_eq!(
        sink.connections(),
        2,
        "the stalled connection was not reused"
    );
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}
