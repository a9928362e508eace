//! Helpers without an account (pure): a neighbour or key holder who is a step of
//! a Member's escalation by text alone. They agree by replying YES to one text,
//! are texted when their step comes, and their "1" counts as "I'm on it" for
//! everyone; STOP ends it. What they are sent, and what the form accepts.
use crate::validation::PersonName;
use serde::{Deserialize, Serialize};

/// The most helpers one Member can have (each is asked by a text that costs money).
pub const MOST_HELPERS: usize = 5;
pub const TOO_MANY: &str = "There are already 5 people on this list. Remove one to add another.";
pub const ALREADY_ON_LIST: &str = "That number is already on the list.";

/// Texts asking a helper to agree, per Member in any 24 hours (whoever adds them).
pub const ASKS_PER_MEMBER: crate::limits::Limit =
    crate::limits::Limit::new(5, chrono::Duration::hours(24));

/// Where a helper stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HelperStatus {
    /// Texted; no YES yet: they are not texted alerts.
    Asked,
    /// Replied YES: texted when their step comes.
    Agreed,
    /// Replied STOP: never texted again.
    Stopped,
    /// Taken off the list.
    Removed,
}

impl HelperStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HelperStatus::Asked => "asked",
            HelperStatus::Agreed => "agreed",
            HelperStatus::Stopped => "stopped",
            HelperStatus::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "asked" => HelperStatus::Asked,
            "agreed" => HelperStatus::Agreed,
            "stopped" => HelperStatus::Stopped,
            "removed" => HelperStatus::Removed,
            _ => return None,
        })
    }

    /// What the list says about them.
    pub fn words(self) -> &'static str {
        match self {
            HelperStatus::Asked => "We texted them; waiting for their YES.",
            HelperStatus::Agreed => "Agreed to help. Texted when their turn comes.",
            HelperStatus::Stopped => "Replied STOP: they won\u{2019}t be texted.",
            HelperStatus::Removed => "Taken off the list.",
        }
    }
}

/// One helper as the order page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelperView {
    pub id: String,
    pub name: String,
    /// The number as it is dialled (+447911123456), for a call link.
    pub number: String,
    pub place: Option<i16>,
    pub status: HelperStatus,
}

/// The "Add someone without the app" form, read strictly: a name, a mobile
/// number (checked fully by the server) and a place (1-5, or "" for last).
pub fn parse_helper(
    name: &str,
    phone: &str,
    place: &str,
) -> Result<(PersonName, String, Option<i16>), &'static str> {
    let name = PersonName::parse(name)?;
    let phone = crate::phones::rules::phone_shape(phone)?;
    let place = super::escalation::parse_place(place)?;
    Ok((name, phone, place))
}

/// The one text asking a helper to agree. `member` is the Member's own name;
/// `by` who added them (the Member herself, or a Contact).
pub fn ask_words(member: &str, by: Option<&str>) -> String {
    let asked = match by {
        Some(by) => format!("{by} has asked if you would help look out for {member}"),
        None => format!("{member} has asked if you would help look out for them"),
    };
    format!(
        "Pruuf: {asked}. If {member} misses their daily check-in, we would text you so you can look in. Reply YES to agree, or STOP and we won't text you again."
    )
}

/// The alert a helper gets at their step: who, where (from her plan, if
/// written), who has been told, and how to answer.
pub fn alert_words(member: &str, address: Option<&str>, told: &str) -> String {
    let at = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => format!(" at {a}"),
        None => String::new(),
    };
    let told = if told.is_empty() {
        String::new()
    } else {
        format!(" {told}.")
    };
    format!(
        "Pruuf: {member}{at} has not checked in today.{told} Reply 1 if you can look in on {member}."
    )
}

/// The answer to a helper's YES.
pub fn agreed_words(member: &str) -> String {
    format!(
        "Thank you. If {member} misses a check-in, we'll text you. Reply STOP at any time to stop."
    )
}

/// The answer to a helper's "1".
pub fn on_it_words(member: &str, first: Option<&str>) -> String {
    match first {
        None => format!("Thank you. We've told {member}'s family you're on it."),
        Some(who) => format!("{who} is already on it for {member}. Thank you."),
    }
}

/// What a helper is told when someone else is on it, the alert is closed, or
/// the Member checks in: the news, then that they need do nothing more.
pub fn update_words(news: &str) -> String {
    format!("Pruuf: {news} Thank you - nothing more is needed.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_takes_a_name_a_mobile_and_a_place() {
        let (name, phone, place) =
            parse_helper("  Sue   Jones ", "(415) 555-2671", "2").expect("valid");
        assert_eq!(name.as_str(), "Sue Jones");
        assert_eq!(phone, "(415) 555-2671");
        assert_eq!(place, Some(2));
        assert_eq!(
            parse_helper("Sue", "07911 123456", "").expect("last").2,
            None
        );
        assert!(parse_helper("S", "07911 123456", "").is_err());
        assert!(parse_helper("Sue", "call me", "").is_err());
        assert!(parse_helper("Sue", "07911 123456", "9").is_err());
    }

    #[test]
    fn statuses_read_back_from_their_stored_names() {
        for s in [
            HelperStatus::Asked,
            HelperStatus::Agreed,
            HelperStatus::Stopped,
            HelperStatus::Removed,
        ] {
            assert_eq!(HelperStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(HelperStatus::parse("Agreed"), None);
    }

    #[test]
    fn the_texts_say_who_where_and_how_to_answer() {
        assert_eq!(
            ask_words("Mary Smith", Some("Tom")),
            "Pruuf: Tom has asked if you would help look out for Mary Smith. If Mary Smith misses their daily check-in, we would text you so you can look in. Reply YES to agree, or STOP and we won't text you again."
        );
        assert!(ask_words("Mary Smith", None)
            .starts_with("Pruuf: Mary Smith has asked if you would help look out for them."));
        assert_eq!(
            alert_words("Mary Smith", Some("12 Elm St"), "Tom and Anna have been told"),
            "Pruuf: Mary Smith at 12 Elm St has not checked in today. Tom and Anna have been told. Reply 1 if you can look in on Mary Smith."
        );
        assert_eq!(
            alert_words("Mary Smith", Some("  "), ""),
            "Pruuf: Mary Smith has not checked in today. Reply 1 if you can look in on Mary Smith."
        );
        assert_eq!(
            on_it_words("Mary", Some("Tom")),
            "Tom is already on it for Mary. Thank you."
        );
        assert!(agreed_words("Mary").contains("STOP"));
    }
}
