//! Sliding-window limits on what sends a message or costs money (issue 17). Pure:
//! the caller reads when the earlier events happened, asks `Limit::check`, and on
//! a refusal tells the person, in plain words, when they can try again.
use chrono::{DateTime, Duration, Utc};

/// At most `most` events in any `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub most: usize,
    pub per: Duration,
}

impl Limit {
    pub const fn new(most: usize, per: Duration) -> Self {
        Limit { most, per }
    }

    /// `Ok` if one more event may happen now; otherwise the moment it may, when
    /// the oldest event that counts leaves the window. `earlier` in any order.
    pub fn check(self, now: DateTime<Utc>, earlier: &[DateTime<Utc>]) -> Result<(), DateTime<Utc>> {
        let mut counted: Vec<DateTime<Utc>> = earlier
            .iter()
            .copied()
            .filter(|t| *t > now - self.per && *t <= now)
            .collect();
        if counted.len() < self.most {
            return Ok(());
        }
        if self.most == 0 {
            return Err(now + self.per);
        }
        counted.sort_unstable();
        // With `most` allowed, the event that must leave first is the one that
        // leaves `most - 1` in the window.
        let leaving = counted[counted.len() - self.most];
        Err(leaving + self.per)
    }
}

/// "in 1 minute", "in 25 minutes", "in 3 hours", "tomorrow": when `at` comes,
/// seen from `now`, rounded up so the person is never told too early.
pub fn wait_words(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let minutes = ((at - now).num_seconds() + 59).div_euclid(60).max(1);
    match minutes {
        1 => "in 1 minute".into(),
        2..=90 => format!("in {minutes} minutes"),
        _ if minutes <= 20 * 60 => format!("in {} hours", (minutes + 59) / 60),
        _ => "tomorrow".into(),
    }
}

/// The words for a refusal: what was reached, and when to try again.
pub fn refusal(what: &str, now: DateTime<Utc>, retry_at: DateTime<Utc>) -> String {
    format!("{what} Please try again {}.", wait_words(now, retry_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap() + Duration::minutes(minute.into())
    }

    #[test]
    fn a_limit_counts_only_its_window_and_says_when_it_frees() {
        let three_an_hour = Limit::new(3, Duration::hours(1));
        assert_eq!(three_an_hour.check(t(30), &[t(0), t(10)]), Ok(()));
        // The third in the hour was the last allowed: the first frees a slot at 11:00.
        assert_eq!(
            three_an_hour.check(t(30), &[t(20), t(0), t(10)]),
            Err(t(60))
        );
        // Once 10:00 has left the window, one more may go.
        assert_eq!(three_an_hour.check(t(61), &[t(0), t(10), t(20)]), Ok(()));
        // Events in the future (a clock set back) do not count.
        assert_eq!(three_an_hour.check(t(0), &[t(5), t(6), t(7)]), Ok(()));
        // A limit of none refuses, and never panics.
        assert_eq!(
            Limit::new(0, Duration::hours(1)).check(t(0), &[]),
            Err(t(60))
        );
    }

    #[test]
    fn waits_are_rounded_up_into_plain_words() {
        let now = t(0);
        assert_eq!(wait_words(now, now + Duration::seconds(5)), "in 1 minute");
        assert_eq!(wait_words(now, now + Duration::seconds(61)), "in 2 minutes");
        assert_eq!(
            wait_words(now, now + Duration::minutes(90)),
            "in 90 minutes"
        );
        assert_eq!(wait_words(now, now + Duration::minutes(121)), "in 3 hours");
        assert_eq!(wait_words(now, now + Duration::hours(23)), "tomorrow");
        assert_eq!(
            refusal(
                "You have sent 3 test alerts this hour.",
                now,
                now + Duration::minutes(20)
            ),
            "You have sent 3 test alerts this hour. Please try again in 20 minutes."
        );
    }
}
