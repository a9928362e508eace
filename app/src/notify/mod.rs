//! Telling a person something (SPEC §6), in one place: the in-app inbox, the
//! outbox every email, push and text goes through, the channel senders, and one
//! email layout. Every domain that tells someone anything calls down into here;
//! nothing here calls up into a domain.
//! - `rules`: pure (leases, how many sends at once and for how long, backoff,
//!   reading a provider's answer, each mail's button);
//! - `inbox`, `outbox` (server only): all the `notifications` and `deliveries` SQL;
//! - `worker` (server only): the delivery workers;
//! - `email` + `smtp`, `push`, `sms` + `twilio`, `call` + `twilio` (server
//!   only): the transports.
#[cfg(feature = "ssr")]
pub mod call;
#[cfg(feature = "ssr")]
pub mod email;
#[cfg(feature = "ssr")]
pub mod inbox;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod push;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod sms;
#[cfg(feature = "ssr")]
pub mod smtp;
#[cfg(feature = "ssr")]
pub mod twilio;
#[cfg(feature = "ssr")]
pub mod worker;

/// Where an alert email's "I'm on it" link leads: `/answer/<delivery id>?t=<signature>`.
pub const ANSWER_PATH: &str = "/answer/";
/// Where an alert notification's "I'm on it" button posts (a fixed path, so a
/// notification shown before a deploy still answers after it).
pub const ANSWER_PUSH_PATH: &str = "/api/answer_by_push";

/// One thing to tell one person: in the app (their Notifications list) and by
/// each of `channels` (the workers send those).
#[cfg(feature = "ssr")]
pub struct Message {
    pub to: uuid::Uuid,
    /// The Member it is about (the person themselves for their own notices).
    pub member: uuid::Uuid,
    /// The miss it is about, for alerts and their updates.
    pub miss: Option<uuid::Uuid>,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// A path in Pruuf, e.g. `/alerts/<id>`.
    pub link: String,
    pub channels: Vec<Channel>,
    /// Also in their Notifications list (false: only by the channels).
    pub in_app: bool,
    /// A reminder's "I'm OK" button on the push message.
    pub check_in: Option<CheckInButton>,
}

/// The one way any domain tells people things: writes each message's
/// notification and its deliveries, in the caller's transaction (so a message
/// exists only if what it tells of happened). Returns the deliveries written.
#[cfg(feature = "ssr")]
pub async fn tell(
    tx: &mut sqlx::PgConnection,
    messages: &[Message],
    now: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<usize> {
    let mut deliveries = Vec::new();
    let mut notes = Vec::new();
    for m in messages {
        let payload = Payload {
            title: m.title.clone(),
            body: m.body.clone(),
            link: m.link.clone(),
            check_in: m.check_in.clone(),
            number: None,
        };
        for &channel in &m.channels {
            deliveries.push(outbox::NewDelivery {
                recipient: m.to,
                member: m.member,
                miss: m.miss,
                kind: m.kind,
                channel,
                payload: payload.clone(),
            });
        }
        if m.in_app {
            notes.push(inbox::NewNotification {
                user: m.to,
                kind: m.kind,
                about: (m.member != m.to).then_some(m.member),
                body: &m.body,
                link: Some(&m.link),
            });
        }
    }
    outbox::insert_deliveries(tx, &deliveries, now).await?;
    inbox::add_many(tx, &notes, now).await?;
    Ok(deliveries.len())
}

/// Places one call to a Member's own number (her daily check-in call, or the
/// call confirming its number), in the caller's transaction like [`tell`]:
/// the number rides on the delivery, so the call rings the number she had
/// when it was written, and what she presses on it is about that number.
#[cfg(feature = "ssr")]
pub async fn place_call(
    tx: &mut sqlx::PgConnection,
    member: uuid::Uuid,
    kind: Kind,
    number: &str,
    title: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<()> {
    outbox::insert_delivery(
        tx,
        &outbox::NewDelivery {
            recipient: member,
            member,
            miss: None,
            kind,
            channel: Channel::Call,
            payload: Payload {
                title: title.to_string(),
                number: Some(number.to_string()),
                ..Payload::default()
            },
        },
        now,
    )
    .await
}

/// Texts helpers without an account (a neighbour on a Member's list: no inbox,
/// email or push), in the caller's transaction like [`tell`].
#[cfg(feature = "ssr")]
pub async fn text_helpers(
    tx: &mut sqlx::PgConnection,
    texts: &[outbox::HelperText],
    now: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<usize> {
    outbox::insert_helper_texts(tx, texts, now).await?;
    Ok(texts.len())
}

/// A way to reach a person outside the app. Stored as text in
/// `deliveries.channel` (checked there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Push,
    Sms,
    /// A phone call (issue 23): a Member's daily check-in call, confirming her
    /// number for it, and alerts for a Contact who chose to be called.
    Call,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Push, Channel::Sms, Channel::Call];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Call => "call",
        }
    }

    /// Carries the news that follows an alert ("Tom is on it", "she checked
    /// in"): every channel but a call, which rings for the alert only (the
    /// Contact called also has it by email, and by text or push if they have them).
    pub fn carries_updates(self) -> bool {
        self != Channel::Call
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channels that can reach a person: email always (every account has an
    /// address), push with a subscribed browser, texts with a confirmed number.
    /// A delivery by any other would only ever fail. Calls are never implied:
    /// a person chooses them (see `alerts`).
    pub fn reachable(push_devices: i64, sms_ok: bool) -> impl Iterator<Item = Channel> {
        Channel::ALL.into_iter().filter(move |c| match c {
            Channel::Email => true,
            Channel::Push => push_devices > 0,
            Channel::Sms => sms_ok,
            Channel::Call => false,
        })
    }
}

/// Declares [`Kind`] with each kind's stored name, once.
macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// What a message is about. Stored as text in `deliveries.kind` and
        /// `notifications.kind` (both checked against this list).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum Kind {
            $($(#[$doc])* #[serde(rename = $text)] $name,)*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$name,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$name => $text,)*
                }
            }
        }
    };
}

kinds! {
    /// A Member missed their check-in: to each Contact.
    Missed = "missed",
    /// Nobody said "I'm on it" within 30 minutes: to each Contact again.
    MissedAgain = "missed_again",
    /// The Member checked in after the alert went out.
    LateUpdate = "late_update",
    /// "We could not reach Tom": to the other Contacts.
    Unreachable = "unreachable",
    /// "Time to check in", to the Member.
    Reminder = "reminder",
    /// "Send me a test alert".
    Test = "test",
    /// A Contact said "I'm on it".
    Acknowledged = "acknowledged",
    /// A Contact closed an alert, saying what happened.
    AlertClosed = "alert_closed",
    /// A quiet confirmation of a check-in on time, or a late one.
    CheckedIn = "checked_in",
    CheckedInLate = "checked_in_late",
    ScheduleChanged = "schedule_changed",
    Paused = "paused",
    PauseEnded = "pause_ended",
    /// The text asking a number's owner to reply YES.
    SmsVerify = "sms_verify",
    /// The one text asking a neighbour to be a helper without an account.
    HelperAsk = "helper_ask",
    /// Monday's summary of each Member's week, to a Contact.
    WeeklySummary = "weekly_summary",
    /// A Member's daily check-in call ("press 1 if all is well").
    DailyCall = "daily_call",
    /// The call confirming the number for her daily call ("press 1 to confirm").
    CallConfirm = "call_confirm",
    PhoneVerified = "phone_verified",
    SmsStopped = "sms_stopped",
    BillingTrialStarted = "billing_trial_started",
    BillingPaid = "billing_paid",
    BillingPaymentFailed = "billing_payment_failed",
    BillingFrozen = "billing_frozen",
    BillingDisputed = "billing_disputed",
    BillingNowFree = "billing_now_free",
    BillingCanceled = "billing_canceled",
    BillingResumed = "billing_resumed",
    BillingWarning = "billing_warning",
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// An alert about a missed check-in: never given up on while the miss is open.
    pub fn is_alert(self) -> bool {
        matches!(self, Kind::Missed | Kind::MissedAgain)
    }

    /// Sent before everything else (`deliveries.priority` is 0, generated from
    /// the kind by the database with this same list).
    pub fn is_urgent(self) -> bool {
        matches!(
            self,
            Kind::Missed | Kind::MissedAgain | Kind::LateUpdate | Kind::Unreachable
        )
    }

    /// The words on a message's button.
    pub fn action_words(self) -> &'static str {
        match self {
            Kind::Missed | Kind::MissedAgain | Kind::Unreachable | Kind::Test => "I\u{2019}m on it",
            Kind::Reminder => "Check in now",
            _ => "See the details",
        }
    }

    /// May wait for the end of the recipient's quiet hours: confirmations and
    /// notices. Alerts, their updates, reminders and answers to what the person
    /// just did never wait.
    pub fn waits_for_quiet_hours(self) -> bool {
        matches!(
            self,
            Kind::CheckedIn
                | Kind::CheckedInLate
                | Kind::WeeklySummary
                | Kind::ScheduleChanged
                | Kind::Paused
                | Kind::PauseEnded
                | Kind::BillingTrialStarted
                | Kind::BillingPaid
                | Kind::BillingPaymentFailed
                | Kind::BillingFrozen
                | Kind::BillingDisputed
                | Kind::BillingNowFree
                | Kind::BillingCanceled
                | Kind::BillingResumed
                | Kind::BillingWarning
        )
    }

    /// A quiet confirmation the Contact asked for (their mail says how to stop it).
    pub fn is_confirmation(self) -> bool {
        matches!(self, Kind::CheckedIn | Kind::CheckedInLate)
    }
}

/// What a delivery carries (`deliveries.payload`, JSON): the words and the link,
/// and for a reminder's push, its "I'm OK" button.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payload {
    pub title: String,
    pub body: String,
    /// A path in Pruuf, e.g. `/alerts/<id>`; empty for none.
    pub link: String,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<CheckInButton>,
    /// For a daily check-in call or the call confirming its number: the number
    /// it rings, fixed when it is written (she may change hers meanwhile; a 1
    /// pressed on it confirms this number, never a later one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

/// A reminder's "I'm OK": which reminder (its token is made from this id and the
/// server's key when the push is sent, so no token is stored) and where the
/// service worker posts it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckInButton {
    pub reminder: uuid::Uuid,
    #[serde(rename = "checkin")]
    pub path: String,
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Kind` and `Channel` are stored as text and read back strictly: a name not
/// in the list is an error, never a silent default.
#[cfg(feature = "ssr")]
mod stored_as_text {
    use super::{Channel, Kind};
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
    use sqlx::Postgres;

    macro_rules! text_enum {
        ($t:ident) => {
            impl sqlx::Type<Postgres> for $t {
                fn type_info() -> PgTypeInfo {
                    <&str as sqlx::Type<Postgres>>::type_info()
                }
                fn compatible(ty: &PgTypeInfo) -> bool {
                    <&str as sqlx::Type<Postgres>>::compatible(ty)
                }
            }

            impl sqlx::Encode<'_, Postgres> for $t {
                fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                    <&str as sqlx::Encode<Postgres>>::encode_by_ref(&self.as_str(), buf)
                }
            }

            impl<'r> sqlx::Decode<'r, Postgres> for $t {
                fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                    let text = <&str as sqlx::Decode<Postgres>>::decode(value)?;
                    $t::parse(text)
                        .ok_or_else(|| format!("not a {}: {text}", stringify!($t)).into())
                }
            }
        };
    }

    text_enum!(Kind);
    text_enum!(Channel);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_kinds_read_back_from_their_stored_names() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert_eq!(Channel::parse("fax"), None);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert_eq!(
                serde_json::to_string(k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(Kind::parse("Missed"), None);
    }

    #[test]
    fn the_urgent_kinds_are_the_ones_the_database_puts_first() {
        // deliveries.priority is generated by the database from this list
        // (migration 20261203000003; the kinds are checked by 20261203000006).
        let urgent: Vec<&str> = Kind::ALL
            .iter()
            .filter(|k| k.is_urgent())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            urgent,
            ["missed", "missed_again", "late_update", "unreachable"]
        );
        assert!(Kind::ALL
            .iter()
            .filter(|k| k.is_alert())
            .all(|k| k.is_urgent()));
    }

    #[test]
    fn a_payload_reads_the_rows_written_before_it_was_typed() {
        let id = uuid::Uuid::new_v4();
        let reminder: Payload = serde_json::from_str(&format!(
            r#"{{"title":"Time to check in","body":"Tap","link":"/home","reminder":"{id}","checkin":"/api/reminder_check_in"}}"#,
        ))
        .unwrap();
        assert_eq!(
            reminder.check_in,
            Some(CheckInButton {
                reminder: id,
                path: "/api/reminder_check_in".into()
            })
        );
        let plain: Payload = serde_json::from_str(r#"{"title":"T","body":"B","link":""}"#).unwrap();
        assert_eq!(plain.check_in, None);
        // A row from before tokens were derived had its token removed by the
        // migration: it reads as a plain reminder, not an error.
        let scrubbed: Payload = serde_json::from_str(
            r#"{"title":"Time to check in","body":"Tap","link":"/home","checkin":"/api/reminder_check_in"}"#,
        )
        .unwrap();
        assert_eq!(scrubbed.check_in, None);
        let written = serde_json::to_value(&reminder).unwrap();
        assert_eq!(written["reminder"], serde_json::json!(id.to_string()));
        assert!(written.get("token").is_none(), "no token is stored");
    }
}
