//! The SMS channel (server only): sending a text through Twilio, and what a
//! failed send says about the number (opted out, or unable to take texts: the
//! number is marked and, after a STOP, its owner told).
use super::outbox::{self, ClaimedRow};
use super::rules::{sms_text, NumberFate, SendError, SENT_AGAIN};
use super::worker::Worker;
use super::Channel;
use super::Kind;
use super::Message;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The last two digits: enough for a person to recognise their number in a log
/// line or a message, and no more.
pub fn masked(number: &str) -> String {
    let tail: String = number
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("\u{2022}\u{2022}\u{2022}{tail}")
}

/// The person is told, in the app and by email, that texts have stopped (they
/// replied STOP, or Twilio says they did).
pub async fn number_stopped(
    tx: &mut sqlx::PgConnection,
    user: Uuid,
    number: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let body = format!(
        "You replied STOP, so Pruuf won\u{2019}t text your number ending {} any more. \
         Alerts still reach you by email and on your devices. To have texts again, reply START.",
        masked(number)
    );
    super::tell(
        tx,
        &[Message {
            to: user,
            member: user,
            miss: None,
            kind: Kind::SmsStopped,
            title: "Texts from Pruuf are stopped".into(),
            body,
            link: "/settings/alerts".into(),
            channels: vec![Channel::Email],
            in_app: true,
            check_in: None,
        }],
        now,
    )
    .await?;
    Ok(())
}

impl Worker<'_> {
    /// The SMS sender: the outbox's "sms" arm. Permanent Twilio errors about the
    /// number mark it opted out or unusable (and the person is told).
    pub(super) async fn send_sms(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        let Some(client) = self.sms.as_ref() else {
            return Err(SendError::Permanent(
                "SMS is not set up on this server".into(),
            ));
        };
        let Some(number) = d.phone.as_deref() else {
            return Err(SendError::Permanent("no confirmed mobile number".into()));
        };
        let link = &d.payload.link;
        let body = if d.maybe_sent {
            format!("{} {}", SENT_AGAIN, d.payload.body)
        } else {
            d.payload.body.clone()
        };
        // An alert can be answered from the phone: "1" is "I'm on it".
        // (A helper's alert says so in its own words.)
        let body = if d.kind.is_alert() && d.recipient_id.is_some() {
            format!("{body} Reply 1 if you're on it.")
        } else {
            body
        };
        let body = if link.is_empty() {
            body
        } else {
            format!(
                "Pruuf: {} {}{}",
                body,
                self.settings.public_url.trim_end_matches('/'),
                link
            )
        };
        let callback = format!(
            "{}/webhooks/twilio/status",
            self.settings.public_url.trim_end_matches('/')
        );
        match client.send(number, &sms_text(&body), &callback).await {
            Ok(sid) => Ok(Some(sid)),
            Err(not_sent) => {
                if not_sent.fate != NumberFate::Unchanged {
                    // The number is marked, and the person told of a STOP, in one
                    // transaction; if it fails the delivery is tried again (and
                    // Twilio answers the same), so neither is lost.
                    self.mark_number(number, not_sent.fate)
                        .await
                        .map_err(|_| SendError::Transient("the database did not answer".into()))?;
                }
                Err(not_sent.error)
            }
        }
    }

    /// Twilio said the number cannot take texts, or was opted out: marks it, and
    /// tells its owner of an opt-out.
    async fn mark_number(self, number: &str, fate: NumberFate) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let owner = outbox::mark_number(&mut tx, number, fate).await?;
        if let (Some(user), NumberFate::OptedOut) = (owner, fate) {
            number_stopped(&mut tx, user, number, self.clock.now()).await?;
        }
        tx.commit().await
    }
}
