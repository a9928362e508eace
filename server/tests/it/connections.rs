//! Connections against the real database: inviting, accepting, the 10-Contact limit
//! under concurrent accepts, expiry, re-inviting, `grandfathered_free`, and an
//! access-control matrix in which one family tries every operation on another's.
use crate::common::{caller, person, world, World};
use app::accounts::service::Me;
use app::connections::rules::{InviteCode, PersonName};
use app::connections::service::Connections;
use app::connections::service::Invitee;
use app::error::AppError;
use app::validation::Email;
use chrono::Duration;
use pruuf_test_support::mailbox;
use sqlx::PgPool;

fn name(n: &str) -> PersonName {
    PersonName::parse(n).expect("valid name")
}

fn email(m: &Me) -> Email {
    Email::parse(&m.email).expect("valid")
}

/// Sends an invite and returns its code, read from the mail catcher.
pub(crate) async fn invite(
    w: &World,
    from: &Me,
    to: &Me,
    who: Invitee,
    called: &str,
) -> InviteCode {
    let before = invite_mails(&to.email).await.len();
    Connections(&w.services)
        .invite(&caller(), from, who, &name(called), &email(to), None)
        .await
        .expect("invite sent");
    let mails = invite_mails(&to.email).await;
    assert_eq!(mails.len(), before + 1, "one invitation mail");
    let text = mails
        .last()
        .and_then(|m| m["text"].as_str())
        .unwrap_or_default()
        .to_string();
    let code = text
        .split("join?code=")
        .nth(1)
        .map(|rest| rest.chars().take(6).collect::<String>())
        .unwrap_or_default();
    InviteCode::parse(&code).expect("a code in the mail")
}

async fn invite_mails(address: &str) -> Vec<serde_json::Value> {
    mailbox::to(address)
        .await
        .into_iter()
        .filter(|m| m["subject"] == "You're invited to Pruuf")
        .collect()
}

fn message(e: AppError) -> String {
    e.message()
}

async fn grandfathered(w: &World, m: &Me) -> bool {
    sqlx::query_scalar("SELECT grandfathered_free FROM users WHERE id = $1")
        .bind(m.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("user")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn invite_accept_remove_and_invite_again(pool: PgPool) {
    let w = world(pool);
    let (tom, mum) = (person(&w, "tom").await, person(&w, "mum").await);
    let code = invite(&w, &tom, &mum, Invitee::Member, "Mum").await;
    Connections(&w.services)
        .accept_invite(&caller(), &mum, &code)
        .await
        .expect("accepted");
    assert!(
        grandfathered(&w, &mum).await,
        "set when she became a Member"
    );
    assert!(!grandfathered(&w, &tom).await);
    let joined = mailbox::to(&tom.email).await;
    assert!(
        joined.iter().any(|m| m["subject"] == "Mum joined Pruuf!"),
        "Tom is told"
    );

    let toms = Connections(&w.services)
        .connections(&tom)
        .await
        .expect("list");
    assert_eq!(toms.len(), 1);
    assert_eq!(toms[0].member_name, "Mum");
    assert_eq!(toms[0].member_id, mum.user_id);
    let mums = Connections(&w.services)
        .connections(&mum)
        .await
        .expect("list");
    assert_eq!(mums.len(), 1);

    // Inviting someone already connected says so.
    let again = Connections(&w.services)
        .invite(
            &caller(),
            &tom,
            Invitee::Member,
            &name("Mother"),
            &email(&mum),
            None,
        )
        .await
        .expect_err("already connected");
    assert_eq!(message(again), "You\u{2019}re already connected to Mum.");

    // Mum ends it; Tom is told; she stays free for life.
    Connections(&w.services)
        .remove_connection(&caller(), &mum, toms[0].id)
        .await
        .expect("removed");
    assert!(mailbox::to(&tom.email)
        .await
        .iter()
        .any(|m| m["subject"] == "A Pruuf connection has ended"));
    assert!(Connections(&w.services)
        .connections(&tom)
        .await
        .expect("list")
        .is_empty());
    assert!(grandfathered(&w, &mum).await, "never cleared");

    // A new invite after removal works, with a new code; this time Tom ends it.
    let second = invite(&w, &tom, &mum, Invitee::Member, "Mum").await;
    assert_ne!(second, code);
    Connections(&w.services)
        .accept_invite(&caller(), &mum, &second)
        .await
        .expect("accepted again");
    let id = Connections(&w.services)
        .connections(&tom)
        .await
        .expect("list")[0]
        .id;
    Connections(&w.services)
        .remove_connection(&caller(), &tom, id)
        .await
        .expect("removed by Tom");
    assert!(Connections(&w.services)
        .connections(&mum)
        .await
        .expect("list")
        .is_empty());

    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event FROM audit_log WHERE event LIKE 'connection_%' OR event LIKE 'invite_%' ORDER BY id",
    )
    .fetch_all(&w.pool)
    .await
    .expect("audit");
    assert_eq!(
        events,
        [
            "invite_sent",
            "connection_started",
            "connection_ended",
            "invite_sent",
            "connection_started",
            "connection_ended"
        ]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn ten_contacts_at_most_even_when_two_accept_at_once(pool: PgPool) {
    let w = world(pool);
    let mum = person(&w, "mum").await;
    let mut codes = Vec::new();
    let mut contacts = Vec::new();
    for i in 0..11 {
        let c = person(&w, &format!("child{i}")).await;
        codes.push(invite(&w, &mum, &c, Invitee::Contact, &format!("Child {i}")).await);
        contacts.push(c);
    }
    for i in 0..9 {
        Connections(&w.services)
            .accept_invite(&caller(), &contacts[i], &codes[i])
            .await
            .expect("accepted");
    }
    let who = caller();
    let (a, b) = tokio::join!(
        Connections(&w.services).accept_invite(&who, &contacts[9], &codes[9]),
        Connections(&w.services).accept_invite(&who, &contacts[10], &codes[10]),
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one of the two: {a:?} {b:?}"
    );
    let refused = a.err().or(b.err()).expect("one refused");
    assert!(message(refused).contains("10 contacts"));
    let active: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM connections WHERE member_id = $1 AND ended_at IS NULL",
    )
    .bind(mum.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("count");
    assert_eq!(active, 10);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn codes_expire_and_only_the_invited_address_may_accept(pool: PgPool) {
    let w = world(pool);
    let (tom, mum, aunt) = (
        person(&w, "tom").await,
        person(&w, "mum").await,
        person(&w, "aunt").await,
    );
    let refused = Connections(&w.services)
        .invite(
            &caller(),
            &tom,
            Invitee::Member,
            &name("Me"),
            &email(&tom),
            None,
        )
        .await
        .expect_err("self-invite");
    assert_eq!(message(refused), "You can't connect to yourself.");

    let code = invite(&w, &tom, &mum, Invitee::Member, "Mum").await;
    let wrong = Connections(&w.services)
        .accept_invite(&caller(), &aunt, &code)
        .await
        .expect_err("wrong address");
    assert!(message(wrong).contains("sent to a different email address"));
    let own = Connections(&w.services)
        .accept_invite(&caller(), &tom, &code)
        .await
        .expect_err("own invite");
    assert_eq!(message(own), "You can't connect to yourself.");
    let unknown = Connections(&w.services)
        .accept_invite(
            &caller(),
            &mum,
            &InviteCode::parse("ZZZZZZ").expect("valid"),
        )
        .await
        .expect_err("unknown");
    assert!(message(unknown).contains("couldn't find that invite code"));

    w.services
        .clock
        .advance(Duration::days(14))
        .expect("test clock");
    let expired = Connections(&w.services)
        .accept_invite(&caller(), &mum, &code)
        .await
        .expect_err("expired");
    assert!(message(expired).contains("expired"));
    assert!(Connections(&w.services)
        .connections(&mum)
        .await
        .expect("list")
        .is_empty());
    assert!(!grandfathered(&w, &mum).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn resend_waits_a_minute_and_cancel_ends_the_invite(pool: PgPool) {
    let w = world(pool);
    let (tom, mum) = (person(&w, "tom").await, person(&w, "mum").await);
    let code = invite(&w, &tom, &mum, Invitee::Member, "Mum").await;
    let id = Connections(&w.services)
        .pending_invites(&tom)
        .await
        .expect("list")[0]
        .id;
    w.services
        .clock
        .advance(Duration::seconds(15))
        .expect("test clock");
    let early = Connections(&w.services)
        .resend_invite(&caller(), &tom, id)
        .await
        .expect_err("too soon");
    let early = message(early);
    assert!(early.contains("in 45 seconds"), "{early}");
    w.services
        .clock
        .advance(Duration::seconds(45))
        .expect("test clock");
    Connections(&w.services)
        .resend_invite(&caller(), &tom, id)
        .await
        .expect("resent");
    assert_eq!(invite_mails(&mum.email).await.len(), 2);

    Connections(&w.services)
        .cancel_invite(&caller(), &tom, id)
        .await
        .expect("canceled");
    assert!(Connections(&w.services)
        .pending_invites(&tom)
        .await
        .expect("list")
        .is_empty());
    let canceled = Connections(&w.services)
        .accept_invite(&caller(), &mum, &code)
        .await
        .expect_err("canceled");
    assert!(message(canceled).contains("cancelled"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_frozen_contact_cannot_invite(pool: PgPool) {
    let w = world(pool);
    let (tom, mum) = (person(&w, "tom").await, person(&w, "mum").await);
    sqlx::query("UPDATE users SET account_state = 'frozen' WHERE id = $1")
        .bind(tom.user_id)
        .execute(&w.pool)
        .await
        .expect("freeze");
    let refused = Connections(&w.services)
        .invite(
            &caller(),
            &tom,
            Invitee::Member,
            &name("Mum"),
            &email(&mum),
            None,
        )
        .await
        .expect_err("frozen");
    assert!(message(refused).contains("choose a plan"));
    assert!(invite_mails(&mum.email).await.is_empty());
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn one_family_cannot_touch_anothers_invites_or_connections(pool: PgPool) {
    let w = world(pool);
    let (tom, mum) = (person(&w, "tom").await, person(&w, "mum").await);
    let (ann, dad) = (person(&w, "ann").await, person(&w, "dad").await);
    let code = invite(&w, &tom, &mum, Invitee::Member, "Mum").await;
    Connections(&w.services)
        .accept_invite(&caller(), &mum, &code)
        .await
        .expect("accepted");
    let _pending = invite(&w, &tom, &dad, Invitee::Member, "Dad").await;
    let connection = Connections(&w.services)
        .connections(&tom)
        .await
        .expect("list")[0]
        .id;
    let invite_id = Connections(&w.services)
        .pending_invites(&tom)
        .await
        .expect("list")[0]
        .id;

    // Ann, a stranger to Tom's family, tries everything on it.
    let attempts = [
        (
            "resend",
            Connections(&w.services)
                .resend_invite(&caller(), &ann, invite_id)
                .await,
        ),
        (
            "cancel",
            Connections(&w.services)
                .cancel_invite(&caller(), &ann, invite_id)
                .await,
        ),
        (
            "remove",
            Connections(&w.services)
                .remove_connection(&caller(), &ann, connection)
                .await,
        ),
        (
            "accept",
            Connections(&w.services)
                .accept_invite(&caller(), &ann, &code)
                .await
                .map(|_| ()),
        ),
    ];
    for (what, result) in attempts {
        let error = result.expect_err(what);
        assert!(matches!(error, AppError::Invalid(_)), "{what}: {error:?}");
    }
    assert!(Connections(&w.services)
        .connections(&ann)
        .await
        .expect("list")
        .is_empty());
    assert!(Connections(&w.services)
        .pending_invites(&ann)
        .await
        .expect("list")
        .is_empty());
    // Nothing of Tom's changed.
    assert_eq!(
        Connections(&w.services)
            .connections(&tom)
            .await
            .expect("list")
            .len(),
        1
    );
    let pending = Connections(&w.services)
        .pending_invites(&tom)
        .await
        .expect("list");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].last_sent_at, pending[0].sent_at, "not resent");
}
