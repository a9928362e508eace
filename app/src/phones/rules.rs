//! The pure rules of text messages (SPEC §3, §6): what a reply means, how a
//! message is written for SMS, how Twilio's answers are read, and (server only)
//! phone numbers in E.164 and Twilio's request signature. No I/O.
use serde::{Deserialize, Serialize};

/// Where a person's mobile number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhoneStatus {
    /// Waiting for "YES" from the number.
    Pending,
    /// Confirmed: alerts and reminders may go there.
    Verified,
    /// The person replied STOP (or Twilio says they did): nothing is sent.
    OptedOut,
    /// Twilio says the number cannot take texts (invalid, not a mobile).
    Unusable,
}

impl PhoneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneStatus::Pending => "pending",
            PhoneStatus::Verified => "verified",
            PhoneStatus::OptedOut => "opted_out",
            PhoneStatus::Unusable => "unusable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => PhoneStatus::Pending,
            "verified" => PhoneStatus::Verified,
            "opted_out" => PhoneStatus::OptedOut,
            "unusable" => PhoneStatus::Unusable,
            _ => return None,
        })
    }

    /// What the settings page says about it.
    pub fn words(self) -> &'static str {
        match self {
            PhoneStatus::Pending => "Waiting for you to reply YES to our text.",
            PhoneStatus::Verified => "Confirmed. Texts come to this number.",
            PhoneStatus::OptedOut => {
                "Texts are stopped (you replied STOP). Reply START to that text to have them again."
            }
            PhoneStatus::Unusable => {
                "This number can\u{2019}t receive our texts. Please check it, or add another."
            }
        }
    }
}

pub const NO_SMS: &str = "Text messages aren\u{2019}t available on this Pruuf yet. Alerts still come by email and on your devices.";

pub const PHONE_MESSAGE: &str =
    "Please enter a mobile number, like (415) 555-2671 or +44 7911 123456.";

/// The browser's first check of a typed number (the server checks it fully):
/// digits with the usual separators, 7 to 15 digits, an optional leading +.
pub fn phone_shape(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    let ok_chars = t
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if t.is_empty() || !ok_chars || !(7..=15).contains(&digits) {
        return Err(PHONE_MESSAGE);
    }
    Ok(t.to_string())
}

/// What a text from a person means, read loosely ("ok", "I'm OK!", " Yes ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Yes,
    CheckIn,
    /// "1" to an alert: I'm on it (a Contact).
    OnIt,
    Stop,
    Start,
    Help,
    Other,
}

/// The most of an inbound body that is read (Twilio allows 1,600 characters).
pub const MAX_INBOUND: usize = 1600;

pub fn read_reply(body: &str) -> Reply {
    let words: String = body
        .chars()
        .take(MAX_INBOUND)
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' | '`' => '\'',
            c => c.to_ascii_uppercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '\'' || c.is_whitespace())
        .collect();
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    match words.as_str() {
        "YES" | "Y" | "YES PLEASE" => Reply::Yes,
        "OK" | "OKAY" | "K" | "I'M OK" | "IM OK" | "I AM OK" | "I'M OKAY" | "ALL OK" => {
            Reply::CheckIn
        }
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT" => {
            Reply::Stop
        }
        "1" | "ON IT" | "I'M ON IT" | "IM ON IT" => Reply::OnIt,
        "START" | "UNSTOP" => Reply::Start,
        "HELP" | "INFO" => Reply::Help,
        _ => Reply::Other,
    }
}

/// A number as Twilio and our table keep it (E.164), from what a person typed;
/// numbers without a country code are read as US numbers.
#[cfg(feature = "ssr")]
pub fn normalise_phone(raw: &str) -> Result<String, &'static str> {
    let shaped = phone_shape(raw)?;
    let number = phonenumber::parse(Some(phonenumber::country::Id::US), &shaped)
        .map_err(|_| PHONE_MESSAGE)?;
    if !phonenumber::is_valid(&number) {
        return Err(PHONE_MESSAGE);
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// The countries Pruuf texts by default (ISO 3166 codes): where it is offered.
/// PRUUF_SMS_COUNTRIES replaces the list. A number elsewhere cannot run up
/// international text charges (SMS toll fraud).
pub const DEFAULT_SMS_COUNTRIES: &[&str] = &["US", "CA", "GB", "IE", "AU", "NZ"];
pub const COUNTRY_MESSAGE: &str = "Pruuf can\u{2019}t send texts to numbers in that country yet. Alerts still come by email and on your devices.";

/// Texts asking a number to reply YES: per person, and per number whoever asks,
/// in any 24 hours.
pub const VERIFY_TEXTS_PER_PERSON: crate::limits::Limit =
    crate::limits::Limit::new(5, chrono::Duration::hours(24));
pub const VERIFY_TEXTS_PER_NUMBER: crate::limits::Limit =
    crate::limits::Limit::new(3, chrono::Duration::hours(24));
/// A number nobody confirmed is let go after this long, so nobody can hold
/// someone else's number by adding it.
pub const PENDING_EXPIRES: chrono::Duration = chrono::Duration::hours(48);

/// Whether an E.164 number belongs to one of `allowed` (ISO 3166 codes).
#[cfg(feature = "ssr")]
pub fn country_allowed(e164: &str, allowed: &[String]) -> bool {
    phonenumber::parse(None, e164)
        .ok()
        .and_then(|n| n.country().id())
        .is_some_and(|id| allowed.iter().any(|c| c.eq_ignore_ascii_case(id.as_ref())))
}

/// An E.164 number as people say it in its own country ("(808) 555-0123").
#[cfg(feature = "ssr")]
pub fn national_format(e164: &str) -> Option<String> {
    let n = phonenumber::parse(None, e164).ok()?;
    Some(n.format().mode(phonenumber::Mode::National).to_string())
}

/// Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed
/// with the auth token, over the full URL followed by every form parameter's
/// name and value, sorted by name.
#[cfg(feature = "ssr")]
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    use hmac::Mac;
    base64::engine::general_purpose::STANDARD.encode(
        signature_mac(auth_token, url, params)
            .finalize()
            .into_bytes(),
    )
}

#[cfg(feature = "ssr")]
fn signature_mac(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
) -> hmac::Hmac<sha1::Sha1> {
    use hmac::Mac;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    // HMAC takes a key of any length.
    let mut mac = match hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes any key length"),
    };
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// Checks a request's `X-Twilio-Signature` in constant time.
#[cfg(feature = "ssr")]
pub fn signature_ok(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> bool {
    use base64::Engine;
    use hmac::Mac;
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    signature_mac(auth_token, url, params)
        .verify_slice(&given)
        .is_ok()
}

/// The "Text messages" card, as the server fills it and the page draws it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhoneView {
    /// Texts can be sent from this server (Twilio is configured).
    pub available: bool,
    pub number: Option<String>,
    pub status: Option<PhoneStatus>,
    pub sms_reminders: bool,
    /// They have a daily check-in (text reminders are theirs to choose).
    pub is_member: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_loosely() {
        for (body, reply) in [
            ("ok", Reply::CheckIn),
            (" OK ", Reply::CheckIn),
            ("I\u{2019}m OK!", Reply::CheckIn),
            ("im ok", Reply::CheckIn),
            ("Okay.", Reply::CheckIn),
            ("yes", Reply::Yes),
            ("Y", Reply::Yes),
            ("Yes!", Reply::Yes),
            ("STOP", Reply::Stop),
            ("1", Reply::OnIt),
            (" 1. ", Reply::OnIt),
            ("I\u{2019}m on it", Reply::OnIt),
            ("11", Reply::Other),
            ("unsubscribe", Reply::Stop),
            ("start", Reply::Start),
            ("Help", Reply::Help),
            ("I'm fine thanks, ok?", Reply::Other),
            ("", Reply::Other),
            ("\u{1f600}\u{1f600}", Reply::Other),
        ] {
            assert_eq!(read_reply(body), reply, "{body:?}");
        }
        let long = "O".repeat(5000);
        assert_eq!(read_reply(&long), Reply::Other);
        let padded = format!("ok{}", " ".repeat(3000));
        assert_eq!(read_reply(&padded), Reply::CheckIn);
    }

    #[test]
    fn typed_numbers_are_shaped_before_the_server_reads_them() {
        assert!(phone_shape("(415) 555-2671").is_ok());
        assert!(phone_shape("+44 7911 123456").is_ok());
        for bad in [
            "",
            "12345",
            "call me",
            "+1 415 555 2671 ext 9",
            "4155+552671",
            &"9".repeat(16),
        ] {
            assert_eq!(phone_shape(bad), Err(PHONE_MESSAGE), "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn numbers_are_kept_in_e164() {
        assert_eq!(normalise_phone("(415) 555-2671"), Ok("+14155552671".into()));
        assert_eq!(
            normalise_phone("+44 7911 123456"),
            Ok("+447911123456".into())
        );
        assert_eq!(normalise_phone("+1 555 0100 000"), Err(PHONE_MESSAGE));
        assert_eq!(normalise_phone("not a number"), Err(PHONE_MESSAGE));
    }

    /// The vector from Twilio's documentation of request validation, and one more
    /// for an inbound SMS; both computed outside this code, with Python's hmac:
    /// `base64(hmac.new(token, url + "".join(k + v for k, v in sorted(params)), sha1))`.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_signature_matches_known_vectors() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let docs = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature("12345", url, &docs),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(signature_ok(
            "12345",
            url,
            &docs,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!signature_ok(
            "12346",
            url,
            &docs,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!signature_ok("12345", url, &docs, "not base64!"));

        let inbound = p(&[
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("From", "+15005550006"),
            ("To", "+15005550001"),
            ("Body", "OK"),
        ]);
        let url = "https://pruuf.example/webhooks/twilio/inbound";
        let token = "test-auth-token-0123456789abcdef";
        assert_eq!(
            twilio_signature(token, url, &inbound),
            "BPkPKDEjHrwUBYZPHFGwmukY4dE="
        );
        let mut changed = inbound.clone();
        changed[3].1 = "STOP".into();
        assert!(!signature_ok(
            token,
            url,
            &changed,
            "BPkPKDEjHrwUBYZPHFGwmukY4dE="
        ));
    }
}

#[cfg(all(test, feature = "ssr"))]
mod country_tests {
    use super::*;

    #[test]
    fn only_numbers_in_the_served_countries_are_texted() {
        let served: Vec<String> = DEFAULT_SMS_COUNTRIES
            .iter()
            .map(|c| c.to_string())
            .collect();
        for n in [
            "+14155552671",
            "+15062345678",
            "+447400123456",
            "+353850123456",
            "+61412345678",
            "+64211234567",
        ] {
            assert!(country_allowed(n, &served), "{n}");
        }
        for n in [
            "+18762101234",
            "+33612345678",
            "+2348021234567",
            "+88216123456",
            "not a number",
        ] {
            assert!(!country_allowed(n, &served), "{n}");
        }
        assert!(country_allowed("+33612345678", &["fr".to_string()]));
    }
}
