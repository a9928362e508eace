//! Mobile numbers and text messages (server only): adding a number and
//! confirming it by "YES", STOP / START / HELP, checking in by "OK", Twilio's
//! status callbacks, and the one reminder to reply YES.
use super::rules::{self, PhoneStatus, Reply};
use super::store;
use crate::accounts::service::Me;
use crate::alerts::helper_service::HelperReply;
use crate::alerts::service::{Alerts, OnItByText};
use crate::checkin::service::{CheckIns, Source};
use crate::checkin::store as checkin_store;
use crate::error::AppError;
use crate::notify::inbox;
use crate::notify::outbox;
use crate::notify::Channel;
use crate::notify::Kind;
use crate::notify::{self, sms, Message};
use crate::services::Caller;
use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

pub const HELP: &str = "Pruuf: daily check-ins for family. Reply OK to check in, STOP to stop texts, START to have them again.";
const VERIFY: &str = "Pruuf: reply YES to confirm this number for Pruuf. Reply STOP to opt out.";
const VERIFY_AGAIN: &str =
    "Pruuf: we still need your YES to confirm this number. Reply YES to confirm, or STOP to opt out.";
const CONFIRMED: &str = "Thanks! This number is confirmed for Pruuf.";
/// "Thanks, Mum - your family has been told you're OK." (the name their family
/// uses for them, as typed: O'Brien, José).
fn checked_in_words(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("Thanks, {n} - your family has been told you're OK."),
        None => "Thanks - your family has been told you're OK.".to_string(),
    }
}
const YES_FIRST: &str = "Please reply YES first to confirm this number for Pruuf.";
const NO_CHECKIN: &str = "You don't have a daily check-in with Pruuf. Reply HELP for help.";
const NOT_UNDERSTOOD: &str = "Sorry, we didn't understand. Reply OK to check in, or HELP for help.";
const NO_ALERT: &str =
    "Pruuf: there's no alert waiting for you. Open the app to see how everyone is.";
const STARTED: &str = "You'll get texts from Pruuf again. Reply STOP to stop them.";

crate::services::facade! {
    /// Mobile numbers, texts in and Twilio's callbacks.
    Phones
}

/// What a call to Pruuf's number with a PIN did (issue 23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallIn {
    /// Checked in; `name`: what she is called ("Mary").
    CheckedIn { name: String },
    /// Today's check-in was made already.
    Already { name: String },
    /// A wrong PIN (counted towards the lockout like any other).
    WrongPin,
    /// Too many wrong PINs: PIN check-ins are paused for a while.
    Locked,
    /// No check-in today, or no schedule: nothing to do.
    NothingToDo,
    /// The calling number is no one's confirmed number.
    UnknownCaller,
}

impl Phones<'_> {
    /// Calling in (issue 23): the caller's number must be a Member's confirmed
    /// one, and the keys her PIN (caller ID alone can be forged); a wrong PIN
    /// climbs her account's lockout ladder as on the log-in page.
    pub async fn call_in(
        self,
        caller: &Caller,
        from: &str,
        keys: &str,
    ) -> Result<CallIn, AppError> {
        let Ok(number) = rules::normalise_phone(from) else {
            return Ok(CallIn::UnknownCaller);
        };
        let mut tx = self.pool.begin().await?;
        let phone = store::phone_by_number(&mut tx, &number).await?;
        tx.commit().await?;
        let Some(phone) =
            phone.filter(|p| PhoneStatus::parse(&p.status) == Some(PhoneStatus::Verified))
        else {
            tracing::info!(number = %sms::masked(&number), "a call from a number no one has confirmed");
            return Ok(CallIn::UnknownCaller);
        };
        // Fewer than four keys (she waited too long) is no PIN: not counted.
        let Ok(pin) = crate::validation::Pin::parse(keys) else {
            return Ok(CallIn::WrongPin);
        };
        match crate::accounts::service::Accounts(self.0)
            .pin_by_phone(caller, phone.user_id, &pin)
            .await?
        {
            Ok(()) => {}
            Err(AppError::Limited(_)) => return Ok(CallIn::Locked),
            Err(_) => return Ok(CallIn::WrongPin),
        }
        let mut conn = self.pool.acquire().await?;
        let name = store::own_name(&mut conn, phone.user_id)
            .await?
            .unwrap_or_else(|| "there".into());
        drop(conn);
        match CheckIns(self.0)
            .check_in(phone.user_id, Source::Phone)
            .await
        {
            Ok(done) if done.already => Ok(CallIn::Already { name }),
            Ok(_) => Ok(CallIn::CheckedIn { name }),
            Err(AppError::Invalid(_)) => Ok(CallIn::NothingToDo),
            Err(e) => Err(e),
        }
    }

    /// Writes one text to `user` into the outbox (the SMS worker sends it).
    async fn text(
        self,
        tx: &mut sqlx::PgConnection,
        user: Uuid,
        kind: Kind,
        body: &str,
    ) -> Result<(), sqlx::Error> {
        notify::tell(
            tx,
            &[Message {
                to: user,
                member: user,
                miss: None,
                kind,
                title: String::new(),
                body: body.to_string(),
                link: String::new(),
                channels: vec![Channel::Sms],
                in_app: false,
                check_in: None,
            }],
            self.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// Sets `me`'s mobile number and texts it for a YES.
    pub async fn add_phone(
        self,
        caller: &Caller,
        me: &Me,
        raw: &str,
        sms_reminders: bool,
    ) -> Result<(), AppError> {
        if self.sms.is_none() {
            return Err(AppError::invalid(rules::NO_SMS));
        }
        let number = rules::normalise_phone(raw).map_err(AppError::invalid)?;
        if !rules::country_allowed(&number, &self.settings.sms_countries) {
            return Err(AppError::invalid(rules::COUNTRY_MESSAGE));
        }
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let held = match store::set_phone(
            &mut tx,
            me.user_id,
            &number,
            sms_reminders,
            now,
            now - rules::PENDING_EXPIRES,
        )
        .await?
        {
            store::SetPhone::AlreadyConfirmed => {
                // Already confirmed: nothing reset, no text.
                tx.commit().await?;
                return Ok(());
            }
            store::SetPhone::Saved => false,
            // Someone else holds it: the answer, the limits and what the page
            // shows are the same as for any number, so nobody learns from it
            // whether a number uses Pruuf; it is just never texted or confirmed.
            store::SetPhone::Held => true,
        };
        let (mine, theirs) = store::verify_texts(
            &mut tx,
            me.user_id,
            &number,
            now - rules::VERIFY_TEXTS_PER_PERSON.per,
        )
        .await?;
        let limited = rules::VERIFY_TEXTS_PER_PERSON
            .check(now, &mine)
            .and_then(|()| rules::VERIFY_TEXTS_PER_NUMBER.check(now, &theirs));
        if let Err(at) = limited {
            // Dropping the transaction undoes the number's change too.
            return Err(AppError::Limited(crate::limits::refusal(
                "We have sent as many confirmation texts as we can today.",
                now,
                at,
            ))
            .with_status());
        }
        store::record_verify_text(&mut tx, me.user_id, &number, now).await?;
        if !held {
            self.text(&mut tx, me.user_id, Kind::SmsVerify, VERIFY)
                .await?;
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "phone.added",
            &caller.ip,
            json!({ "number": sms::masked(&number), "held_by_another": held }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_phone(self, caller: &Caller, me: &Me) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        store::remove_phone(&mut tx, me.user_id).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "phone.removed",
            &caller.ip,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_sms_reminders(self, me: &Me, on: bool) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await?;
        store::set_reminders(&mut conn, me.user_id, on).await?;
        Ok(())
    }

    pub async fn phone_view(self, me: &Me) -> Result<rules::PhoneView, AppError> {
        let mut conn = self.pool.acquire().await?;
        let phone = store::phone_of(&mut conn, me.user_id).await?;
        let is_member = checkin_store::schedule(&mut conn, me.user_id)
            .await?
            .is_some();
        Ok(rules::PhoneView {
            available: self.sms.is_some(),
            number: phone.as_ref().map(|p| p.number.clone()),
            status: phone.as_ref().and_then(|p| PhoneStatus::parse(&p.status)),
            sms_reminders: phone.as_ref().is_some_and(|p| p.sms_reminders),
            is_member,
        })
    }

    /// A text to our number (Twilio's inbound webhook, signature already checked).
    /// Returns the reply to send, if any. A message id seen before changes nothing.
    pub async fn sms_inbound(
        self,
        from: &str,
        body: &str,
        message_sid: &str,
    ) -> Result<Option<String>, AppError> {
        let Ok(number) = rules::normalise_phone(from) else {
            tracing::info!("a text from a number that could not be read was ignored");
            return Ok(None);
        };
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if message_sid.is_empty() || !store::first_time(&mut tx, message_sid, now).await? {
            return Ok(None);
        }
        let reply = rules::read_reply(body);
        let Some(phone) = store::phone_by_number(&mut tx, &number).await? else {
            // A helper without an account (a neighbour on someone's list)?
            let answer = match Alerts(self.0).helper_reply(&mut tx, &number, reply).await? {
                HelperReply::Answer(answer) => answer,
                HelperReply::NotAHelper => {
                    tracing::info!(number = %sms::masked(&number), "a text from a number no one has was ignored");
                    None
                }
            };
            tx.commit().await?;
            return Ok(answer);
        };
        let user = phone.user_id;
        let status = PhoneStatus::parse(&phone.status);
        // A YES to our asking them to help a neighbour is that, whoever the
        // number's owner is on Pruuf.
        if reply == Reply::Yes
            && status != Some(PhoneStatus::Pending)
            && Alerts(self.0).helper_waiting(&mut tx, &number).await?
        {
            let answer = match Alerts(self.0).helper_reply(&mut tx, &number, reply).await? {
                HelperReply::Answer(answer) => answer,
                HelperReply::NotAHelper => None,
            };
            tx.commit().await?;
            return Ok(answer);
        }
        let answer = match (reply, status) {
            (Reply::Stop, _) => {
                store::set_status(&mut tx, user, PhoneStatus::OptedOut.as_str(), now).await?;
                sms::number_stopped(&mut tx, user, &number, self.clock.now()).await?;
                // Nor is the number texted as anyone's helper.
                Alerts(self.0).helper_reply(&mut tx, &number, reply).await?;
                // Twilio answers STOP itself; we add nothing.
                None
            }
            (_, Some(PhoneStatus::OptedOut)) if reply != Reply::Start => None,
            (Reply::Start, _) => {
                store::restart(&mut tx, user).await?;
                Some(STARTED.to_string())
            }
            (Reply::Help, _) => Some(HELP.to_string()),
            (Reply::Yes, Some(PhoneStatus::Pending)) => {
                store::set_status(&mut tx, user, PhoneStatus::Verified.as_str(), now).await?;
                inbox::add(
                    &mut tx,
                    &inbox::NewNotification {
                        user,
                        kind: Kind::PhoneVerified,
                        about: None,
                        body: "Your mobile number is confirmed. Texts from Pruuf come to it now.",
                        link: Some("/settings/alerts"),
                    },
                    now,
                )
                .await?;
                Some(CONFIRMED.to_string())
            }
            (Reply::OnIt, Some(PhoneStatus::Verified)) => Some(
                match Alerts(self.0).on_it_by_text(&mut tx, user).await? {
                    OnItByText::Done { member } => format!(
                        "Thank you. We've told the others you're on it, and we won't alert them again about {member}."
                    ),
                    OnItByText::Already { member, who: None } => {
                        format!("You're already on it for {member}. Thank you.")
                    }
                    OnItByText::Already { member, who: Some(who) } => {
                        format!("{who} is already on it for {member}. Thank you.")
                    }
                    // Perhaps as a neighbour on someone's list.
                    OnItByText::NoAlert => {
                        match Alerts(self.0).helper_reply(&mut tx, &number, reply).await? {
                            HelperReply::Answer(Some(a)) => a,
                            _ => NO_ALERT.to_string(),
                        }
                    }
                },
            ),
            (Reply::CheckIn, Some(PhoneStatus::Pending)) => Some(YES_FIRST.to_string()),
            (Reply::CheckIn | Reply::Yes, Some(PhoneStatus::Verified)) => {
                // In the transaction that records the message id: if the check-in
                // fails, the id stays unseen and Twilio's retry checks in.
                Some(
                    match CheckIns(self.0)
                        .check_in_within(&mut tx, user, Source::Sms)
                        .await
                    {
                        Ok(done) if done.already => format!(
                            "You already checked in today at {}. Your family knows you're OK.",
                            done.at
                        ),
                        Ok(_) => {
                            let family = checkin_store::contacts_of(&mut tx, user).await?;
                            checked_in_words(family.first().map(|c| c.member_name.as_str()))
                        }
                        Err(AppError::Invalid(_)) => NO_CHECKIN.to_string(),
                        Err(e) => return Err(e),
                    },
                )
            }
            _ => Some(NOT_UNDERSTOOD.to_string()),
        };
        tx.commit().await?;
        Ok(answer)
    }

    /// Twilio's status callback (signature already checked): records delivered or
    /// failed on the delivery. An id we never sent is logged and ignored.
    pub async fn sms_status(
        self,
        message_sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Result<(), AppError> {
        let status: String = status
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(20)
            .collect();
        let error = error_code
            .filter(|c| !c.is_empty() && c.chars().all(|d| d.is_ascii_digit()) && c.len() <= 6)
            .map(|c| format!("Twilio reported {status} (error {c})"));
        let found =
            outbox::record_provider_status(&self.pool, message_sid, &status, error.as_deref())
                .await?;
        if found.is_none() {
            tracing::info!("a Twilio status for a message we do not know was ignored");
        }
        Ok(())
    }

    /// The one reminder to reply YES, a day after the first text.
    pub async fn verify_reminders(self) -> Result<usize, sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let due =
            store::claim_verify_reminders(&mut tx, now - Duration::hours(24), now, 200).await?;
        for (user, _) in &due {
            self.text(&mut tx, *user, Kind::SmsVerify, VERIFY_AGAIN)
                .await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}
