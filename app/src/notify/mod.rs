//! Telling a person something (SPEC §6), in one place: the in-app inbox, the
//! outbox every email, push and text goes through, the channel senders, and one
//! email layout. Every domain that tells someone anything calls down into here;
//! nothing here calls up into a domain.
//! - `rules`: pure (leases, how many sends at once and for how long, backoff,
//!   reading a provider's answer, each mail's button);
//! - `inbox`, `outbox` (server only): all the `notifications` and `deliveries` SQL;
//! - `worker` (server only): the delivery workers;
//! - `email` + `smtp`, `push`, `sms` + `twilio` (server only): the transports.
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

/// One thing to tell one person: in the app (their Notifications list) and by
/// each of `channels` (the workers send those).
#[cfg(feature = "ssr")]
pub struct Message {
    pub to: uuid::Uuid,
    /// The Member it is about (the person themselves for their own notices).
    pub member: uuid::Uuid,
    /// The miss it is about, for alerts and their updates.
    pub miss: Option<uuid::Uuid>,
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// A path in Pruuf, e.g. `/alerts/<id>`.
    pub link: String,
    pub channels: Vec<&'static str>,
    /// Also in their Notifications list (false: only by the channels).
    pub in_app: bool,
    /// More for the push message (a reminder's one-day token and where to post it).
    pub extra: Option<serde_json::Value>,
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
        let mut payload = serde_json::json!({ "title": m.title, "body": m.body, "link": m.link });
        if let (Some(serde_json::Value::Object(extra)), Some(fields)) =
            (&m.extra, payload.as_object_mut())
        {
            fields.extend(extra.clone());
        }
        for channel in &m.channels {
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

/// A way to reach a person outside the app. Stored as text in
/// `deliveries.channel` (checked there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Push,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Push, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_read_back_from_their_stored_names() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
