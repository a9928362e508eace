//! The weekly summary's pure rules: the week it covers, how a day counts, and
//! what it says.
use chrono::{Datelike, NaiveDate};

/// From this hour on Monday (the Contact's own clock) the summary of the
/// Monday-to-Sunday just ended is due (the claim's SQL reads it).
pub const SEND_FROM_HOUR: i32 = 8;

/// How one of a Member's days went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    OnTime,
    Late,
    Missed,
    Paused,
    /// Not counted (before her schedule began, or not due).
    NotDue,
}

/// A day from its facts: a check-in (late or not) counts as one, even after an
/// alert; else a pause; else a missed check-in the detector recorded.
pub fn day_of(checkin_late: Option<bool>, paused: bool, missed: bool) -> Day {
    match (checkin_late, paused, missed) {
        (Some(false), _, _) => Day::OnTime,
        (Some(true), _, _) => Day::Late,
        (None, true, _) => Day::Paused,
        (None, false, true) => Day::Missed,
        (None, false, false) => Day::NotDue,
    }
}

/// A Member's week, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Week {
    pub on_time: u32,
    pub late: u32,
    pub missed: u32,
    pub paused: u32,
}

impl Week {
    pub fn count(days: impl IntoIterator<Item = Day>) -> Week {
        let mut w = Week::default();
        for d in days {
            match d {
                Day::OnTime => w.on_time += 1,
                Day::Late => w.late += 1,
                Day::Missed => w.missed += 1,
                Day::Paused => w.paused += 1,
                Day::NotDue => {}
            }
        }
        w
    }

    /// "Mum: 5 on time, 1 late, 1 missed." / "Mum: away all week."
    pub fn words(&self, name: &str) -> String {
        let mut parts = Vec::new();
        if self.on_time > 0 {
            parts.push(format!("{} on time", self.on_time));
        }
        if self.late > 0 {
            parts.push(format!("{} late", self.late));
        }
        if self.missed > 0 {
            parts.push(format!("{} missed", self.missed));
        }
        if self.paused > 0 {
            let days = if self.paused == 1 { "day" } else { "days" };
            parts.push(format!("{} {days} paused", self.paused));
        }
        if parts.is_empty() {
            return format!("{name}: no check-ins were due.");
        }
        format!("{name}: {}.", parts.join(", "))
    }
}

/// "Monday 16 to Sunday 22 November".
pub fn week_words(start: NaiveDate) -> String {
    let end = start + chrono::Duration::days(6);
    if start.month() == end.month() {
        format!(
            "Monday {} to Sunday {}",
            start.format("%-d"),
            end.format("%-d %B")
        )
    } else {
        format!(
            "Monday {} to Sunday {}",
            start.format("%-d %B"),
            end.format("%-d %B")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_counts_each_day_once_and_reads_plainly() {
        let days = [
            day_of(Some(false), false, false),
            day_of(Some(false), false, false),
            day_of(Some(true), false, true), // late, after an alert
            day_of(None, false, true),
            day_of(None, true, false),
            day_of(Some(false), true, false), // checked in on a paused day
            day_of(None, false, false),
        ];
        let w = Week::count(days);
        assert_eq!(
            w,
            Week {
                on_time: 3,
                late: 1,
                missed: 1,
                paused: 1
            }
        );
        assert_eq!(
            w.words("Mum"),
            "Mum: 3 on time, 1 late, 1 missed, 1 day paused."
        );
        assert_eq!(Week::default().words("Dad"), "Dad: no check-ins were due.");
        assert_eq!(
            week_words("2026-11-16".parse().unwrap()),
            "Monday 16 to Sunday 22 November"
        );
        assert_eq!(
            week_words("2026-11-30".parse().unwrap()),
            "Monday 30 November to Sunday 6 December"
        );
    }
}
