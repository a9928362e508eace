//! The pure rules of connecting a Member and a Contact (SPEC §2, §4; seed 001
//! L5676-5726): invite codes, who may accept, the 10-Contact limit, and the resend
//! cooldown. No I/O: the caller reads the facts (in the transaction that acts on
//! them), asks these functions, and writes the answer.
use crate::limits::Limit;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Letters and digits that cannot be mistaken for one another (no I, O, 0, 1).
pub const INVITE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const INVITE_CODE_LEN: usize = 6;

/// Invitation mails one person may send (new or again) in any 24 hours: plenty
/// for a family, too few to make Pruuf a spam relay.
pub const INVITES_BY_ONE_PERSON: Limit = Limit::new(20, Duration::hours(24));
/// Invitation mails any one address may be sent in any 24 hours, by anyone.
pub const INVITES_TO_ONE_ADDRESS: Limit = Limit::new(3, Duration::hours(24));
/// An invite can be accepted for 14 days.
pub const INVITE_LIFETIME: Duration = Duration::days(14);
/// A reminder of an invite may be sent a minute after the last one.
pub const RESEND_COOLDOWN: Duration = Duration::seconds(60);
/// Contacts one Member may have at once.
pub const MAX_ACTIVE_CONTACTS: i64 = 10;

pub const CODE_MESSAGE: &str =
    "The invite code is the 6 letters and numbers in the invitation email, like K7M2QX.";
pub use crate::validation::{PersonName, NAME_MESSAGE};

/// An invite code as entered: any case, spaces and dashes ignored.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InviteCode(String);

impl InviteCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() == INVITE_CODE_LEN && code.bytes().all(|b| INVITE_ALPHABET.contains(&b)) {
            Ok(InviteCode(code))
        } else {
            Err(CODE_MESSAGE)
        }
    }

    /// Builds a code from random bytes (one character per byte, without bias:
    /// 256 is a multiple of the 32-letter alphabet).
    pub fn from_random(bytes: [u8; INVITE_CODE_LEN]) -> Self {
        let alphabet_len = INVITE_ALPHABET.len();
        InviteCode(
            bytes
                .iter()
                .map(|b| INVITE_ALPHABET[usize::from(*b) % alphabet_len] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteCode(******)")
    }
}

/// The invite code in a `/join?code=…` path, if that is what it is.
pub fn join_code(path: &str) -> Option<InviteCode> {
    let query = path.strip_prefix("/join?")?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("code="))
        .and_then(|code| InviteCode::parse(code).ok())
}

/// The join page's first line: who invited, and to what.
pub fn join_words(from: &str, for_member: bool) -> String {
    if for_member {
        format!("{from} would like to look out for you with a daily \u{201c}I\u{2019}m OK\u{201d} check-in. Pruuf is free for you, always.")
    } else {
        format!("{from} would like you to be one of the people told if their daily \u{201c}I\u{2019}m OK\u{201d} check-in doesn\u{2019}t arrive.")
    }
}

/// What is stored about an invite, for judging an attempt to accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteFacts {
    pub sent_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    /// The address the invite was sent to, in the form stored.
    pub invitee_email: String,
    /// The account of whoever sent it.
    pub inviter_email: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptRefusal {
    Expired,
    AlreadyUsed,
    Canceled,
    WrongEmail,
    SelfInvite,
}

impl AcceptRefusal {
    pub fn message(self) -> &'static str {
        match self {
            AcceptRefusal::Expired => {
                "This invitation has expired (they last 14 days). Please ask for a new one."
            }
            AcceptRefusal::AlreadyUsed => "This invitation has already been accepted.",
            AcceptRefusal::Canceled => "This invitation was cancelled. Please ask for a new one.",
            AcceptRefusal::WrongEmail => {
                "This code was sent to a different email address. Please log in with the address the invitation was sent to."
            }
            AcceptRefusal::SelfInvite => "You can't connect to yourself.",
        }
    }
}

/// May the person signed in as `accepter_email` accept this invite now?
pub fn judge_accept(
    invite: &InviteFacts,
    accepter_email: &str,
    now: DateTime<Utc>,
) -> Result<(), AcceptRefusal> {
    if invite.accepted_at.is_some() {
        Err(AcceptRefusal::AlreadyUsed)
    } else if invite.canceled_at.is_some() {
        Err(AcceptRefusal::Canceled)
    } else if now >= invite.sent_at + INVITE_LIFETIME {
        Err(AcceptRefusal::Expired)
    } else if same_address(accepter_email, &invite.inviter_email) {
        Err(AcceptRefusal::SelfInvite)
    } else if !same_address(accepter_email, &invite.invitee_email) {
        Err(AcceptRefusal::WrongEmail)
    } else {
        Ok(())
    }
}

/// Addresses compare without regard to case (the database stores them as citext).
pub fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// May one more Contact become active for a Member who has `active` now?
pub fn may_add_contact(active: i64) -> bool {
    active < MAX_ACTIVE_CONTACTS
}

/// Seconds to wait before the invite may be sent again, if any.
pub fn resend_wait(last_sent: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    let ready = last_sent + RESEND_COOLDOWN;
    (now < ready).then(|| ((ready - now).num_milliseconds() + 999).div_euclid(1000))
}

/// Someone's role, derived from their active connections (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Newcomer,
    Member,
    Contact,
    Both,
}

impl Role {
    pub fn from_connections(is_member: bool, is_contact: bool) -> Self {
        match (is_member, is_contact) {
            (true, true) => Role::Both,
            (true, false) => Role::Member,
            (false, true) => Role::Contact,
            (false, false) => Role::Newcomer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn codes_are_entered_in_any_case() {
        assert_eq!(
            InviteCode::parse(" k7m-2qx ").map(|c| c.as_str().to_string()),
            Ok("K7M2QX".into())
        );
        for bad in ["K7M2Q", "K7M2QXX", "K7M2Q0", "K7M2QI", "K7M2Q!", ""] {
            assert_eq!(InviteCode::parse(bad), Err(CODE_MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn random_codes_use_only_the_alphabet() {
        let code = InviteCode::from_random([0, 31, 32, 255, 100, 7]);
        assert_eq!(code.as_str(), "A9A9EH");
        assert!(InviteCode::parse(code.as_str()).is_ok());
        assert!(!format!("{code:?}").contains("A9A9EH"));
    }

    #[test]
    fn join_links_carry_their_code() {
        assert_eq!(
            join_code("/join?code=k7m2qx").map(|c| c.as_str().to_string()),
            Some("K7M2QX".into())
        );
        assert_eq!(join_code("/home"), None);
        assert_eq!(join_code("/join?code=nope"), None);
    }

    #[test]
    fn the_join_page_names_who_invited() {
        assert!(join_words("Tom", true).starts_with("Tom would like to look out for you"));
        assert!(join_words("Mum", false).starts_with("Mum would like you to be one of the people"));
    }

    fn invite() -> InviteFacts {
        InviteFacts {
            sent_at: t(1, 9),
            accepted_at: None,
            canceled_at: None,
            invitee_email: "mum@example.com".into(),
            inviter_email: "tom@example.com".into(),
        }
    }

    #[test]
    fn the_invited_address_accepts_within_fourteen_days() {
        assert_eq!(judge_accept(&invite(), "Mum@Example.com", t(15, 8)), Ok(()));
        assert_eq!(
            judge_accept(&invite(), "mum@example.com", t(15, 9)),
            Err(AcceptRefusal::Expired)
        );
        assert_eq!(
            judge_accept(&invite(), "aunt@example.com", t(2, 9)),
            Err(AcceptRefusal::WrongEmail)
        );
        assert_eq!(
            judge_accept(&invite(), "tom@example.com", t(2, 9)),
            Err(AcceptRefusal::SelfInvite)
        );
        let used = InviteFacts {
            accepted_at: Some(t(2, 9)),
            ..invite()
        };
        assert_eq!(
            judge_accept(&used, "mum@example.com", t(3, 9)),
            Err(AcceptRefusal::AlreadyUsed)
        );
        let canceled = InviteFacts {
            canceled_at: Some(t(2, 9)),
            ..invite()
        };
        assert_eq!(
            judge_accept(&canceled, "mum@example.com", t(3, 9)),
            Err(AcceptRefusal::Canceled)
        );
    }

    #[test]
    fn ten_contacts_at_most() {
        assert!(may_add_contact(9));
        assert!(!may_add_contact(10));
    }

    #[test]
    fn resend_waits_a_minute_and_says_how_long() {
        let sent = t(1, 9);
        assert_eq!(resend_wait(sent, sent + Duration::seconds(15)), Some(45));
        assert_eq!(
            resend_wait(sent, sent + Duration::milliseconds(59_001)),
            Some(1)
        );
        assert_eq!(resend_wait(sent, sent + Duration::seconds(60)), None);
    }

    #[test]
    fn roles_follow_active_connections() {
        assert_eq!(Role::from_connections(true, true), Role::Both);
        assert_eq!(Role::from_connections(false, true), Role::Contact);
        assert_eq!(Role::from_connections(true, false), Role::Member);
        assert_eq!(Role::from_connections(false, false), Role::Newcomer);
    }
}
