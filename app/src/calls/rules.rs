//! The pure rules of calls: the daily call's form, when it fits her day, and
//! what the keys pressed on a call mean. No I/O.
#[cfg(feature = "ssr")]
use chrono::{DateTime, Utc};
use chrono::{NaiveTime, Timelike};
#[cfg(feature = "ssr")]
use chrono_tz::Tz;

pub const BEFORE_CHECK_IN_MESSAGE: &str =
    "Please choose a call time before your first check-in of the day, with time for a second call if the first is not answered.";
pub const NO_SCHEDULE_MESSAGE: &str =
    "Please choose your check-in time first: the daily call comes before it.";
pub const NO_CALLS: &str = "Calls are not set up on this server yet.";
pub const NEED_MOBILE: &str =
    "Please add your mobile number first (under Text messages): we call the number you confirmed.";
pub const CONFIRM_CALLS_MESSAGE: &str =
    "We\u{2019}ve called to confirm this number three times today. Please try again tomorrow.";

/// Confirmation calls to one number a day, at most.
pub const CONFIRM_CALLS_PER_DAY: usize = 3;

/// Tries of the daily call in a day: the call and one more after the wait.
pub const DAILY_TRIES: i16 = 2;

/// How long after its time a daily call is still placed (the server was down,
/// say); later than that, the day's call is skipped (a call long after its
/// time would only wake her) and her check-in's own alert path goes on.
pub const STILL_WORTH_CALLING_MINUTES: i64 = 60;

fn minute_of_day(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

/// The daily call's time fits her day: the first call and every retry
/// (`tries - 1` of them, `retry` minutes apart) come before her first
/// check-in of the day (a daily call is a reminder that is also a way to
/// check in).
pub fn fits_before(call_at: NaiveTime, first_check_in: NaiveTime, tries: u32, retry: u32) -> bool {
    let last_try = minute_of_day(call_at) + tries.saturating_sub(1) * retry;
    last_try < minute_of_day(first_check_in)
}

/// The first time `call_at` comes in `zone` after `after` (a time a
/// daylight-saving change skips rings at the same distance past the gap, as a
/// deadline does: `time::deadline_on`).
#[cfg(feature = "ssr")]
pub fn next_call_after(call_at: NaiveTime, zone: Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    let day = crate::time::local_day(after, zone);
    let today = crate::time::deadline_on(day, call_at, zone);
    if today > after {
        return today;
    }
    let tomorrow = day.succ_opt().unwrap_or(day);
    crate::time::deadline_on(tomorrow, call_at, zone)
}

/// The local day whose call a call due `at` belongs to: the day of the latest
/// `call_at` at or before `at`. A first call is its own day's; a second try
/// that falls past midnight (a 23:55 call placed late) is still the day
/// before's, so the next day's call is not skipped.
#[cfg(feature = "ssr")]
pub fn call_day(call_at: NaiveTime, zone: Tz, at: DateTime<Utc>) -> chrono::NaiveDate {
    let day = crate::time::local_day(at, zone);
    if crate::time::deadline_on(day, call_at, zone) <= at {
        day
    } else {
        day.pred_opt().unwrap_or(day)
    }
}

/// What the keys pressed on a call mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// 1 (or, on the daily call, any key): yes.
    Yes,
    /// Another key where only 1 counts.
    Other,
    /// No key before the call gave up waiting.
    None,
}

impl Keys {
    /// `any_key`: the daily call takes any key as "all is well" (a shaking
    /// finger may miss the 1); a confirmation and an alert need the 1.
    pub fn read(digits: &str, any_key: bool) -> Keys {
        let digits = digits.trim();
        match digits.chars().next() {
            None => Keys::None,
            Some('1') => Keys::Yes,
            Some(c) if any_key && (c.is_ascii_digit() || c == '*' || c == '#') => Keys::Yes,
            Some(_) => Keys::Other,
        }
    }
}

/// What Twilio says of a call's end, kept on the delivery for its trail:
/// an answering machine is its own outcome (a message was left; never a
/// check-in).
pub fn call_outcome(call_status: &str, answered_by: &str) -> Option<&'static str> {
    if answered_by.starts_with("machine") || answered_by == "fax" {
        return Some("machine");
    }
    Some(match call_status {
        "queued" | "initiated" => return None,
        "ringing" => "ringing",
        "in-progress" => "answered",
        "completed" => "completed",
        "busy" => "busy",
        "no-answer" => "no-answer",
        "canceled" => "canceled",
        "failed" => "failed",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_call_and_its_retry_come_before_the_first_check_in() {
        assert!(fits_before(t(9, 0), t(10, 0), 2, 10));
        assert!(fits_before(t(9, 49), t(10, 0), 2, 10));
        // The retry would ring at the check-in time itself.
        assert!(!fits_before(t(9, 50), t(10, 0), 2, 10));
        assert!(!fits_before(t(10, 0), t(10, 0), 1, 10));
        assert!(!fits_before(t(11, 0), t(10, 0), 2, 10));
        assert!(fits_before(t(9, 0), t(10, 0), 3, 29));
        assert!(!fits_before(t(9, 0), t(10, 0), 3, 30));
    }

    #[cfg(feature = "ssr")]
    fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_next_call_is_today_if_its_time_is_ahead_else_tomorrow_across_dst() {
        let honolulu: chrono_tz::Tz = "Pacific/Honolulu".parse().unwrap();
        // 8:00 AM in Honolulu: today at 9:00 (19:00 UTC).
        assert_eq!(
            next_call_after(t(9, 0), honolulu, utc("2026-11-26T18:00:00Z")),
            utc("2026-11-26T19:00:00Z")
        );
        // At 9:00 itself: tomorrow's.
        assert_eq!(
            next_call_after(t(9, 0), honolulu, utc("2026-11-26T19:00:00Z")),
            utc("2026-11-27T19:00:00Z")
        );
        // New York falls back on 1 November 2026: 9:00 AM EDT, then 9:00 AM EST.
        let new_york: chrono_tz::Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            next_call_after(t(9, 0), new_york, utc("2026-10-31T13:00:00Z")),
            utc("2026-11-01T14:00:00Z")
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_call_belongs_to_the_day_of_its_time_even_past_midnight() {
        let honolulu: chrono_tz::Tz = "Pacific/Honolulu".parse().unwrap();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 9:00 AM on the 26th (19:00 UTC), and its second try at 9:10.
        assert_eq!(
            call_day(t(9, 0), honolulu, utc("2026-11-26T19:00:00Z")),
            day("2026-11-26")
        );
        assert_eq!(
            call_day(t(9, 0), honolulu, utc("2026-11-26T19:10:00Z")),
            day("2026-11-26")
        );
        // A 23:30 call's second try at 00:20 the next morning is still the 26th's.
        assert_eq!(
            call_day(t(23, 30), honolulu, utc("2026-11-27T10:20:00Z")),
            day("2026-11-26")
        );
        // A time written in another zone (she moved from New York): 9:00 AM in
        // New York is 4:00 AM in Honolulu, before her 9:00 AM: the day before's.
        assert_eq!(
            call_day(t(9, 0), honolulu, utc("2026-11-26T14:00:00Z")),
            day("2026-11-25")
        );
    }

    #[test]
    fn any_key_is_yes_on_the_daily_call_only() {
        assert_eq!(Keys::read("1", false), Keys::Yes);
        assert_eq!(Keys::read(" 1 ", true), Keys::Yes);
        assert_eq!(Keys::read("7", true), Keys::Yes);
        assert_eq!(Keys::read("#", true), Keys::Yes);
        assert_eq!(Keys::read("7", false), Keys::Other);
        assert_eq!(Keys::read("", true), Keys::None);
        assert_eq!(Keys::read("x", true), Keys::Other);
    }

    #[test]
    fn a_machine_is_its_own_outcome_and_the_words_say_each() {
        assert_eq!(
            call_outcome("completed", "machine_end_beep"),
            Some("machine")
        );
        assert_eq!(call_outcome("completed", "human"), Some("completed"));
        assert_eq!(call_outcome("no-answer", ""), Some("no-answer"));
        assert_eq!(call_outcome("queued", ""), None);
        assert_eq!(call_outcome("weird", ""), None);
    }
}
