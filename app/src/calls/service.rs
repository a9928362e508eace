//! Calls (server only): a Member's daily check-in call and its confirmation,
//! the call pass that places them, a Contact's choice to be called about a
//! miss, and the answers to Twilio's voice webhooks for the calls we place
//! (signatures are checked by the server before any of this runs).
use super::rules::{self, next_call_after, Keys};
use super::store;
use super::views::{CallAlertsView, DailyCallView};
use crate::accounts::service::Me;
use crate::alerts::service::{AlertCallState, Alerts, OnItByText};
use crate::checkin::rules::DeadlineTime;
use crate::checkin::service::{CheckIns, Source};
use crate::checkin::store as checkin_store;
use crate::checkin::windows;
use crate::error::AppError;
use crate::notify::call::CALL_PATH;
use crate::notify::outbox::{self, PlacedCall};
use crate::notify::{self, Kind};
use crate::phones::rules as phone_rules;
use crate::phones::store as phone_store;
use crate::phones::twiml;
use crate::services::Caller;
use crate::time;
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

crate::services::facade! {
    /// Daily check-in calls, alert calls, and what every call we place says.
    Calls
}

/// Her calls shown on the schedule page.
const RECENT_CALLS: i64 = 5;

/// Daily calls claimed in one transaction of the call pass.
const PASS_BATCH: i64 = 200;

fn zone_of(name: &str) -> Tz {
    time::parse_zone(name).unwrap_or(chrono_tz::UTC)
}

/// "808 555 0123" as a person says it (the national format).
fn spoken_number(e164: &str) -> String {
    phone_rules::national_format(e164).unwrap_or_else(|| e164.to_string())
}

/// The number and time in words: "We call 808-555-0123 every day at 9:00 AM."
fn status_words(row: &store::DailyCallRow) -> String {
    let at = row.call_at.format("%-I:%M %p");
    let number = spoken_number(&row.number);
    if row.confirmed_at.is_some() {
        format!("We call {number} every day at {at}. Press 1, or any key, when we call, and you\u{2019}re checked in.")
    } else {
        format!("{number} needs confirming: we call it, and you answer and press 1. Your daily call at {at} starts once it\u{2019}s confirmed.")
    }
}

impl Calls<'_> {
    /// Her daily call, as the schedule page shows it.
    pub async fn daily_call_view(self, me: &Me) -> Result<DailyCallView, AppError> {
        let mut conn = self.pool.acquire().await?;
        let row = store::daily_call(&mut conn, me.user_id).await?;
        let mobile = phone_store::phone_of(&mut conn, me.user_id)
            .await?
            .filter(|p| p.status == "verified")
            .map(|p| p.number);
        let zone = match checkin_store::schedule(&mut conn, me.user_id).await? {
            Some(schedule) => zone_of(&schedule.time_zone),
            None => chrono_tz::UTC,
        };
        let now = self.clock.now();
        let today = time::local_day(now, zone);
        let recent = store::recent_calls(&mut conn, me.user_id, RECENT_CALLS)
            .await?
            .into_iter()
            .map(|c| {
                let what = if c.kind == Kind::CallConfirm.as_str() {
                    "the call to confirm your number"
                } else {
                    "your daily call"
                };
                let outcome = match c.status.as_str() {
                    "sent" => notify::rules::call_outcome_words(c.provider_status.as_deref()),
                    "failed" => "it could not be made",
                    "canceled" => "not needed",
                    _ => "on its way",
                };
                let day = time::day_words(time::local_day(c.created_at, zone), today);
                let mut day_title = day.clone();
                if let Some(first) = day_title.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!(
                    "{day_title} at {}, {what}: {outcome}",
                    time::clock(c.created_at, zone)
                )
            })
            .collect();
        Ok(DailyCallView {
            recent,
            available: self.sms.is_some(),
            time: row
                .as_ref()
                .map(|r| r.call_at.format("%H:%M").to_string())
                .unwrap_or_default(),
            number: row.as_ref().map(|r| r.number.clone()).unwrap_or_default(),
            status: row.as_ref().map(status_words),
            waiting: row.as_ref().is_some_and(|r| r.confirmed_at.is_none()),
            mobile,
        })
    }

    /// "Call me every day at [time] on [number]". Her confirmed mobile needs
    /// no more; another number (a landline) is confirmed by a call asking her
    /// to press 1, and the daily calls start once she has.
    pub async fn save_daily_call(
        self,
        caller: &Caller,
        me: &Me,
        number: &str,
        at: &str,
    ) -> Result<(), AppError> {
        if self.sms.is_none() {
            return Err(AppError::invalid(rules::NO_CALLS));
        }
        let call_at = DeadlineTime::parse(at).map_err(AppError::invalid)?.0;
        let number = phone_rules::normalise_phone(number).map_err(AppError::invalid)?;
        if !phone_rules::country_allowed(&number, &self.settings.sms_countries) {
            return Err(AppError::invalid(
                "Pruuf can\u{2019}t call numbers in that country yet.",
            ));
        }
        let retry = self.settings.call_retry_minutes;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let schedule = checkin_store::schedule(&mut tx, me.user_id)
            .await?
            .ok_or_else(|| AppError::invalid(rules::NO_SCHEDULE_MESSAGE))?;
        let first = schedule
            .window_times
            .iter()
            .min()
            .copied()
            .unwrap_or(schedule.deadline);
        if !rules::fits_before(call_at, first, rules::DAILY_TRIES as u32, retry) {
            return Err(AppError::invalid(rules::BEFORE_CHECK_IN_MESSAGE));
        }
        let existing = store::daily_call(&mut tx, me.user_id).await?;
        let mobile = phone_store::phone_of(&mut tx, me.user_id)
            .await?
            .filter(|p| p.status == "verified")
            .map(|p| p.number);
        let confirmed_at = if mobile.as_deref() == Some(number.as_str()) {
            Some(now)
        } else {
            existing
                .as_ref()
                .filter(|r| r.number == number)
                .and_then(|r| r.confirmed_at)
        };
        if existing.as_ref().is_some_and(|r| r.number != number) {
            // A call still waiting rings the number she just replaced: no more.
            outbox::cancel_calls_to(&mut tx, me.user_id).await?;
        }
        let zone = zone_of(&schedule.time_zone);
        let next = next_call_after(call_at, zone, now);
        store::save(
            &mut tx,
            me.user_id,
            &number,
            call_at,
            retry as i16,
            confirmed_at,
            next,
            now,
        )
        .await?;
        if confirmed_at.is_none() {
            self.ask_to_confirm(&mut tx, me.user_id, &number, now)
                .await?;
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "daily_call.saved",
            &caller.ip,
            json!({ "at": call_at.format("%H:%M").to_string(), "confirmed": confirmed_at.is_some() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Calls her number again to confirm it (she missed the first call).
    pub async fn call_again(self, me: &Me) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let waiting = store::daily_call(&mut tx, me.user_id)
            .await?
            .filter(|r| r.confirmed_at.is_none())
            .ok_or_else(|| {
                AppError::invalid("There\u{2019}s no number waiting to be confirmed.")
            })?;
        self.ask_to_confirm(&mut tx, me.user_id, &waiting.number, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The call asking her to press 1 (at most three a day).
    async fn ask_to_confirm(
        self,
        tx: &mut PgConnection,
        member: Uuid,
        number: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        outbox::lock_recipient(tx, member, Kind::CallConfirm).await?;
        let asked =
            outbox::told_since(tx, member, Kind::CallConfirm, now - Duration::hours(24)).await?;
        if asked.len() >= rules::CONFIRM_CALLS_PER_DAY {
            return Err(AppError::Limited(rules::CONFIRM_CALLS_MESSAGE.into()));
        }
        notify::place_call(
            tx,
            member,
            Kind::CallConfirm,
            number,
            "A call to confirm your number",
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn stop_daily_call(self, caller: &Caller, me: &Me) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if store::stop(&mut tx, me.user_id).await? {
            outbox::cancel_calls_to(&mut tx, me.user_id).await?;
            crate::audit::record(
                &self.settings.audit_key,
                &mut tx,
                now,
                Some(me.user_id),
                "daily_call.stopped",
                &caller.ip,
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One pass of the daily calls: each due one is placed (written to the
    /// outbox), unless she has checked in or paused that day; its next call
    /// is moved at once (the retry after `retry_minutes`, or the next day's),
    /// so nothing waits on Twilio's answer. Returns the calls written.
    pub async fn place_due(self) -> Result<usize, sqlx::Error> {
        let mut placed = 0;
        loop {
            let now = self.clock.now();
            let mut tx = self.pool.begin().await?;
            let due = store::claim_due(&mut tx, now, PASS_BATCH).await?;
            let claimed = due.len();
            for d in due {
                let zone = zone_of(&d.time_zone);
                // The day this call is of (a second try past midnight is the
                // day before's), and when its first call is due in her zone
                // now: a time written before she moved zones (or changed her
                // zone while away) is read where it falls today, so a 9:00 AM
                // call never rings at 4:00 AM.
                let day = rules::call_day(d.call_at, zone, d.next_call_at);
                let due_at = if d.next_try <= 1 {
                    time::deadline_on(day, d.call_at, zone)
                } else {
                    d.next_call_at
                };
                // The next day's call: after this one, and not one whose time
                // passed too long ago to ring (the server was down).
                let worth = Duration::minutes(rules::STILL_WORTH_CALLING_MINUTES);
                let next_day = next_call_after(d.call_at, zone, due_at.max(now - worth));
                let stale = now - due_at > worth;
                let no_check_in_that_day = windows::times_on(
                    &checkin_store::windows_of(&d.window_times, &d.window_days),
                    day.weekday(),
                )
                .is_empty();
                if stale
                    || no_check_in_that_day
                    || store::no_call_needed(&mut tx, d.member_id, day).await?
                {
                    store::move_next(&mut tx, d.member_id, next_day, 1).await?;
                    continue;
                }
                notify::place_call(
                    &mut tx,
                    d.member_id,
                    Kind::DailyCall,
                    &d.number,
                    "Your daily check-in call",
                    now,
                )
                .await?;
                placed += 1;
                if d.next_try < d.tries {
                    let retry = now + Duration::minutes(i64::from(d.retry_minutes));
                    store::move_next(&mut tx, d.member_id, retry, d.next_try + 1).await?;
                } else {
                    store::move_next(&mut tx, d.member_id, next_day, 1).await?;
                }
            }
            tx.commit().await?;
            if (claimed as i64) < PASS_BATCH {
                return Ok(placed);
            }
        }
    }

    /// A call we placed was answered (Twilio asks what to say): by a person,
    /// the question; by a machine (`answered_by` "machine_…"), a short
    /// message and never a check-in.
    pub async fn answered(self, delivery: Uuid, answered_by: &str) -> String {
        match self.answered_within(delivery, answered_by).await {
            Ok(twiml) => twiml,
            Err(e) => {
                tracing::warn!(error = %e, "an answered call could not be read; the call ends");
                twiml::say_and_hang_up(SORRY)
            }
        }
    }

    async fn answered_within(
        self,
        delivery: Uuid,
        answered_by: &str,
    ) -> Result<String, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let Some(call) = outbox::placed_call(&mut conn, delivery)
            .await?
            .filter(|c| c.is_live(self.clock.now()))
        else {
            return Ok(twiml::say_and_hang_up(NOT_NEEDED));
        };
        let machine = rules::call_outcome("in-progress", answered_by) == Some("machine");
        let outcome = if machine { "machine" } else { "answered" };
        outbox::record_call_status_of(&mut conn, delivery, outcome).await?;
        let keys = format!(
            "{}{CALL_PATH}{delivery}/keys",
            self.settings.public_url.trim_end_matches('/')
        );
        Ok(match call.kind {
            Kind::DailyCall => {
                let name = self.own_name(&mut conn, call.member_id).await?;
                if self.checked_in_today(&mut conn, call.member_id).await? {
                    // She checked in while the call was on its way.
                    twiml::say_and_hang_up(&format!(
                        "Hello {name}, this is Pruuf. You\u{2019}ve already checked in today. Thank you, and have a lovely day."
                    ))
                } else if machine {
                    twiml::voicemail(&name)
                } else {
                    twiml::daily_call(&name, &keys)
                }
            }
            Kind::CallConfirm if machine => twiml::say_and_hang_up(
                "Hello, this is Pruuf, calling to confirm this number for daily check-in calls. Please answer when we call again, or ask for another call in Pruuf. Goodbye.",
            ),
            Kind::CallConfirm => twiml::confirm_number(&keys),
            Kind::Missed | Kind::MissedAgain => {
                drop(conn);
                let Some(alert) = Alerts(self.0).call_state(delivery).await? else {
                    return Ok(twiml::say_and_hang_up(NOT_NEEDED));
                };
                let name = alert.name;
                match alert.state {
                    AlertCallState::Open if machine => twiml::say_and_hang_up(&format!(
                        "This is Pruuf. {name} has not checked in today. Please open Pruuf to see the alert. Goodbye."
                    )),
                    AlertCallState::Open => twiml::missed_alert(&name, &keys),
                    AlertCallState::CheckedIn => twiml::say_and_hang_up(&format!(
                        "This is Pruuf. Good news: {name} has checked in. All is well. Goodbye."
                    )),
                    AlertCallState::Closed => twiml::say_and_hang_up(&format!(
                        "This is Pruuf. The alert about {name} has been closed. Goodbye."
                    )),
                    AlertCallState::OnIt(who) => twiml::say_and_hang_up(&format!(
                        "This is Pruuf. {} checking on {name}. Goodbye.",
                        who.map(|w| format!("{w} is"))
                            .unwrap_or_else(|| "You said you\u{2019}re".into())
                    )),
                }
            }
            _ => twiml::say_and_hang_up(NOT_NEEDED),
        })
    }

    /// The keys pressed on a call we placed.
    pub async fn keys(self, delivery: Uuid, digits: &str) -> String {
        match self.keys_within(delivery, digits).await {
            Ok(twiml) => twiml,
            Err(e) => {
                tracing::warn!(error = %e, "the keys of a call could not be taken");
                twiml::say_and_hang_up(SORRY)
            }
        }
    }

    async fn keys_within(self, delivery: Uuid, digits: &str) -> Result<String, AppError> {
        let mut conn = self.pool.acquire().await?;
        let Some(call) = outbox::placed_call(&mut conn, delivery)
            .await?
            .filter(|c| c.is_live(self.clock.now()))
        else {
            // Not a call of ours, or one long over (a replayed request).
            return Ok(twiml::say_and_hang_up(NOT_NEEDED));
        };
        let any_key = call.kind == Kind::DailyCall;
        let keys = Keys::read(digits, any_key);
        if keys == Keys::Yes {
            outbox::record_call_status_of(&mut conn, delivery, "pressed").await?;
        }
        Ok(match (call.kind, keys) {
            (_, Keys::None) => twiml::say_and_hang_up("We didn\u{2019}t hear a key. Goodbye."),
            (Kind::DailyCall, _) => {
                let name = self.own_name(&mut conn, call.member_id).await?;
                drop(conn);
                self.checked_in_by_call(&call, &name).await?
            }
            (Kind::CallConfirm, Keys::Yes) => {
                drop(conn);
                self.confirmed_by_call(&call).await?
            }
            (Kind::CallConfirm, _) => twiml::say_and_hang_up(
                "This number is not confirmed. You can ask for another call in Pruuf. Goodbye.",
            ),
            (Kind::Missed | Kind::MissedAgain, Keys::Yes) => {
                drop(conn);
                match Alerts(self.0).on_it_by_call(delivery).await? {
                    OnItByText::Done { member } => twiml::say_and_hang_up(&format!(
                        "Thank you. We\u{2019}ve told the others you\u{2019}re checking on {member}. Goodbye."
                    )),
                    OnItByText::Already { member, who: Some(who) } => twiml::say_and_hang_up(
                        &format!("{who} is already checking on {member}. Thank you. Goodbye."),
                    ),
                    OnItByText::Already { .. } => twiml::say_and_hang_up(
                        "You\u{2019}re already on it. Thank you. Goodbye.",
                    ),
                    OnItByText::NoAlert => twiml::say_and_hang_up(
                        "This alert is over: all is well, or it was closed. Goodbye.",
                    ),
                }
            }
            (Kind::Missed | Kind::MissedAgain, _) => {
                twiml::say_and_hang_up("Please open Pruuf to see the alert. Goodbye.")
            }
            _ => twiml::say_and_hang_up(NOT_NEEDED),
        })
    }

    /// Her key on the daily call: the same check-in as her button (server
    /// time, the same rules), and no more calls today.
    async fn checked_in_by_call(self, call: &PlacedCall, name: &str) -> Result<String, AppError> {
        let member = call.member_id;
        let words = match CheckIns(self.0).check_in(member, Source::Phone).await {
            Ok(done) if done.already => format!(
                "You\u{2019}ve already checked in today, {name}. Thank you. Have a lovely day."
            ),
            Ok(_) => {
                self.no_more_calls_today(member).await?;
                return Ok(twiml::thank_you(name));
            }
            Err(AppError::Invalid(_)) => {
                format!("Thank you, {name}. There\u{2019}s no check-in to make today. Goodbye.")
            }
            Err(e) => return Err(e),
        };
        self.no_more_calls_today(member).await?;
        Ok(twiml::say_and_hang_up(&words))
    }

    async fn no_more_calls_today(self, member: Uuid) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if let (Some(row), Some(schedule)) = (
            store::daily_call(&mut tx, member).await?,
            checkin_store::schedule(&mut tx, member).await?,
        ) {
            let zone = zone_of(&schedule.time_zone);
            let day = time::local_day(now, zone);
            let end_of_today = time::deadline_on(day, row.call_at, zone).max(now);
            store::move_next(
                &mut tx,
                member,
                next_call_after(row.call_at, zone, end_of_today),
                1,
            )
            .await?;
        }
        tx.commit().await
    }

    /// "1" on the confirmation call: her number is confirmed; the daily calls
    /// start at the next call time.
    async fn confirmed_by_call(self, call: &PlacedCall) -> Result<String, AppError> {
        let now = self.clock.now();
        let member = call.member_id;
        let mut tx = self.pool.begin().await?;
        let Some(row) = store::daily_call(&mut tx, member).await? else {
            return Ok(twiml::say_and_hang_up(NOT_NEEDED));
        };
        // The number this call rang (a call written before the number rode on
        // it: hers now).
        let called = call.number.as_deref().unwrap_or(&row.number);
        if called != row.number {
            return Ok(twiml::say_and_hang_up(
                "This number has been changed in Pruuf since we called, so it is not confirmed. Goodbye.",
            ));
        }
        if store::confirm(&mut tx, member, called, now).await? {
            if let Some(schedule) = checkin_store::schedule(&mut tx, member).await? {
                let zone = zone_of(&schedule.time_zone);
                store::move_next(&mut tx, member, next_call_after(row.call_at, zone, now), 1)
                    .await?;
            }
            crate::audit::record(
                &self.settings.audit_key,
                &mut tx,
                now,
                Some(member),
                "daily_call.confirmed",
                "twilio",
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(twiml::say_and_hang_up(&format!(
            "Thank you. This number is confirmed. We\u{2019}ll call you every day at {}. Goodbye.",
            row.call_at.format("%-I:%M %p")
        )))
    }

    /// How a call we placed ended (Twilio's status callback): kept on its
    /// delivery, for the trail.
    pub async fn status(
        self,
        call_sid: &str,
        call_status: &str,
        answered_by: &str,
    ) -> Result<(), sqlx::Error> {
        let Some(outcome) = rules::call_outcome(call_status, answered_by) else {
            return Ok(());
        };
        let mut conn = self.pool.acquire().await?;
        if outbox::record_call_status(&mut conn, call_sid, outcome)
            .await?
            .is_none()
        {
            tracing::info!("a call status for a call that is not ours was ignored");
        }
        Ok(())
    }

    /// She has checked in today (her check-ins' zone), or paused it.
    async fn checked_in_today(
        self,
        conn: &mut PgConnection,
        member: Uuid,
    ) -> Result<bool, sqlx::Error> {
        let Some(schedule) = checkin_store::schedule(&mut *conn, member).await? else {
            return Ok(false);
        };
        let day = time::local_day(self.clock.now(), zone_of(&schedule.time_zone));
        store::no_call_needed(conn, member, day).await
    }

    async fn own_name(self, conn: &mut PgConnection, member: Uuid) -> Result<String, sqlx::Error> {
        Ok(phone_store::own_name(conn, member)
            .await?
            .unwrap_or_else(|| "there".into()))
    }

    /// A Contact's choice to be called about a missed check-in.
    pub async fn call_alerts_view(self, me: &Me) -> Result<CallAlertsView, AppError> {
        let mut conn = self.pool.acquire().await?;
        Ok(CallAlertsView {
            available: self.sms.is_some(),
            on: store::call_alerts(&mut conn, me.user_id).await?,
            number: phone_store::phone_of(&mut conn, me.user_id)
                .await?
                .filter(|p| p.status == "verified")
                .map(|p| spoken_number(&p.number)),
        })
    }

    pub async fn set_call_alerts(self, caller: &Caller, me: &Me, on: bool) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let confirmed = phone_store::phone_of(&mut tx, me.user_id)
            .await?
            .is_some_and(|p| p.status == "verified");
        if on && !confirmed {
            return Err(AppError::invalid(rules::NEED_MOBILE));
        }
        store::set_call_alerts(&mut tx, me.user_id, on).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "call_alerts.set",
            &caller.ip,
            json!({ "on": on }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

const SORRY: &str = "Sorry, something went wrong. Please open Pruuf. Goodbye.";
const NOT_NEEDED: &str = "This is Pruuf. This call is no longer needed. Goodbye.";
