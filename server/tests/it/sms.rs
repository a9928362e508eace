//! Text messages against the real database and the Twilio stand-in: alerts by
//! text to confirmed numbers only, Twilio's permanent errors, signed webhooks,
//! YES / STOP / START / HELP, and checking in by replying OK.
use crate::alerts::{at, count, drain_all, family};
use crate::common::{self, caller, World};
use app::accounts::service::Me;
use app::alerts::service::Alerts;
use app::checkin::service::CheckIns;
use app::phones::service::Phones;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use pruuf_test_support::twilio::{FakeTwilio, Signed};
use pruuf_test_support::{mailbox, Call, Reply};
use sqlx::PgPool;
use uuid::Uuid;

const INBOUND: &str = "/webhooks/twilio/inbound";
const STATUS: &str = "/webhooks/twilio/status";

struct Sms {
    w: World,
    app: Router,
    twilio: FakeTwilio,
    origin: String,
}

async fn sms_world(pool: PgPool) -> Sms {
    let twilio = FakeTwilio::start().await.expect("the Twilio stand-in");
    let vars = twilio.vars();
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let state = common::state(pool.clone(), common::config_with(true, &pairs));
    let origin = state.config.public_origin.clone();
    Sms {
        w: World {
            services: state.services.clone(),
            pool,
        },
        app: server::router(state),
        twilio,
        origin,
    }
}

impl Sms {
    async fn post(&self, path: &str, signed: &Signed) -> Reply {
        Call::new(http::Method::POST, path)
            .header("x-twilio-signature", &signed.signature)
            .form(&signed.pairs())
            .send(&self.app)
            .await
    }

    /// `from` texts `body` to our number; Twilio's webhook is signed for our URL.
    async fn text(&self, from: &str, body: &str) -> Reply {
        let signed = self
            .twilio
            .inbound(&format!("{}{INBOUND}", self.origin), from, body);
        let r = self.post(INBOUND, &signed).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("text/xml; charset=utf-8"));
        r
    }

    /// Adds `number` for `who` and replies YES to the text asking for it.
    async fn confirmed(&self, who: &Me, number: &str) {
        Phones(&self.w.services)
            .add_phone(&caller(), who, number, false)
            .await
            .expect("number added");
        drain_all(&self.w.services).await;
        let asked = self.twilio.sent_to(number);
        assert_eq!(asked.len(), 1);
        assert!(asked[0].body.contains("reply YES"), "{}", asked[0].body);
        let r = self.text(number, "Yes").await;
        assert!(r.body.contains("confirmed"), "{}", r.body);
    }

    async fn phone_status(&self, who: &Me) -> String {
        sqlx::query_scalar("SELECT status FROM phones WHERE user_id = $1")
            .bind(who.user_id)
            .fetch_one(&self.w.pool)
            .await
            .expect("status")
    }
}

const TOM: &str = "+14155552671";
const ANN: &str = "+14155552672";
const MUM: &str = "+14155552673";

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_missed_alert_goes_by_text_to_a_confirmed_contact_and_not_to_an_unconfirmed_one(
    pool: PgPool,
) {
    let s = sms_world(pool).await;
    let (_mum, tom, ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    Phones(&s.w.services)
        .add_phone(&caller(), &ann, ANN, false)
        .await
        .expect("Ann adds hers, and never replies");
    s.w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    let pass = Alerts(&s.w.services).detect().await.expect("pass");
    assert_eq!(pass.deliveries, 3, "Tom: email and text; Ann: email");
    drain_all(&s.w.services).await;
    let to_tom = s.twilio.sent_to(TOM);
    assert_eq!(to_tom.len(), 2, "the YES request, then the alert");
    let alert = &to_tom[1];
    assert!(
        alert
            .body
            .starts_with("Pruuf: Mum hasn't checked in by 10:00 AM HST"),
        "{}",
        alert.body
    );
    assert!(alert.body.contains("/alerts/"), "{}", alert.body);
    assert!(alert.body.is_ascii(), "plain ASCII: {}", alert.body);
    assert_eq!(alert.from, FakeTwilio::FROM);
    assert!(alert.status_callback.ends_with(STATUS));
    assert_eq!(s.twilio.sent_to(ANN).len(), 1, "only the YES request");

    // Twilio's status callback records the outcome on the delivery.
    let signed = s.twilio.status(
        &format!("{}{STATUS}", s.origin),
        &alert.sid,
        "delivered",
        None,
    );
    assert_eq!(s.post(STATUS, &signed).await.status, 200);
    let status: Option<String> =
        sqlx::query_scalar("SELECT provider_status FROM deliveries WHERE provider_id = $1")
            .bind(&alert.sid)
            .fetch_one(&s.w.pool)
            .await
            .expect("row");
    assert_eq!(status.as_deref(), Some("delivered"));
    // The carrier later could not deliver it: the text is failed, not "sent".
    let signed = s.twilio.status(
        &format!("{}{STATUS}", s.origin),
        &alert.sid,
        "undelivered",
        Some("30003"),
    );
    assert_eq!(s.post(STATUS, &signed).await.status, 200);
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, last_error FROM deliveries WHERE provider_id = $1")
            .bind(&alert.sid)
            .fetch_one(&s.w.pool)
            .await
            .expect("row");
    assert_eq!(status, "failed");
    assert!(error.unwrap_or_default().contains("30003"));
    // A callback about a message we never sent changes nothing and is not an error.
    let signed = s.twilio.status(
        &format!("{}{STATUS}", s.origin),
        "SMnotours",
        "failed",
        Some("30003"),
    );
    assert_eq!(s.post(STATUS, &signed).await.status, 200);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_permanent_twilio_error_ends_failed_and_visible_while_the_email_still_goes(pool: PgPool) {
    let s = sms_world(pool).await;
    let (_mum, tom, _ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    s.twilio.script(TOM, &[(400, Some(21614))]); // not a mobile number
    s.w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&s.w.services).detect().await.expect("pass");
    drain_all(&s.w.services).await;
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT status, last_error FROM deliveries WHERE channel = 'sms' AND kind = 'missed'",
    )
    .fetch_one(&s.w.pool)
    .await
    .expect("row");
    assert_eq!(status, "failed");
    assert!(
        error.as_deref().unwrap_or_default().contains("21614"),
        "{error:?}"
    );
    assert_eq!(s.phone_status(&tom).await, "unusable");
    let mails = mailbox::to(&tom.email).await;
    assert!(mails
        .iter()
        .any(|m| m["subject"] == "Mum hasn\u{2019}t checked in today"));
    // The alert page shows Tom the failed text beside the sent email.
    let miss: uuid::Uuid = sqlx::query_scalar("SELECT id FROM misses")
        .fetch_one(&s.w.pool)
        .await
        .expect("miss");
    let view = Alerts(&s.w.services)
        .alert_view(&tom, miss)
        .await
        .expect("view");
    let trail = view.trail.join(" | ");
    assert!(
        trail.contains("by text message: could not be sent"),
        "{trail}"
    );
    assert!(trail.contains("by email: sent"), "{trail}");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_forged_or_missing_signature_is_refused_on_both_webhooks(pool: PgPool) {
    let s = sms_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.confirmed(&mum, MUM).await;
    let url = format!("{}{INBOUND}", s.origin);
    let good = s.twilio.inbound(&url, MUM, "OK");
    let elsewhere = s
        .twilio
        .inbound("https://evil.example/hook", MUM, "OK")
        .signature;
    for (what, signature) in [
        ("no signature", None),
        ("a made-up one", Some("bm90IGEgc2lnbmF0dXJl")),
        ("not base64", Some("%%%")),
        ("signed for another URL", Some(elsewhere.as_str())),
    ] {
        let mut call = Call::new(http::Method::POST, INBOUND).form(&good.pairs());
        if let Some(sig) = &signature {
            call = call.header("x-twilio-signature", sig);
        }
        let r = call.send(&s.app).await;
        assert_eq!(r.status, 403, "{what}");
    }
    // A signed form whose body was changed on the way.
    let mut tampered = s.twilio.inbound(&url, MUM, "HELP");
    tampered.form[4].1 = "OK".into();
    assert_eq!(s.post(INBOUND, &tampered).await.status, 403);
    let status = s
        .twilio
        .status(&format!("{}{STATUS}", s.origin), "SM1", "failed", None);
    let forged = Call::new(http::Method::POST, STATUS)
        .header("x-twilio-signature", "AAAA")
        .form(&status.pairs())
        .send(&s.app)
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM checkins").await, 0);
    // Twilio posts without our Origin and is not refused for that; the signed one works.
    let r = s.post(INBOUND, &good).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM checkins").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn yes_confirms_stop_opts_out_start_resumes_and_help_answers(pool: PgPool) {
    let s = sms_world(pool).await;
    let (_mum, tom, _ann) = family(&s.w).await;
    Phones(&s.w.services)
        .add_phone(&caller(), &tom, TOM, false)
        .await
        .expect("added");
    assert_eq!(s.phone_status(&tom).await, "pending");
    let r = s.text(TOM, "ok").await;
    assert!(r.body.contains("reply YES first"), "{}", r.body);
    let r = s.text(TOM, " YES! ").await;
    assert!(r.body.contains("confirmed"), "{}", r.body);
    assert_eq!(s.phone_status(&tom).await, "verified");
    let r = s.text(TOM, "help").await;
    assert!(r.body.contains("Reply OK to check in"), "{}", r.body);

    let r = s.text(TOM, "STOP").await;
    assert!(!r.body.contains("<Message>"), "Twilio answers STOP itself");
    assert_eq!(s.phone_status(&tom).await, "opted_out");
    drain_all(&s.w.services).await;
    let mails = mailbox::to(&tom.email).await;
    assert!(mails
        .iter()
        .any(|m| m["subject"] == "Texts from Pruuf are stopped"));
    let notes = CheckIns(&s.w.services)
        .notifications(&tom)
        .await
        .expect("notes");
    assert!(notes.iter().any(|n| n.body.contains("You replied STOP")));
    // No alert text while opted out.
    s.w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&s.w.services).detect().await.expect("pass");
    drain_all(&s.w.services).await;
    assert_eq!(
        count(
            &s.w.pool,
            "SELECT count(*) FROM deliveries WHERE channel = 'sms' AND kind = 'missed'"
        )
        .await,
        0
    );
    let r = s.text(TOM, "START").await;
    assert!(r.body.contains("texts from Pruuf again"), "{}", r.body);
    assert_eq!(s.phone_status(&tom).await, "verified");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn ok_from_a_members_confirmed_phone_checks_in_once_even_sent_three_times(pool: PgPool) {
    let s = sms_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await; // 8:00 AM in Honolulu
    s.confirmed(&mum, MUM).await;
    let first = s.text(MUM, "I\u{2019}m OK").await;
    assert!(
        first
            .body
            .contains("Thanks, Mum - your family has been told you're OK."),
        "{}",
        first.body
    );
    let again = s.text(MUM, "OK").await;
    assert!(
        again
            .body
            .contains("You already checked in today at 8:00 AM"),
        "{}",
        again.body
    );
    s.text(MUM, "ok").await;
    // Twilio delivering the same message twice: handled once.
    let url = format!("{}{INBOUND}", s.origin);
    let repeat = s.twilio.inbound_with_id(&url, MUM, "OK", "SMrepeat");
    assert!(s.post(INBOUND, &repeat).await.body.contains("<Message>"));
    assert!(!s.post(INBOUND, &repeat).await.body.contains("<Message>"));
    let sources: Vec<String> = sqlx::query_scalar("SELECT source FROM checkins")
        .fetch_all(&s.w.pool)
        .await
        .expect("rows");
    assert_eq!(sources, ["sms"]);

    // Odd input is answered, not a crash; an unknown number is ignored.
    let long = "x".repeat(1600);
    assert!(s.text(MUM, &long).await.body.contains("didn't understand"));
    assert!(s
        .text(MUM, "\u{1f44d}\u{1f3fd} okay?? \u{202e}")
        .await
        .body
        .contains("<Response>"));
    let stranger = s.text("+14155550000", "OK").await;
    assert!(!stranger.body.contains("<Message>"));
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM checkins").await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn numbers_are_checked_kept_in_e164_and_have_one_owner(pool: PgPool) {
    let s = sms_world(pool).await;
    let (mum, tom, _ann) = family(&s.w).await;
    for bad in ["12", "call me", "+1 555 0100 000"] {
        let e = Phones(&s.w.services)
            .add_phone(&caller(), &tom, bad, false)
            .await;
        assert!(matches!(e, Err(app::error::AppError::Invalid(_))), "{bad}");
    }
    Phones(&s.w.services)
        .add_phone(&caller(), &tom, "(415) 555-2671", false)
        .await
        .expect("added");
    let number: String = sqlx::query_scalar("SELECT number FROM phones")
        .fetch_one(&s.w.pool)
        .await
        .expect("row");
    assert_eq!(number, TOM);

    // A Member's text reminder, when chosen, comes at deadline - lead.
    Phones(&s.w.services)
        .add_phone(&caller(), &mum, MUM, true)
        .await
        .expect("added");
    drain_all(&s.w.services).await;
    s.text(MUM, "yes").await;
    s.w.services
        .clock
        .set(at("2026-11-26T19:00:00Z"))
        .expect("clock");
    let pass = Alerts(&s.w.services).detect().await.expect("pass");
    assert_eq!(pass.reminders_sent, 1);
    drain_all(&s.w.services).await;
    let texts = s.twilio.sent_to(MUM);
    assert!(
        texts
            .last()
            .is_some_and(|t| t.body.contains("Reply OK to this text")),
        "{texts:?}"
    );
    // The one reminder to reply YES, a day on, for a number still waiting
    // (the detector's job runs it after each pass; a second run sends nothing).
    s.w.services
        .clock
        .set(at("2026-11-27T18:30:00Z"))
        .expect("clock");
    assert_eq!(
        Phones(&s.w.services)
            .verify_reminders()
            .await
            .expect("pass"),
        1
    );
    drain_all(&s.w.services).await;
    assert_eq!(
        Phones(&s.w.services)
            .verify_reminders()
            .await
            .expect("pass"),
        0
    );
    drain_all(&s.w.services).await;
    let to_tom = s.twilio.sent_to(TOM);
    assert_eq!(to_tom.len(), 2, "{to_tom:?}");
    assert!(to_tom[1].body.contains("still need your YES"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_contact_who_chose_texts_gets_the_quiet_confirmation_by_text(pool: PgPool) {
    use app::alerts::rules::ConfirmPrefs;
    use app::checkin::service::Source;
    let s = sms_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    let texts = ConfirmPrefs::parse("every", None, None, Some("on")).expect("prefs");
    Alerts(&s.w.services)
        .set_confirm_prefs(&caller(), tom.user_id, &texts)
        .await
        .expect("prefs");
    // Ann chose texts too, but has no confirmed number: nothing is sent to her.
    Alerts(&s.w.services)
        .set_confirm_prefs(&caller(), ann.user_id, &texts)
        .await
        .expect("prefs");
    s.w.services
        .clock
        .set(at("2026-11-26T19:45:00Z"))
        .expect("clock");
    CheckIns(&s.w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    drain_all(&s.w.services).await;
    let to_tom = s.twilio.sent_to(TOM);
    assert_eq!(to_tom.len(), 2, "{to_tom:?}");
    assert!(
        to_tom[1]
            .body
            .starts_with("Pruuf: Mum checked in at 9:45 AM. All is well."),
        "{}",
        to_tom[1].body
    );
    assert_eq!(
        count(
            &s.w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'checked_in'"
        )
        .await,
        1
    );
}

/// Twilio refusing a text because the person opted out (21610) marks the number
/// opted out and tells them, in the app and by email, like a STOP to us does.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn twilio_saying_the_number_opted_out_marks_it_and_tells_the_person(pool: PgPool) {
    let s = sms_world(pool).await;
    let (_mum, tom, _ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    s.twilio.script(TOM, &[(400, Some(21610))]);
    s.w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&s.w.services).detect().await.expect("pass");
    drain_all(&s.w.services).await;
    assert_eq!(s.phone_status(&tom).await, "opted_out");
    let notes = CheckIns(&s.w.services)
        .notifications(&tom)
        .await
        .expect("notes");
    assert!(notes.iter().any(|n| n.body.contains("You replied STOP")));
    let mails = mailbox::to(&tom.email).await;
    assert!(mails
        .iter()
        .any(|m| m["subject"] == "Texts from Pruuf are stopped"));
}

/// The check-in and the record of Twilio's message id are one transaction: when
/// the check-in fails (the database refuses it once, here), the id stays unseen,
/// so Twilio's retry of the same message checks in instead of being thrown away.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_text_ok_whose_check_in_failed_counts_when_twilio_retries_it(pool: PgPool) {
    let s = sms_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.confirmed(&mum, MUM).await;
    // The first check-in insert fails; a sequence (not rolled back) says it did.
    sqlx::raw_sql(
        "CREATE SEQUENCE fail_once;
         CREATE FUNCTION fail_first_checkin() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'the disk is full'; END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER fail_first_checkin BEFORE INSERT ON checkins
           FOR EACH ROW EXECUTE FUNCTION fail_first_checkin();",
    )
    .execute(&s.w.pool)
    .await
    .expect("trigger");
    let url = format!("{}{INBOUND}", s.origin);
    let ok = s.twilio.inbound_with_id(&url, MUM, "OK", "SMretried");
    let first = s.post(INBOUND, &ok).await;
    assert!(
        first.status.is_server_error(),
        "{} {}",
        first.status,
        first.body
    );
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM checkins").await, 0);
    assert_eq!(
        count(
            &s.w.pool,
            "SELECT count(*) FROM sms_inbound WHERE message_sid = 'SMretried'"
        )
        .await,
        0,
        "the failed try left its id unseen"
    );
    // Twilio retries the same message: now it checks in, once.
    let retry = s.post(INBOUND, &ok).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert!(
        retry.body.contains("your family has been told"),
        "{}",
        retry.body
    );
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM checkins").await, 1);
    assert!(
        !s.post(INBOUND, &ok).await.body.contains("<Message>"),
        "a third copy changes nothing"
    );
}

/// SMS toll fraud and squatting refused: texts only to the served countries, a
/// few confirmation texts per number and per person a day, a confirmed number
/// re-added is not reset or texted, and a number nobody confirmed is let go.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn confirmation_texts_are_capped_and_limited_to_served_countries(pool: PgPool) {
    use app::error::AppError;
    let s = sms_world(pool).await;
    let add = |who: Me, number: &'static str| {
        let services = s.w.services.clone();
        async move {
            Phones(&services)
                .add_phone(&caller(), &who, number, false)
                .await
        }
    };
    let people: Vec<Me> = {
        let mut v = Vec::new();
        for name in ["p1", "p2", "p3", "p4", "p5"] {
            v.push(common::person(&s.w, name).await);
        }
        v
    };
    // A French mobile: refused, nothing stored or sent.
    let r = add(people[0].clone(), "+33612345678").await;
    assert!(
        matches!(&r, Err(AppError::Invalid(m)) if m.contains("that country")),
        "{r:?}"
    );
    assert_eq!(count(&s.w.pool, "SELECT count(*) FROM phones").await, 0);

    // One number, asked for by three people in turn (each lets it go): the
    // fourth ask in a day is refused and changes nothing.
    for p in &people[..3] {
        add(p.clone(), MUM).await.expect("asked");
        drain_all(&s.w.services).await;
        Phones(&s.w.services)
            .remove_phone(&caller(), p)
            .await
            .expect("removed");
    }
    let r = add(people[3].clone(), MUM).await;
    assert!(
        matches!(&r, Err(AppError::Limited(m)) if m.contains("confirmation texts")),
        "{r:?}"
    );
    assert_eq!(
        count(&s.w.pool, "SELECT count(*) FROM phones").await,
        0,
        "nothing stored"
    );
    drain_all(&s.w.services).await;
    assert_eq!(s.twilio.sent_to(MUM).len(), 3, "three texts, not four");

    // A confirmed number added again: still confirmed, and no new text.
    let tom = people[4].clone();
    s.confirmed(&tom, TOM).await;
    add(tom.clone(), TOM).await.expect("the same number");
    drain_all(&s.w.services).await;
    assert_eq!(s.phone_status(&tom).await, "verified");
    assert_eq!(s.twilio.sent_to(TOM).len(), 1, "only the first YES request");

    // A number nobody has confirmed cannot be squatted: the phone's own YES
    // goes to the last person who asked, and the other stops being asked.
    let (squatter, owner) = (people[0].clone(), people[1].clone());
    add(squatter.clone(), ANN).await.expect("pending");
    add(owner.clone(), ANN).await.expect("asked as well");
    drain_all(&s.w.services).await;
    assert_eq!(s.twilio.sent_to(ANN).len(), 2);
    let r = s.text(ANN, "YES").await;
    assert!(r.body.contains("confirmed"), "{}", r.body);
    assert_eq!(s.phone_status(&owner).await, "verified");
    assert_eq!(s.phone_status(&squatter).await, "pending");
    s.w.services
        .clock
        .advance(Duration::hours(25))
        .expect("clock");
    assert_eq!(
        Phones(&s.w.services)
            .verify_reminders()
            .await
            .expect("reminders"),
        0,
        "the squatter's ask is not repeated to the owner's phone"
    );
    drain_all(&s.w.services).await;
    assert_eq!(s.twilio.sent_to(ANN).len(), 2, "the two first asks only");
}

/// Adding a number that another account holds answers exactly as adding a free
/// one does (the same result, the same page, the same daily cap), so nobody can
/// learn whether a number uses Pruuf; but the holder is never texted for it and
/// their YES confirms nothing for anyone else.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn adding_a_number_someone_holds_reveals_nothing(pool: PgPool) {
    use app::error::AppError;
    let s = sms_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    let add = |who: &Me, number: &'static str| {
        let (services, who) = (s.w.services.clone(), who.clone());
        async move {
            Phones(&services)
                .add_phone(&caller(), &who, number, false)
                .await
        }
    };
    let held = add(&ann, TOM).await;
    let free = add(&mum, MUM).await;
    assert!(held.is_ok() && free.is_ok(), "{held:?} {free:?}");
    let view = |who: &Me| {
        let (services, who) = (s.w.services.clone(), who.clone());
        async move { Phones(&services).phone_view(&who).await.expect("view") }
    };
    let (ann_sees, mum_sees) = (view(&ann).await, view(&mum).await);
    assert_eq!(ann_sees.number.as_deref(), Some(TOM));
    assert_eq!(ann_sees.status, mum_sees.status);
    assert_eq!(
        ann_sees.status.map(|st| st.as_str()),
        Some("pending"),
        "both are shown waiting for a YES"
    );
    drain_all(&s.w.services).await;
    assert_eq!(s.twilio.sent_to(MUM).len(), 1, "the free number is asked");
    assert_eq!(
        s.twilio.sent_to(TOM).len(),
        1,
        "Tom's phone only ever had his own ask"
    );

    // Tom's YES (or OK) is about Tom, not Ann.
    s.text(TOM, "YES").await;
    assert_eq!(s.phone_status(&ann).await, "pending");
    assert_eq!(s.phone_status(&tom).await, "verified");

    // The number's daily cap counts Ann's asks as it would for a free number:
    // Tom's ask and two of Ann's make three; a fourth is refused.
    add(&ann, TOM).await.expect("second ask");
    let r = add(&ann, TOM).await;
    assert!(
        matches!(&r, Err(AppError::Limited(m)) if m.contains("confirmation texts")),
        "{r:?}"
    );

    // Once Tom lets the number go, Ann's old row still confirms nothing; asking
    // again (the next day) texts it like any free number.
    Phones(&s.w.services)
        .remove_phone(&caller(), &tom)
        .await
        .expect("removed");
    let r = s.text(TOM, "YES").await;
    assert!(!r.body.contains("<Message>"), "{}", r.body);
    assert_eq!(s.phone_status(&ann).await, "pending");
    s.w.services
        .clock
        .advance(Duration::hours(25))
        .expect("clock");
    add(&ann, TOM).await.expect("asked");
    drain_all(&s.w.services).await;
    assert_eq!(s.twilio.sent_to(TOM).len(), 2);
    let r = s.text(TOM, "YES").await;
    assert!(r.body.contains("confirmed"), "{}", r.body);
    assert_eq!(s.phone_status(&ann).await, "verified");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn replying_1_to_a_texted_alert_is_im_on_it_once_and_tells_the_others(pool: PgPool) {
    let s = sms_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    // Before any alert, "1" answers kindly and changes nothing.
    let r = s.text(TOM, "1").await;
    assert!(r.body.contains("no alert waiting"), "{}", r.body);
    s.w.services
        .clock
        .set(at("2026-11-26T20:16:00Z"))
        .expect("clock");
    Alerts(&s.w.services).detect().await.expect("pass");
    drain_all(&s.w.services).await;
    let alert = s.twilio.sent_to(TOM).pop().expect("the alert text");
    assert!(
        alert.body.contains("Reply 1 if you're on it."),
        "{}",
        alert.body
    );

    let r = s.text(TOM, " 1 ").await;
    assert!(
        r.body.contains("told the others you're on it"),
        "{}",
        r.body
    );
    let (by, next): (Option<Uuid>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT acknowledged_by, next_step_at FROM misses WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&s.w.pool)
            .await
            .expect("the miss");
    assert_eq!(by, Some(tom.user_id));
    assert_eq!(next, None, "the escalation stopped");
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'acknowledged'",
    )
    .bind(ann.user_id)
    .fetch_one(&s.w.pool)
    .await
    .expect("Ann told");
    assert_eq!(told, 1);
    // Sending it again is harmless: nothing more is recorded or told.
    let r = s.text(TOM, "1").await;
    assert!(r.body.contains("already on it"), "{}", r.body);
    let told: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE kind = 'acknowledged'")
            .fetch_one(&s.w.pool)
            .await
            .expect("told");
    assert_eq!(told, 1, "Ann, once");
    // Nobody is alerted again.
    s.w.services
        .clock
        .set(at("2026-11-26T20:47:00Z"))
        .expect("clock");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").realerts,
        0
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE event = 'alert.acknowledged' AND detail->>'how' = 'text'",
    )
    .fetch_one(&s.w.pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
}

const SUE: &str = "+14155552674";

/// The helper rows of `number`: (status, place).
async fn helper(s: &Sms, number: &str) -> (String, Option<i16>) {
    sqlx::query_as("SELECT status, alert_step FROM helpers WHERE number = $1")
        .bind(number)
        .fetch_one(&s.w.pool)
        .await
        .expect("helper")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_neighbour_without_an_account_agrees_by_yes_is_texted_at_her_step_and_her_1_is_im_on_it(
    pool: PgPool,
) {
    let s = sms_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await;
    s.confirmed(&tom, TOM).await;
    sqlx::query("UPDATE connections SET contact_name = 'Ann' WHERE contact_id = $1")
        .bind(ann.user_id)
        .execute(&s.w.pool)
        .await
        .expect("what Mum calls Ann");
    sqlx::query("UPDATE users SET name = 'Mary Smith' WHERE id = $1")
        .bind(mum.user_id)
        .execute(&s.w.pool)
        .await
        .expect("her name");
    sqlx::query(
        "INSERT INTO plans (member_id, address, updated_at) VALUES ($1, '12 Elm St', now())",
    )
    .bind(mum.user_id)
    .execute(&s.w.pool)
    .await
    .expect("her plan");
    let alerts = Alerts(&s.w.services);
    // Mum's order: Tom, then Ann, 15 minutes apart; Sue, her neighbour, third.
    alerts
        .set_order(
            &caller(),
            &mum,
            mum.user_id,
            &app::alerts::escalation::Escalation {
                gap_min: Some(15),
                repeats: 2,
            },
            &[(tom.user_id, Some(1)), (ann.user_id, Some(2))],
        )
        .await
        .expect("order");
    let sue = app::validation::PersonName::parse("Sue").expect("name");
    // Someone from another family may not add anyone to her list.
    let stranger = common::person(&s.w, "stranger").await;
    let refused = alerts
        .add_helper(
            &caller(),
            &stranger,
            mum.user_id,
            &sue,
            "(415) 555-2674",
            Some(3),
        )
        .await;
    assert!(
        matches!(refused, Err(app::error::AppError::NotFound)),
        "{refused:?}"
    );
    // Ann adds Sue: one text asks her to agree; Mum is told in the app.
    alerts
        .add_helper(
            &caller(),
            &ann,
            mum.user_id,
            &sue,
            "(415) 555-2674",
            Some(3),
        )
        .await
        .expect("Sue added");
    let again = alerts
        .add_helper(&caller(), &tom, mum.user_id, &sue, "+1 415 555 2674", None)
        .await;
    assert!(
        matches!(&again, Err(app::error::AppError::Invalid(m)) if m.contains("already on the list")),
        "{again:?}"
    );
    drain_all(&s.w.services).await;
    let asked = s.twilio.sent_to(SUE);
    assert_eq!(asked.len(), 1, "asked once");
    assert!(
        asked[0]
            .body
            .starts_with("Pruuf: ann has asked if you would help look out for Mary Smith."),
        "{}",
        asked[0].body
    );
    assert!(asked[0].body.contains("Reply YES"), "{}", asked[0].body);
    assert_eq!(helper(&s, SUE).await, ("asked".into(), Some(3)));
    assert_eq!(
        count(
            &s.w.pool,
            &format!(
                "SELECT count(*) FROM notifications WHERE user_id = '{}' AND body LIKE '%added Sue%'",
                mum.user_id
            )
        )
        .await,
        1
    );
    // Not agreed yet: not in the order everyone sees.
    let view = alerts.order_view(&mum, mum.user_id).await.expect("view");
    assert_eq!(view.helpers.len(), 1);
    assert!(
        !view.summary.iter().any(|l| l.contains("Sue")),
        "{:?}",
        view.summary
    );
    // Her YES: agreed, and Mum is told.
    let r = s.text(SUE, "yes").await;
    assert!(r.body.contains("we'll text you"), "{}", r.body);
    assert_eq!(helper(&s, SUE).await.0, "agreed");
    let view = alerts.order_view(&tom, mum.user_id).await.expect("view");
    assert!(
        view.summary
            .iter()
            .any(|l| l.starts_with("Sue (by text): told 15 minutes after")),
        "{:?}",
        view.summary
    );

    // Mum misses: Tom at 20:16, Ann at 20:31, Sue at 20:46 and not before.
    for (when, sue_texts) in [
        ("2026-11-26T20:16:00Z", 1),
        ("2026-11-26T20:31:00Z", 1),
        ("2026-11-26T20:45:00Z", 1),
        ("2026-11-26T20:46:00Z", 2),
    ] {
        s.w.services.clock.set(at(when)).expect("clock");
        alerts.detect().await.expect("pass");
        drain_all(&s.w.services).await;
        assert_eq!(s.twilio.sent_to(SUE).len(), sue_texts, "{when}");
    }
    let alert = s.twilio.sent_to(SUE).pop().expect("Sue's alert");
    assert_eq!(
        alert.body,
        "Pruuf: Mary Smith at 12 Elm St has not checked in today. Tom and Ann have been told. Reply 1 if you can look in on Mary Smith."
    );
    // Her "1" is "I'm on it" for everyone: the escalation stops, the others hear.
    let r = s.text(SUE, "1").await;
    assert!(
        r.body.contains("told Mary Smith's family you're on it"),
        "{}",
        r.body
    );
    let (by, next): (Option<Uuid>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT acknowledged_helper, next_step_at FROM misses WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&s.w.pool)
            .await
            .expect("the miss");
    assert!(by.is_some());
    assert_eq!(next, None, "no repeats");
    drain_all(&s.w.services).await;
    let to_tom = s.twilio.sent_to(TOM).pop().expect("Tom told by text");
    assert!(to_tom.body.contains("Sue is on it"), "{}", to_tom.body);
    let page = alerts
        .alert_view(&ann, the_miss_of(&s, &mum).await)
        .await
        .expect("Ann's alert page");
    assert!(format!("{page:?}").contains("Sue"), "{page:?}");
    // Again: harmless.
    let r = s.text(SUE, "1").await;
    assert!(r.body.contains("already on it"), "{}", r.body);
    assert_eq!(
        count(
            &s.w.pool,
            "SELECT count(*) FROM audit_log WHERE event = 'alert.acknowledged'"
        )
        .await,
        1
    );
    // STOP: never texted again, even taken off the list and added again.
    s.text(SUE, "STOP").await;
    assert_eq!(helper(&s, SUE).await.0, "stopped");
    let view = alerts.order_view(&mum, mum.user_id).await.expect("view");
    assert!(
        !view.summary.iter().any(|l| l.contains("Sue")),
        "{:?}",
        view.summary
    );
    let sue_id = Uuid::parse_str(&view.helpers[0].id).expect("id");
    // Someone else's list: not theirs to change.
    let other = alerts
        .remove_helper(&caller(), &stranger, mum.user_id, sue_id)
        .await;
    assert!(
        matches!(other, Err(app::error::AppError::NotFound)),
        "{other:?}"
    );
    alerts
        .remove_helper(&caller(), &tom, mum.user_id, sue_id)
        .await
        .expect("taken off");
    assert!(alerts
        .order_view(&mum, mum.user_id)
        .await
        .expect("view")
        .helpers
        .is_empty());
    let texts_before = s.twilio.sent_to(SUE).len();
    alerts
        .add_helper(&caller(), &ann, mum.user_id, &sue, "(415) 555-2674", None)
        .await
        .expect("Sue back on the list");
    drain_all(&s.w.services).await;
    assert_eq!(helper(&s, SUE).await.0, "stopped");
    assert_eq!(s.twilio.sent_to(SUE).len(), texts_before, "not asked again");
    // START: she may agree again.
    let r = s.text(SUE, "START").await;
    assert!(r.body.contains("Reply YES"), "{}", r.body);
    s.text(SUE, "YES").await;
    assert_eq!(helper(&s, SUE).await.0, "agreed");
}

async fn the_miss_of(s: &Sms, member: &Me) -> Uuid {
    sqlx::query_scalar("SELECT id FROM misses WHERE member_id = $1")
        .bind(member.user_id)
        .fetch_one(&s.w.pool)
        .await
        .expect("the miss")
}

/// Calling in (issue 23): Mum calls Pruuf's number from her confirmed phone and
/// enters her PIN. A forged signature on either voice webhook is 403 and
/// changes nothing; a wrong PIN is refused and counted like a wrong log-in; a
/// number no one confirmed gets nowhere; her PIN checks her in once.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn calling_in_with_her_pin_checks_her_in_and_a_wrong_pin_is_refused_and_counted(
    pool: PgPool,
) {
    // The app's paths, written out as Twilio's console holds them.
    const VOICE_INCOMING: &str = "/webhooks/twilio/voice/incoming";
    const VOICE_PIN: &str = "/webhooks/twilio/voice/pin";
    let s = sms_world(pool).await;
    let (mum, tom, _ann) = family(&s.w).await; // 8:00 AM in Honolulu, due 10:00
    s.confirmed(&mum, MUM).await;
    let pin = app::validation::Pin::parse("5172").expect("pin");
    sqlx::query("UPDATE users SET pin_hash = $2, name = 'Mary' WHERE id = $1")
        .bind(mum.user_id)
        .bind(app::accounts::secrets::hash_pin(&pin).expect("hash"))
        .execute(&s.w.pool)
        .await
        .expect("her PIN");
    let checkins = || count(&s.w.pool, "SELECT count(*) FROM checkins");
    let failures = || count(&s.w.pool, "SELECT count(*) FROM pin_failures");
    let said = |r: &Reply| -> String {
        // The spoken words, read as XML (not compared as a string).
        let mut reader = quick_xml::Reader::from_str(&r.body);
        let mut words = String::new();
        loop {
            match reader.read_event().expect("TwiML is XML") {
                quick_xml::events::Event::Text(t) => words.push_str(&t.decode().expect("text")),
                quick_xml::events::Event::GeneralRef(g) => {
                    let name = g.decode().expect("ref");
                    words.push_str(
                        &quick_xml::escape::unescape(&format!("&{name};")).expect("entity"),
                    )
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        words
    };

    // Forged on either hook: 403, nothing changes.
    for path in [VOICE_INCOMING, VOICE_PIN] {
        let signed = s
            .twilio
            .voice(&format!("{}{path}", s.origin), MUM, Some("5172"));
        let forged = Call::new(http::Method::POST, path)
            .header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl")
            .form(&signed.pairs())
            .send(&s.app)
            .await;
        assert_eq!(forged.status, 403, "{path}");
        let elsewhere = s
            .twilio
            .voice("https://evil.example/hook", MUM, Some("5172"));
        let wrong_url = Call::new(http::Method::POST, path)
            .header("x-twilio-signature", &elsewhere.signature)
            .form(&signed.pairs())
            .send(&s.app)
            .await;
        assert_eq!(wrong_url.status, 403, "{path}");
    }
    assert_eq!((checkins().await, failures().await), (0, 0));

    // The call comes in: asked for four keys, posted back to the PIN hook.
    let incoming = s
        .post(
            VOICE_INCOMING,
            &s.twilio
                .voice(&format!("{}{VOICE_INCOMING}", s.origin), MUM, None),
        )
        .await;
    assert_eq!(incoming.status, 200);
    assert!(said(&incoming).contains("please enter your four-digit PIN"));
    assert!(incoming
        .body
        .contains(&format!("action=\"{}{VOICE_PIN}\"", s.origin)));
    assert!(incoming.body.contains("numDigits=\"4\""));

    let keys = |from: &str, digits: &str| {
        s.twilio
            .voice(&format!("{}{VOICE_PIN}", s.origin), from, Some(digits))
    };
    // A wrong PIN: refused, counted.
    let wrong = s.post(VOICE_PIN, &keys(MUM, "4826")).await;
    assert!(
        said(&wrong).contains("That PIN is not right"),
        "{}",
        wrong.body
    );
    assert_eq!((checkins().await, failures().await), (0, 1));
    // Her PIN from a number no one confirmed: nowhere, and not counted.
    let stranger = s.post(VOICE_PIN, &keys("+14155550100", "5172")).await;
    assert!(said(&stranger).contains("not set up for Pruuf"));
    assert_eq!((checkins().await, failures().await), (0, 1));
    // Her PIN from her phone: checked in, by phone, and thanked by name.
    let right = s.post(VOICE_PIN, &keys(MUM, "5172")).await;
    assert!(
        said(&right).contains("Thank you, Mary. Have a lovely day."),
        "{}",
        right.body
    );
    let source: String = sqlx::query_scalar("SELECT source FROM checkins")
        .fetch_one(&s.w.pool)
        .await
        .expect("one check-in");
    assert_eq!(source, "phone");
    let dash = CheckIns(&s.w.services)
        .home(&tom)
        .await
        .expect("Tom's home");
    assert_eq!(dash.watching[0].headline, "Checked in by phone at 8:00 AM");
    assert_eq!(failures().await, 0, "a right PIN clears the failures");
    // Again: the first stands.
    let again = s.post(VOICE_PIN, &keys(MUM, "5172")).await;
    assert!(said(&again).contains("already checked in today, Mary"));
    assert_eq!(checkins().await, 1);
}
