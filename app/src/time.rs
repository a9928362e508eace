//! The one place that does deadline and time-zone arithmetic (SPEC §5; seed 001
//! L5604-5669, L5875-5905). Pure: every function takes "now" and the zone as
//! arguments, so the tests can stand on any instant in any zone.
//!
//! - A Member's day is the calendar day in their zone.
//! - The deadline of a day is its local deadline time resolved in the zone: a time
//!   that DST skips moves forward by the gap (02:30 on a spring-forward night is
//!   03:30), a time that happens twice takes the first occurrence.
//! - A check-in is on time until the deadline minute ends: 10:00:59 is on time,
//!   10:01:00 is late.
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The calendar day, in `zone`, of the instant `at`.
pub fn local_day(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The instant of the deadline `time` on the local `day` in `zone`.
pub fn deadline_on(day: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let local = day.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => skipped(local, zone),
    }
}

/// A local time that never happened (a DST gap): read it with the offset in force
/// just before the gap, which lands the same distance past the gap's end.
fn skipped(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    // Gaps are at most a few hours; step back a quarter-hour at a time to the
    // last local time that existed.
    for quarters in 1..=4 * 26 {
        let before = local - Duration::minutes(15 * quarters);
        if let Some(t) = zone.from_local_datetime(&before).earliest() {
            use chrono::Offset;
            let offset = t.offset().fix();
            return Utc.from_utc_datetime(
                &(local - Duration::seconds(i64::from(offset.local_minus_utc()))),
            );
        }
    }
    // Unreachable for any real zone; read the time as UTC rather than fail.
    Utc.from_utc_datetime(&local)
}

/// Whether a check-in at `at` is on time for a deadline at `deadline` (the
/// deadline's whole minute counts).
pub fn is_on_time(at: DateTime<Utc>, deadline: DateTime<Utc>) -> bool {
    at < deadline + Duration::minutes(1)
}

/// How late a check-in at `at` is, in whole minutes (0 when on time).
pub fn minutes_late(at: DateTime<Utc>, deadline: DateTime<Utc>) -> i64 {
    if is_on_time(at, deadline) {
        0
    } else {
        (at - deadline).num_minutes()
    }
}

/// "9:45 AM", as the clock in `zone` shows `at`.
pub fn clock(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%-I:%M %p").to_string()
}

/// "9:45 AM HST": the clock time with the zone's abbreviation.
pub fn clock_with_zone(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%-I:%M %p %Z").to_string()
}

/// How a day relates to `today`: "today", "tomorrow", "yesterday", or "Monday 3 March".
pub fn day_words(day: NaiveDate, today: NaiveDate) -> String {
    match (day - today).num_days() {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        _ => day.format("%A %-d %B").to_string(),
    }
}

/// Parses an IANA zone name ("Pacific/Honolulu").
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// "10:00 AM HST · 3:00 PM your time" (just "10:00 AM" when both share a zone).
pub fn deadline_both_zones(deadline: DateTime<Utc>, theirs: Tz, mine: Tz) -> String {
    let their_clock = clock_with_zone(deadline, theirs);
    let (a, b) = (
        deadline.with_timezone(&theirs).format("%z").to_string(),
        deadline.with_timezone(&mine).format("%z").to_string(),
    );
    if a == b {
        clock(deadline, theirs)
    } else {
        format!("{their_clock} \u{b7} {} your time", clock(deadline, mine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Pacific::Honolulu;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_deadline_minute_is_on_time_and_the_next_is_late() {
        let deadline = deadline_on(day(2026, 6, 1), hm(10, 0), New_York);
        assert_eq!(deadline, utc("2026-06-01T14:00:00Z"));
        assert!(is_on_time(utc("2026-06-01T14:00:59Z"), deadline));
        assert!(!is_on_time(utc("2026-06-01T14:01:00Z"), deadline));
        assert_eq!(minutes_late(utc("2026-06-01T14:00:59Z"), deadline), 0);
        assert_eq!(minutes_late(utc("2026-06-01T14:40:00Z"), deadline), 40);
    }

    #[test]
    fn just_before_and_just_after_local_midnight_are_different_days() {
        // 11:59 PM and 12:01 AM in New York (EDT, UTC-4).
        assert_eq!(
            local_day(utc("2026-06-02T03:59:00Z"), New_York),
            day(2026, 6, 1)
        );
        assert_eq!(
            local_day(utc("2026-06-02T04:01:00Z"), New_York),
            day(2026, 6, 2)
        );
        // A deadline of 11:59 PM: a check-in at 12:01 AM belongs to the next day,
        // and is on time for it.
        let at = utc("2026-06-02T04:01:00Z");
        let today = local_day(at, New_York);
        assert!(is_on_time(at, deadline_on(today, hm(23, 59), New_York)));
        // A deadline of 12:01 AM: 12:01:30 is on time, 12:02 late.
        let early = deadline_on(day(2026, 6, 2), hm(0, 1), New_York);
        assert_eq!(early, utc("2026-06-02T04:01:00Z"));
        assert!(is_on_time(utc("2026-06-02T04:01:30Z"), early));
        assert!(!is_on_time(utc("2026-06-02T04:02:00Z"), early));
    }

    #[test]
    fn a_deadline_skipped_by_spring_forward_moves_forward_by_the_gap() {
        // 2026-03-08 in New York: 2:00 AM EST jumps to 3:00 AM EDT.
        let d = deadline_on(day(2026, 3, 8), hm(2, 30), New_York);
        assert_eq!(d, utc("2026-03-08T07:30:00Z"));
        assert_eq!(clock(d, New_York), "3:30 AM");
        // Times either side are unaffected.
        assert_eq!(
            deadline_on(day(2026, 3, 8), hm(1, 59), New_York),
            utc("2026-03-08T06:59:00Z")
        );
        assert_eq!(
            deadline_on(day(2026, 3, 8), hm(10, 0), New_York),
            utc("2026-03-08T14:00:00Z")
        );
    }

    #[test]
    fn a_deadline_repeated_by_fall_back_takes_the_first_occurrence() {
        // 2026-11-01 in New York: 1:00-2:00 AM happens twice (EDT, then EST).
        let d = deadline_on(day(2026, 11, 1), hm(1, 30), New_York);
        assert_eq!(d, utc("2026-11-01T05:30:00Z"));
        assert_eq!(clock_with_zone(d, New_York), "1:30 AM EDT");
        assert_eq!(
            deadline_on(day(2026, 11, 1), hm(10, 0), New_York),
            utc("2026-11-01T15:00:00Z")
        );
    }

    #[test]
    fn a_honolulu_member_seen_from_new_york() {
        let d = deadline_on(day(2026, 11, 26), hm(10, 0), Honolulu);
        assert_eq!(d, utc("2026-11-26T20:00:00Z"));
        assert_eq!(clock_with_zone(d, Honolulu), "10:00 AM HST");
        assert_eq!(clock(d, New_York), "3:00 PM");
        // Late evening in New York is still the same afternoon in Honolulu.
        let evening = utc("2026-11-27T03:30:00Z");
        assert_eq!(local_day(evening, New_York), day(2026, 11, 26));
        assert_eq!(local_day(evening, Honolulu), day(2026, 11, 26));
        // After New York's midnight, Honolulu is still on the 26th.
        let past_midnight = utc("2026-11-27T06:00:00Z");
        assert_eq!(local_day(past_midnight, New_York), day(2026, 11, 27));
        assert_eq!(local_day(past_midnight, Honolulu), day(2026, 11, 26));
    }

    #[test]
    fn a_time_zone_change_mid_day_moves_the_day_and_the_deadline() {
        // 9:00 AM in New York (14:00Z) is 4:00 AM in Honolulu.
        let now = utc("2026-11-26T14:00:00Z");
        let before = deadline_on(local_day(now, New_York), hm(10, 0), New_York);
        assert_eq!(before, utc("2026-11-26T15:00:00Z"));
        let after = deadline_on(local_day(now, Honolulu), hm(10, 0), Honolulu);
        assert_eq!(after, utc("2026-11-26T20:00:00Z"));
        // Flying east instead at 11:30 PM Honolulu (09:30Z next day), the New York
        // day is already the 27th and its deadline is still ahead.
        let late = utc("2026-11-27T09:30:00Z");
        assert_eq!(local_day(late, Honolulu), day(2026, 11, 26));
        assert_eq!(
            deadline_on(local_day(late, New_York), hm(10, 0), New_York),
            utc("2026-11-27T15:00:00Z")
        );
    }

    #[test]
    fn days_and_zones_read_as_words() {
        let today = day(2026, 11, 26);
        assert_eq!(day_words(today, today), "today");
        assert_eq!(day_words(day(2026, 11, 27), today), "tomorrow");
        assert_eq!(day_words(day(2026, 11, 25), today), "yesterday");
        assert_eq!(day_words(day(2026, 12, 1), today), "Tuesday 1 December");
        assert_eq!(parse_zone(" Pacific/Honolulu "), Some(Honolulu));
        assert_eq!(parse_zone("Mars/Olympus_Mons"), None);
    }

    #[test]
    fn a_deadline_reads_in_both_zones_only_when_they_differ() {
        let d = DateTime::parse_from_rfc3339("2026-11-26T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            deadline_both_zones(
                d,
                chrono_tz::Pacific::Honolulu,
                chrono_tz::America::New_York
            ),
            "10:00 AM HST \u{b7} 3:00 PM your time"
        );
        assert_eq!(
            deadline_both_zones(
                d,
                chrono_tz::Pacific::Honolulu,
                chrono_tz::Pacific::Honolulu
            ),
            "10:00 AM"
        );
    }
}
