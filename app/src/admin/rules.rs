//! The admin side's rules, pure: what an admin sees of a person before revealing
//! (masked), how fresh a step-up must be, which deliveries count as stuck, and
//! what kind of failure a dead-lettered webhook had.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// An admin session proves itself again with an emailed code after this long.
pub const STEP_UP_LIFETIME: Duration = Duration::hours(12);

/// A delivery claimed or being sent this long past its lease, or waiting this
/// long past its time, is stuck.
pub const STUCK_AFTER: Duration = Duration::minutes(15);

/// Rows any admin list shows at most.
pub const LIST_LIMIT: i64 = 100;

/// Whether a step-up made at `at` still counts at `now`.
pub fn step_up_fresh(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_some_and(|at| at <= now && now - at < STEP_UP_LIFETIME)
}

/// `alice@example.com` → `a***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `+12025552671` → `+1 *** *** 2671`: the country code and the last four digits.
/// `country_code` is the number's calling code when it is known.
pub fn mask_phone(e164: &str, country_code: Option<u16>) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    match country_code {
        Some(cc) => format!("+{cc} *** *** {tail}"),
        None => format!("+*** *** {tail}"),
    }
}

/// The deliveries an admin may look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Trouble {
    /// Given up on: every try failed.
    #[default]
    Failed,
    /// Claimed past its lease, or waiting long past its time.
    Stuck,
}

impl Trouble {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "failed" | "" => Some(Trouble::Failed),
            "stuck" => Some(Trouble::Stuck),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Trouble::Failed => "failed",
            Trouble::Stuck => "stuck",
        }
    }
}

/// The channels a filter may name.
pub const CHANNELS: [&str; 4] = ["email", "push", "sms", "call"];

/// What a dead-lettered Stripe event's error was, in one word an operator can
/// sort by (the full text is shown beside it).
pub fn webhook_error_kind(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    if e.contains("database")
        || e.contains("pool")
        || e.contains("sqlx")
        || e.contains("connection")
    {
        "database"
    } else if e.contains("stripe") || e.contains("api") || e.contains("http") {
        "stripe api"
    } else if ["parse", "json", "missing", "unknown", "could not be read"]
        .iter()
        .any(|w| e.contains(w))
    {
        "payload"
    } else {
        "other"
    }
}

/// A reason typed before revealing personal data: said in the audit log.
pub fn reason(raw: &str) -> Result<String, &'static str> {
    let r = raw.trim();
    if r.chars().any(char::is_control) {
        return Err("Please write the reason on one line, in plain words.");
    }
    match r.chars().count() {
        0..=2 => Err("Please say why you need to see it (at least 3 characters)."),
        3..=300 => Ok(r.to_string()),
        _ => Err("Please keep the reason under 300 characters."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_their_first_letter_and_domain() {
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
        assert_eq!(mask_email("Ö@example.org"), "Ö***@example.org");
        assert_eq!(mask_email("no-at-sign"), "***");
    }

    #[test]
    fn phones_keep_their_country_and_last_four() {
        assert_eq!(mask_phone("+12025552671", Some(1)), "+1 *** *** 2671");
        assert_eq!(mask_phone("+447700900123", Some(44)), "+44 *** *** 0123");
        assert_eq!(mask_phone("+99", None), "+*** *** 99");
    }

    #[test]
    fn a_step_up_lasts_twelve_hours() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert!(step_up_fresh(Some(now - Duration::hours(11)), now));
        assert!(!step_up_fresh(Some(now - Duration::hours(12)), now));
        assert!(!step_up_fresh(None, now));
        // A time in the future (a clock moved back) is not trusted.
        assert!(!step_up_fresh(Some(now + Duration::minutes(1)), now));
    }

    #[test]
    fn troubles_and_reasons_are_checked() {
        assert_eq!(Trouble::parse(""), Some(Trouble::Failed));
        assert_eq!(Trouble::parse("stuck"), Some(Trouble::Stuck));
        assert_eq!(Trouble::parse("lost"), None);
        assert!(reason("  ").is_err());
        assert_eq!(reason(" ticket 42 "), Ok("ticket 42".into()));
        assert!(reason(&"x".repeat(301)).is_err());
        assert!(reason("ticket\u{0}42").is_err());
        assert!(reason("ticket\n42").is_err());
    }

    #[test]
    fn webhook_errors_sort_into_kinds() {
        assert_eq!(
            webhook_error_kind("error returned from database: deadlock"),
            "database"
        );
        assert_eq!(webhook_error_kind("Stripe API: 500"), "stripe api");
        assert_eq!(webhook_error_kind("cannot parse the event"), "payload");
        assert_eq!(webhook_error_kind("the event could not be read"), "payload");
        assert_eq!(webhook_error_kind("?"), "other");
    }
}
