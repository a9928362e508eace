//! The inputs of sign-up and log-in, checked the same way in the browser and on
//! the server, with the same words. A value of these types is always valid.
use serde::{Deserialize, Serialize};
use std::fmt;

pub const EMAIL_MESSAGE: &str = "Please enter your email address, like name@example.com.";
pub const PIN_MESSAGE: &str = "Your PIN is 4 numbers.";
pub const PIN_MISMATCH_MESSAGE: &str = "PINs don't match. Try again.";
pub const CODE_MESSAGE: &str = "The code is the 6 numbers in the email we sent you.";
pub const NAME_MESSAGE: &str = "Please enter a name between 2 and 255 characters.";

/// An email address in the form we store it: trimmed, domain in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 254 {
            return Err(EMAIL_MESSAGE);
        }
        let (local, domain) = raw.rsplit_once('@').ok_or(EMAIL_MESSAGE)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Email(format!("{local}@{domain}")))
        } else {
            Err(EMAIL_MESSAGE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A 4-digit PIN. Its digits never appear in `Debug` output, so never in logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin(String);

impl Pin {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Pin(raw.to_string()))
        } else {
            Err(PIN_MESSAGE)
        }
    }

    /// The PIN and its confirmation, as typed twice at sign-up or reset.
    pub fn parse_confirmed(pin: &str, again: &str) -> Result<Self, &'static str> {
        let first = Pin::parse(pin)?;
        if Pin::parse(again)? == first {
            Ok(first)
        } else {
            Err(PIN_MISMATCH_MESSAGE)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// A 6-digit one-time code from an email. Spaces and dashes from pasting are
/// ignored. Like a PIN, it is hidden from `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCode(String);

impl EmailCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(EmailCode(digits))
        } else {
            Err(CODE_MESSAGE)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailCode(******)")
    }
}

/// A person's name: the one they give themselves ("Tom"), or the one a Contact
/// gives a Member ("Mum").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = name.chars().count();
        if (2..=255).contains(&chars) && !name.chars().any(char::is_control) {
            Ok(PersonName(name))
        } else {
            Err(NAME_MESSAGE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_people_type_are_accepted_and_normalised() {
        let e = Email::parse("  Mary.O'Neil+pruuf@Example.CO.uk ").expect("valid");
        assert_eq!(e.as_str(), "Mary.O'Neil+pruuf@example.co.uk");
        assert!(Email::parse("a@b.io").is_ok());
    }

    #[test]
    fn malformed_emails_get_the_same_words() {
        for bad in [
            "",
            "mary",
            "mary@",
            "@example.com",
            "mary@example",
            "mary@@example.com",
            "mary@exa mple.com",
            "ma..ry@example.com",
            ".mary@example.com",
            "mary@-example.com",
            "mary@example.c0m",
            "mary@example.c",
            &format!("{}@example.com", "a".repeat(65)),
            &format!("mary@{}.com", "a".repeat(250)),
        ] {
            assert_eq!(Email::parse(bad), Err(EMAIL_MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn pins_are_four_digits() {
        assert_eq!(
            Pin::parse("0421").map(|p| p.expose().to_string()),
            Ok("0421".into())
        );
        for bad in ["", "123", "12345", "12a4", "١٢٣٤", "12 4"] {
            assert_eq!(Pin::parse(bad), Err(PIN_MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn confirmation_must_match() {
        assert!(Pin::parse_confirmed("2580", "2580").is_ok());
        assert_eq!(
            Pin::parse_confirmed("2580", "2581"),
            Err(PIN_MISMATCH_MESSAGE)
        );
        assert_eq!(Pin::parse_confirmed("258", "258"), Err(PIN_MESSAGE));
    }

    #[test]
    fn codes_forgive_pasted_spaces() {
        assert_eq!(
            EmailCode::parse(" 123 456 ").map(|c| c.expose().to_string()),
            Ok("123456".into())
        );
        assert!(EmailCode::parse("123-456").is_ok());
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(EmailCode::parse(bad), Err(CODE_MESSAGE), "{bad:?}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let pin = Pin::parse("2580").expect("valid");
        let code = EmailCode::parse("987654").expect("valid");
        let shown = format!("{pin:?} {code:?}");
        assert!(
            !shown.contains("2580") && !shown.contains("987654"),
            "{shown}"
        );
    }
    #[test]
    fn names_are_two_to_255_characters() {
        assert_eq!(
            PersonName::parse("  Mum  ").map(|n| n.as_str().to_string()),
            Ok("Mum".into())
        );
        assert_eq!(
            PersonName::parse("Mary   O'Neil").map(|n| n.as_str().to_string()),
            Ok("Mary O'Neil".into())
        );
        assert!(PersonName::parse("Zoë").is_ok());
        assert_eq!(PersonName::parse("M"), Err(NAME_MESSAGE));
        assert_eq!(PersonName::parse(&"a".repeat(256)), Err(NAME_MESSAGE));
        assert!(
            PersonName::parse(&"é".repeat(255)).is_ok(),
            "characters, not bytes"
        );
    }
}
