//! Phone calls against the real database and the Twilio stand-in, which places
//! the calls the app asks for and "answers" them the way Twilio would: it
//! fetches the app's TwiML from the call's URL, posts the keys to the
//! `<Gather>`'s action and the end of the call to the status callback, each
//! signed. The app listens on a real port for it. (Calling in with a PIN:
//! `sms::calling_in_with_her_pin_…`.)
use crate::alerts::{at, count, drain_all, family};
use crate::common::{self, caller, World};
use app::accounts::service::Me;
use app::alerts::service::Alerts;
use app::calls::service::Calls;
use app::checkin::service::{CheckIns, Source};
use app::phones::service::Phones;
use axum::Router;
use pruuf_test_support::twilio::{FakeTwilio, PlacedCall};
use pruuf_test_support::Call;
use sqlx::PgPool;
use uuid::Uuid;

const LANDLINE: &str = "+14155552680";
const TOM: &str = "+14155552671";

struct Phone {
    w: World,
    app: Router,
    twilio: FakeTwilio,
    origin: String,
}

async fn phone_world(pool: PgPool) -> Phone {
    phone_world_with(pool, &[]).await
}

async fn phone_world_with(pool: PgPool, more: &[(&str, &str)]) -> Phone {
    let twilio = FakeTwilio::start().await.expect("the Twilio stand-in");
    let vars = twilio.vars();
    let mut pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend_from_slice(more);
    let state = common::state(pool.clone(), common::config_with(true, &pairs));
    let origin = state.config.public_origin.clone();
    let app = server::router(state.clone());
    // Twilio fetches TwiML over HTTP: the app listens for the stand-in.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    let served = app.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, served).await;
    });
    twilio.set_app_url(&format!("http://{addr}"));
    Phone {
        w: World {
            services: state.services.clone(),
            pool,
        },
        app,
        twilio,
        origin,
    }
}

/// The words a TwiML document says, read as XML (never compared as a string).
pub(crate) fn spoken(twiml: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(twiml);
    let mut words = String::new();
    loop {
        match reader.read_event().expect("TwiML is XML") {
            quick_xml::events::Event::Text(t) => words.push_str(&t.decode().expect("text")),
            quick_xml::events::Event::GeneralRef(g) => {
                let name = g.decode().expect("ref");
                words.push_str(&quick_xml::escape::unescape(&format!("&{name};")).expect("entity"))
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    words
}

/// The elements of a TwiML document, in order.
fn elements(twiml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(twiml);
    let mut names = Vec::new();
    loop {
        match reader.read_event().expect("TwiML is XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    names
}

impl Phone {
    fn clock(&self, instant: &str) {
        self.w.services.clock.set(at(instant)).expect("clock");
    }

    /// The call pass, then the workers: the calls it wrote are placed.
    async fn call_pass(&self) -> usize {
        let placed = Calls(&self.w.services)
            .place_due()
            .await
            .expect("call pass");
        drain_all(&self.w.services).await;
        placed
    }

    fn calls_to(&self, number: &str) -> Vec<PlacedCall> {
        self.twilio.calls_to(number)
    }

    fn last_call_to(&self, number: &str) -> PlacedCall {
        self.calls_to(number).pop().expect("a call")
    }

    async fn answer(&self, sid: &str) -> String {
        let (status, twiml) = self.twilio.answer(sid).await.expect("answered");
        assert_eq!(status, 200, "{twiml}");
        twiml
    }

    async fn press(&self, sid: &str, digits: &str) -> String {
        let (status, twiml) = self.twilio.press(sid, digits).await.expect("pressed");
        assert_eq!(status, 200, "{twiml}");
        twiml
    }

    async fn outcome(&self, sid: &str) -> Option<String> {
        sqlx::query_scalar("SELECT provider_status FROM deliveries WHERE provider_id = $1")
            .bind(sid)
            .fetch_one(&self.w.pool)
            .await
            .expect("the call's delivery")
    }

    /// `who` adds `number` as their mobile and replies YES to its text.
    async fn mobile_confirmed(&self, who: &Me, number: &str) {
        Phones(&self.w.services)
            .add_phone(&caller(), who, number, false)
            .await
            .expect("added");
        drain_all(&self.w.services).await;
        let yes = self.twilio.inbound(
            &format!("{}/webhooks/twilio/inbound", self.origin),
            number,
            "YES",
        );
        let r = Call::new(http::Method::POST, "/webhooks/twilio/inbound")
            .header("x-twilio-signature", &yes.signature)
            .form(&yes.pairs())
            .send(&self.app)
            .await;
        assert!(r.body.contains("confirmed"), "{}", r.body);
    }

    async fn daily_call_is_confirmed(&self, mum: &Me) -> bool {
        sqlx::query_scalar("SELECT confirmed_at IS NOT NULL FROM daily_calls WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&self.w.pool)
            .await
            .expect("her daily call")
    }

    /// Mary chooses a 9:00 AM call to her landline and confirms it by
    /// answering the call that asks her to press 1.
    async fn daily_call_confirmed(&self, mum: &Me) {
        sqlx::query("UPDATE users SET name = 'Mary' WHERE id = $1")
            .bind(mum.user_id)
            .execute(&self.w.pool)
            .await
            .expect("her name");
        Calls(&self.w.services)
            .save_daily_call(&caller(), mum, LANDLINE, "09:00")
            .await
            .expect("saved");
        drain_all(&self.w.services).await;
        let confirm = self.last_call_to(LANDLINE);
        assert!(confirm.machine_detection, "a machine is told apart");
        let asked = self.answer(&confirm.sid).await;
        assert!(spoken(&asked).contains("confirming this number"), "{asked}");
        assert!(elements(&asked).contains(&"Gather".to_string()));
        let done = self.press(&confirm.sid, "1").await;
        assert!(spoken(&done).contains("This number is confirmed"), "{done}");
        assert!(spoken(&done).contains("9:00 AM"), "{done}");
        assert!(self.daily_call_is_confirmed(mum).await);
    }
}

async fn checkins(s: &Phone) -> i64 {
    count(&s.w.pool, "SELECT count(*) FROM checkins").await
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_daily_call_comes_at_her_time_and_pressing_1_checks_her_in_once(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await; // 8:00 AM in Honolulu, due 10:00
    s.daily_call_confirmed(&mum).await;
    let calls = || s.calls_to(LANDLINE).len();
    assert_eq!(calls(), 1, "the confirmation call only");
    // Before 9:00 AM: no call.
    s.clock("2026-11-26T18:59:00Z");
    assert_eq!(s.call_pass().await, 0);
    // 9:00 AM in Honolulu: her call.
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    assert_eq!(calls(), 2);
    let call = s.last_call_to(LANDLINE);
    assert_eq!(call.from, FakeTwilio::FROM);
    let asked = s.answer(&call.sid).await;
    let words = spoken(&asked);
    assert!(
        words.contains("Hello Mary. This is your daily call from Pruuf."),
        "{words}"
    );
    assert!(words.contains("please press 1, or any key"), "{words}");
    assert_eq!(
        elements(&asked).iter().filter(|e| *e == "Gather").count(),
        2,
        "asked twice"
    );
    assert_eq!(checkins(&s).await, 0, "answering is not a check-in");
    s.clock("2026-11-26T19:02:00Z");
    let thanks = s.press(&call.sid, "1").await;
    assert!(
        spoken(&thanks).contains("Thank you, Mary. Have a lovely day."),
        "{thanks}"
    );
    let (source, late): (String, bool) =
        sqlx::query_as("SELECT source, late FROM checkins WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&s.w.pool)
            .await
            .expect("one check-in");
    assert_eq!((source.as_str(), late), ("phone", false));
    assert_eq!(s.outcome(&call.sid).await.as_deref(), Some("pressed"));
    // Her Contacts' quiet confirmations, once each.
    for contact in [&tom, &ann] {
        let told: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'checked_in'",
        )
        .bind(contact.user_id)
        .fetch_one(&s.w.pool)
        .await
        .expect("told");
        assert_eq!(told, 1);
    }
    // Tom's dashboard says how.
    let dash = CheckIns(&s.w.services)
        .home(&tom)
        .await
        .expect("Tom's dashboard");
    assert_eq!(dash.watching[0].headline, "Checked in by phone at 9:02 AM");
    // No second call today, and no alert.
    s.clock("2026-11-26T19:10:00Z");
    assert_eq!(s.call_pass().await, 0);
    s.clock("2026-11-26T20:16:00Z");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").missed,
        0
    );
    // Tomorrow at 9:00 AM, the next.
    s.clock("2026-11-27T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    assert_eq!(calls(), 3);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn no_answer_calls_again_ten_minutes_later_and_pressing_then_checks_her_in(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    let first = s.last_call_to(LANDLINE);
    let (status, _) = s.twilio.no_answer(&first.sid).await.expect("no answer");
    assert_eq!(status, 200);
    assert_eq!(s.outcome(&first.sid).await.as_deref(), Some("no-answer"));
    // Not before ten minutes.
    s.clock("2026-11-26T19:09:00Z");
    assert_eq!(s.call_pass().await, 0);
    s.clock("2026-11-26T19:10:00Z");
    assert_eq!(s.call_pass().await, 1);
    let second = s.last_call_to(LANDLINE);
    assert_ne!(second.sid, first.sid);
    s.answer(&second.sid).await;
    // Any key will do on the daily call.
    let thanks = s.press(&second.sid, "5").await;
    assert!(spoken(&thanks).contains("Thank you, Mary."), "{thanks}");
    assert_eq!(checkins(&s).await, 1);
    // The day's tries are over either way: no third call.
    s.clock("2026-11-26T19:20:00Z");
    assert_eq!(s.call_pass().await, 0);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_unanswered_calls_and_no_check_in_leave_the_normal_alert_at_deadline_and_grace(
    pool: PgPool,
) {
    let s = phone_world(pool).await;
    let (mum, tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    let first = s.last_call_to(LANDLINE);
    s.twilio.busy(&first.sid).await.expect("busy");
    assert_eq!(s.outcome(&first.sid).await.as_deref(), Some("busy"));
    s.clock("2026-11-26T19:10:00Z");
    assert_eq!(s.call_pass().await, 1);
    let second = s.last_call_to(LANDLINE);
    s.twilio.no_answer(&second.sid).await.expect("no answer");
    s.clock("2026-11-26T19:30:00Z");
    assert_eq!(s.call_pass().await, 0, "two tries a day");
    assert_eq!(checkins(&s).await, 0);
    // The normal path: nothing at 10:14, the alert at 10:15.
    s.clock("2026-11-26T20:14:59Z");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").missed,
        0
    );
    s.clock("2026-11-26T20:15:00Z");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").missed,
        1
    );
    let alerted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE recipient_id = $1 AND kind = 'missed'",
    )
    .bind(tom.user_id)
    .fetch_one(&s.w.pool)
    .await
    .expect("Tom's alert");
    assert!(alerted >= 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_answering_machine_gets_a_short_message_and_it_is_not_a_check_in(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    let call = s.last_call_to(LANDLINE);
    let (status, message) = s.twilio.machine(&call.sid).await.expect("a machine");
    assert_eq!(status, 200);
    let words = spoken(&message);
    assert!(words.contains("Hello Mary, this is Pruuf"), "{words}");
    assert!(words.contains("answer when we call again"), "{words}");
    assert!(
        !elements(&message).contains(&"Gather".to_string()),
        "a machine is asked nothing"
    );
    assert_eq!(checkins(&s).await, 0);
    assert_eq!(s.outcome(&call.sid).await.as_deref(), Some("machine"));
    // The second try still comes.
    s.clock("2026-11-26T19:10:00Z");
    assert_eq!(s.call_pass().await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn every_voice_webhook_refuses_a_forged_signature_and_nothing_changes(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    let call = s.last_call_to(LANDLINE);
    let delivery: Uuid = sqlx::query_scalar("SELECT id FROM deliveries WHERE provider_id = $1")
        .bind(&call.sid)
        .fetch_one(&s.w.pool)
        .await
        .expect("the call's delivery");
    let paths = [
        "/webhooks/twilio/voice/incoming".to_string(),
        "/webhooks/twilio/voice/pin".to_string(),
        format!("/webhooks/twilio/voice/out/{delivery}"),
        format!("/webhooks/twilio/voice/out/{delivery}/keys"),
        "/webhooks/twilio/voice/status".to_string(),
    ];
    for path in &paths {
        let mut signed = s
            .twilio
            .voice(&format!("{}{path}", s.origin), LANDLINE, Some("1"));
        signed.form.retain(|(k, _)| k != "CallSid");
        signed.form.push(("CallSid".into(), call.sid.clone()));
        signed.form.push(("CallStatus".into(), "completed".into()));
        let forged = Call::new(http::Method::POST, path)
            .header("x-twilio-signature", "bm90IGEgc2lnbmF0dXJl")
            .form(&signed.pairs())
            .send(&s.app)
            .await;
        assert_eq!(forged.status, 403, "{path}");
        // Signed for another URL: refused too.
        let elsewhere = s.twilio.sign("https://evil.example/hook", &signed.form);
        let moved = Call::new(http::Method::POST, path)
            .header("x-twilio-signature", &elsewhere)
            .form(&signed.pairs())
            .send(&s.app)
            .await;
        assert_eq!(moved.status, 403, "{path}");
        // No signature at all.
        let bare = Call::new(http::Method::POST, path)
            .form(&signed.pairs())
            .send(&s.app)
            .await;
        assert_eq!(bare.status, 403, "{path}");
    }
    assert_eq!(checkins(&s).await, 0);
    assert_eq!(s.outcome(&call.sid).await, None, "no status was taken");
    // Signed, the same keys check her in.
    s.answer(&call.sid).await;
    s.press(&call.sid, "1").await;
    assert_eq!(checkins(&s).await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_contact_called_about_a_miss_presses_1_and_the_others_are_told(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, tom, ann) = family(&s.w).await;
    // Tom confirms his mobile (replying YES) and chooses calls.
    s.mobile_confirmed(&tom, TOM).await;
    // Ann has no number: choosing calls is refused with the reason.
    let refused = Calls(&s.w.services)
        .set_call_alerts(&caller(), &ann, true)
        .await
        .expect_err("Ann has no number");
    assert!(refused.message().contains("add your mobile number"));
    Calls(&s.w.services)
        .set_call_alerts(&caller(), &tom, true)
        .await
        .expect("Tom chose calls");

    s.clock("2026-11-26T20:16:00Z");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").missed,
        1
    );
    drain_all(&s.w.services).await;
    let calls = s.calls_to(TOM);
    assert_eq!(calls.len(), 1, "Tom is rung once");
    let call = &calls[0];
    let asked = s.answer(&call.sid).await;
    let words = spoken(&asked);
    assert!(
        words.contains("Mum has not checked in today. Press 1 if you will check on Mum."),
        "{words}"
    );
    let done = s.press(&call.sid, "1").await;
    assert!(
        spoken(&done).contains("told the others you\u{2019}re checking on Mum"),
        "{done}"
    );
    let by: Option<Uuid> =
        sqlx::query_scalar("SELECT acknowledged_by FROM misses WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&s.w.pool)
            .await
            .expect("the miss");
    assert_eq!(by, Some(tom.user_id));
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'acknowledged'",
    )
    .bind(ann.user_id)
    .fetch_one(&s.w.pool)
    .await
    .expect("Ann told");
    assert_eq!(told, 1);
    let audited = count(
        &s.w.pool,
        "SELECT count(*) FROM audit_log WHERE event = 'alert.acknowledged' AND detail->>'how' = 'call'",
    )
    .await;
    assert_eq!(audited, 1);
    // Pressing again on another call changes nothing; and nobody is rung with the news.
    drain_all(&s.w.services).await;
    assert_eq!(s.calls_to(TOM).len(), 1);
    let rung = count(
        &s.w.pool,
        "SELECT count(*) FROM deliveries WHERE channel = 'call' AND kind <> 'missed'",
    )
    .await;
    assert_eq!(rung, 0, "updates never ring");
    // The alert's trail names the call.
    assert_eq!(s.outcome(&call.sid).await.as_deref(), Some("pressed"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_call_answered_after_she_checked_in_asks_nothing_and_the_days_calls_are_capped(
    pool: PgPool,
) {
    // At most two calls to one person in 24 hours (PRUUF_CALLS_PER_DAY).
    let s = phone_world_with(pool, &[("PRUUF_CALLS_PER_DAY", "2")]).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await; // call 1: the confirmation
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1); // call 2
    let call = s.last_call_to(LANDLINE);
    // She taps "I'm OK" while the phone rings.
    s.clock("2026-11-26T19:00:30Z");
    CheckIns(&s.w.services)
        .check_in(mum.user_id, app::checkin::service::Source::Web)
        .await
        .expect("checked in");
    let said = s.answer(&call.sid).await;
    assert!(spoken(&said).contains("already checked in today"), "{said}");
    assert!(!elements(&said).contains(&"Gather".to_string()));
    assert_eq!(checkins(&s).await, 1);
    // No second try that day: she checked in.
    s.clock("2026-11-26T19:10:00Z");
    assert_eq!(s.call_pass().await, 0);
    // The next morning's call is written, but two calls were placed in the
    // last 24 hours: it is not placed, visibly.
    s.clock("2026-11-27T17:59:00Z");
    sqlx::query("UPDATE daily_calls SET call_at = '07:59' WHERE member_id = $1")
        .bind(mum.user_id)
        .execute(&s.w.pool)
        .await
        .expect("an earlier call");
    sqlx::query("UPDATE daily_calls SET next_call_at = $2 WHERE member_id = $1")
        .bind(mum.user_id)
        .bind(at("2026-11-27T17:59:00Z"))
        .execute(&s.w.pool)
        .await
        .expect("due now");
    assert_eq!(s.call_pass().await, 1);
    assert_eq!(s.calls_to(LANDLINE).len(), 2, "not placed");
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT status, last_error FROM deliveries WHERE kind = 'daily_call' ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&s.w.pool)
    .await
    .expect("the capped call");
    assert_eq!(status, "failed");
    assert!(
        error.is_some_and(|e| e.contains("2 calls to this person in the last 24 hours")),
        "the reason is kept"
    );
}

async fn call_deliveries(s: &Phone, status: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE channel = 'call' AND kind IN ('daily_call', 'call_confirm')
           AND status = $1",
    )
    .bind(status)
    .fetch_one(&s.w.pool)
    .await
    .expect("calls")
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_daily_call_waiting_for_a_retry_is_canceled_once_she_checks_in(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    let before = s.calls_to(LANDLINE).len();
    // 9:00 AM: Twilio is having a bad minute and refuses the call.
    s.twilio.script(LANDLINE, &[(503, None)]);
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    assert_eq!(s.calls_to(LANDLINE).len(), before, "refused: not placed");
    assert_eq!(call_deliveries(&s, "pending").await, 1, "kept for a retry");
    // She taps her button meanwhile.
    s.clock("2026-11-26T19:00:10Z");
    CheckIns(&s.w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    // The retry comes due: her phone does not ring for nothing.
    s.clock("2026-11-26T19:01:00Z");
    drain_all(&s.w.services).await;
    assert_eq!(
        s.calls_to(LANDLINE).len(),
        before,
        "no call after her check-in"
    );
    assert_eq!(call_deliveries(&s, "pending").await, 0);
    let why: Option<String> = sqlx::query_scalar(
        "SELECT last_error FROM deliveries WHERE kind = 'daily_call' AND status = 'canceled'",
    )
    .fetch_one(&s.w.pool)
    .await
    .expect("the canceled call, in the trail");
    assert_eq!(why.as_deref(), Some("not called: she checked in"));
    // Her schedule card says so, in words.
    let view = Calls(&s.w.services)
        .daily_call_view(&mum)
        .await
        .expect("her card");
    assert!(
        view.recent
            .iter()
            .any(|r| r.contains("your daily call: not needed")),
        "{:?}",
        view.recent
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn stopping_her_daily_call_cancels_a_call_still_waiting(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    Calls(&s.w.services)
        .save_daily_call(&caller(), &mum, LANDLINE, "09:00")
        .await
        .expect("saved");
    assert_eq!(
        call_deliveries(&s, "pending").await,
        1,
        "the confirmation call"
    );
    // She changes her mind before it is placed.
    Calls(&s.w.services)
        .stop_daily_call(&caller(), &mum)
        .await
        .expect("stopped");
    drain_all(&s.w.services).await;
    assert!(s.calls_to(LANDLINE).is_empty(), "nobody rang");
    assert_eq!(call_deliveries(&s, "canceled").await, 1);
    // And no daily call comes at 9:00.
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 0);
    assert!(s.calls_to(LANDLINE).is_empty());
}

const OTHER_LANDLINE: &str = "+14155552699";

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_1_pressed_on_a_call_to_her_old_number_never_confirms_her_new_one(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    let calls = Calls(&s.w.services);
    calls
        .save_daily_call(&caller(), &mum, LANDLINE, "09:00")
        .await
        .expect("saved");
    drain_all(&s.w.services).await;
    let old_call = s.last_call_to(LANDLINE);
    // She asks for another call to it, then changes the number before it rings.
    calls.call_again(&mum).await.expect("asked again");
    calls
        .save_daily_call(&caller(), &mum, OTHER_LANDLINE, "09:00")
        .await
        .expect("the other number");
    drain_all(&s.w.services).await;
    assert_eq!(
        s.calls_to(LANDLINE).len(),
        1,
        "the call still waiting for the old number is not placed"
    );
    assert_eq!(s.calls_to(OTHER_LANDLINE).len(), 1);
    // Someone at the old number answers the first call and presses 1.
    s.answer(&old_call.sid).await;
    let words = spoken(&s.press(&old_call.sid, "1").await);
    assert!(words.contains("has been changed in Pruuf"), "{words}");
    assert!(
        !s.daily_call_is_confirmed(&mum).await,
        "the new number is not confirmed by the old"
    );
    // Her new number's own call confirms it.
    let new_call = s.last_call_to(OTHER_LANDLINE);
    s.answer(&new_call.sid).await;
    let words = spoken(&s.press(&new_call.sid, "1").await);
    assert!(words.contains("This number is confirmed"), "{words}");
    assert!(s.daily_call_is_confirmed(&mum).await);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn her_daily_call_keeps_its_time_of_day_where_she_moved_and_never_rings_at_4_am(
    pool: PgPool,
) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    // She lives in New York (it is 1:00 PM there): her 9:00 AM call comes tomorrow.
    CheckIns(&s.w.services)
        .set_schedule(&caller(), &mum, &crate::alerts::ten_am("America/New_York"))
        .await
        .expect("New York");
    s.daily_call_confirmed(&mum).await;
    // She moves to Honolulu and says so.
    CheckIns(&s.w.services)
        .set_schedule(&caller(), &mum, &crate::alerts::ten_am("Pacific/Honolulu"))
        .await
        .expect("Honolulu");
    let before = s.calls_to(LANDLINE).len();
    // 9:00 AM in New York is 4:00 AM in Honolulu: nothing rings.
    s.clock("2026-11-27T14:00:00Z");
    assert_eq!(s.call_pass().await, 0);
    s.clock("2026-11-27T18:59:00Z");
    assert_eq!(s.call_pass().await, 0);
    assert_eq!(s.calls_to(LANDLINE).len(), before);
    // 9:00 AM in Honolulu: her call.
    s.clock("2026-11-27T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    assert_eq!(s.calls_to(LANDLINE).len(), before + 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn no_daily_call_on_a_day_without_a_check_in(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    let mut weekdays = crate::alerts::ten_am("Pacific/Honolulu");
    weekdays.windows[0].days = app::checkin::windows::Days::WEEKDAYS;
    CheckIns(&s.w.services)
        .set_schedule(&caller(), &mum, &weekdays)
        .await
        .expect("weekdays only");
    s.daily_call_confirmed(&mum).await;
    let calls = || s.calls_to(LANDLINE).len();
    let before = calls();
    // Thursday and Friday, 9:00 AM: check-in days, a call and its second try.
    for day in ["2026-11-26", "2026-11-27"] {
        s.clock(&format!("{day}T19:00:00Z"));
        assert_eq!(s.call_pass().await, 1, "{day}");
        s.clock(&format!("{day}T19:10:00Z"));
        assert_eq!(s.call_pass().await, 1, "{day}: its second try");
    }
    // Saturday and Sunday: no check-in, no call.
    for day in ["2026-11-28", "2026-11-29"] {
        s.clock(&format!("{day}T19:00:00Z"));
        assert_eq!(s.call_pass().await, 0, "{day}");
        s.clock(&format!("{day}T19:10:00Z"));
        assert_eq!(s.call_pass().await, 0, "{day}");
    }
    assert_eq!(calls(), before + 4);
    // Monday, again.
    s.clock("2026-11-30T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn removing_the_mobile_her_daily_call_rings_stops_it_until_confirmed_again(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    const HER_MOBILE: &str = "+14155552677";
    s.mobile_confirmed(&mum, HER_MOBILE).await;
    Calls(&s.w.services)
        .save_daily_call(&caller(), &mum, HER_MOBILE, "09:00")
        .await
        .expect("saved");
    assert!(
        s.daily_call_is_confirmed(&mum).await,
        "her confirmed mobile needs no call"
    );
    Phones(&s.w.services)
        .remove_phone(&caller(), &mum)
        .await
        .expect("removed");
    assert!(!s.daily_call_is_confirmed(&mum).await);
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 0);
    assert!(
        s.calls_to(HER_MOBILE).is_empty(),
        "a number she gave up is not rung"
    );
    let view = Calls(&s.w.services)
        .daily_call_view(&mum)
        .await
        .expect("her card");
    assert!(view.waiting, "her card offers a call to confirm it again");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_keys_request_replayed_the_next_day_checks_nobody_in(pool: PgPool) {
    let s = phone_world(pool).await;
    let (mum, _tom, _ann) = family(&s.w).await;
    s.daily_call_confirmed(&mum).await;
    s.clock("2026-11-26T19:00:00Z");
    assert_eq!(s.call_pass().await, 1);
    let call = s.last_call_to(LANDLINE);
    s.answer(&call.sid).await;
    s.press(&call.sid, "1").await;
    assert_eq!(checkins(&s).await, 1);
    // The same signed request, posted again the next morning.
    s.clock("2026-11-27T18:30:00Z");
    let (status, replayed) = s.twilio.replay_keys(&call.sid).await.expect("replayed");
    assert_eq!(status, 200);
    let words = spoken(&replayed);
    assert!(words.contains("no longer needed"), "{words}");
    assert_eq!(
        checkins(&s).await,
        1,
        "no check-in for the 27th from a call of the 26th"
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn an_alert_call_taken_from_the_queue_as_someone_says_im_on_it_does_not_ring(pool: PgPool) {
    let s = phone_world(pool).await;
    let (_mum, tom, _ann) = family(&s.w).await;
    s.mobile_confirmed(&tom, TOM).await;
    Calls(&s.w.services)
        .set_call_alerts(&caller(), &tom, true)
        .await
        .expect("Tom chose calls");
    s.clock("2026-11-26T20:16:00Z");
    assert_eq!(
        Alerts(&s.w.services).detect().await.expect("pass").missed,
        1
    );
    // Ann says "I'm on it" just as the call worker takes Tom's call (a waiting
    // call is canceled by her answer; this one was already in a worker's hands).
    sqlx::query("UPDATE misses SET acknowledged_at = $1")
        .bind(at("2026-11-26T20:16:00Z"))
        .execute(&s.w.pool)
        .await
        .expect("on it");
    drain_all(&s.w.services).await;
    assert!(
        s.calls_to(TOM).is_empty(),
        "Tom's phone does not ring for an alert someone has"
    );
    let why: Option<String> = sqlx::query_scalar(
        "SELECT last_error FROM deliveries WHERE channel = 'call' AND kind = 'missed' AND status = 'canceled'",
    )
    .fetch_one(&s.w.pool)
    .await
    .expect("the canceled call");
    assert_eq!(why.as_deref(), Some("not called: someone is on it"));
}
