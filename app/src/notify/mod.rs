//! Telling a person something (SPEC §6), in one place: the in-app inbox, the
//! outbox every email, push and text goes through, the channel senders, and one
//! email layout. Every domain that tells someone anything calls down into here;
//! nothing here calls up into a domain (the SMS sender's number bookkeeping is
//! the one exception, reached through `phones`' service, until the senders
//! get their own facade).
//! - `rules`: pure (leases, how many sends at once and for how long, backoff,
//!   reading a provider's answer, each mail's button);
//! - `inbox`, `outbox` (server only): all the `notifications` and `deliveries` SQL;
//! - `worker` (server only): the delivery workers;
//! - `email`, `push` (server only): the SMTP and web push transports;
//!   texts go through `phones::twilio`.
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
pub mod worker;

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
