//! Check-in windows (issue 22): 1 to 4 check-ins a day, each with its own time,
//! optionally on some days of the week only. Pure: the shared types and their
//! validation (browser and server), and (server only) the time rules that turn
//! a schedule's windows into deadlines in the Member's zone.
//!
//! - A window is a time of day and the weekdays it applies on.
//! - On a local day, that day's windows in time order are its *slots* 0, 1, …:
//!   each slot is its own check-in, with its own reminder, miss and alert.
//! - A slot opens for check-ins at the start of the day (the first) or halfway
//!   from the slot before's deadline (the others): an evening check-in cannot
//!   be made in the morning. A tap checks in for the latest slot that has
//!   opened and has no check-in (late, if its deadline passed).
use super::rules::DeadlineTime;
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// At most this many check-ins on any one day.
pub const MAX_PER_DAY: usize = 4;
/// At most this many windows in a schedule (per-weekday windows count apart;
/// the form has this many rows).
pub const MAX_WINDOWS: usize = 4;
/// Two check-ins on one day are at least this far apart (room for each one's
/// reminder and wait before the next).
pub const MIN_GAP_MINUTES: i64 = 120;

pub const DAYS_MESSAGE: &str =
    "Please choose which days: every day, weekdays, weekends or one day of the week.";
pub const TOO_MANY_MESSAGE: &str = "Please choose at most 4 check-ins on any day.";
pub const GAP_MESSAGE: &str =
    "Check-ins on the same day need to be at least 2 hours apart. Please choose times further apart.";
pub const SAME_MESSAGE: &str =
    "Two of your check-ins have the same time and day. Please change one, or leave it empty.";

/// Weekdays as a bit mask: Monday 1, Tuesday 2, … Sunday 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Days(pub u8);

impl Days {
    pub const EVERY_DAY: Days = Days(127);
    pub const WEEKDAYS: Days = Days(31);
    pub const WEEKENDS: Days = Days(96);

    /// The choices the form offers, as (value, words).
    pub const CHOICES: [(&'static str, &'static str); 10] = [
        ("every", "Every day"),
        ("weekdays", "Weekdays (Monday to Friday)"),
        ("weekends", "Weekends (Saturday and Sunday)"),
        ("mon", "Mondays"),
        ("tue", "Tuesdays"),
        ("wed", "Wednesdays"),
        ("thu", "Thursdays"),
        ("fri", "Fridays"),
        ("sat", "Saturdays"),
        ("sun", "Sundays"),
    ];

    pub fn of(day: Weekday) -> Days {
        Days(1 << day.num_days_from_monday())
    }

    pub fn has(self, day: Weekday) -> bool {
        self.0 & Days::of(day).0 != 0
    }

    /// Reads a form value (see [`Days::CHOICES`]); empty means every day.
    pub fn parse(raw: &str) -> Result<Days, &'static str> {
        let day = |d: Weekday| Ok(Days::of(d));
        match raw.trim() {
            "" | "every" => Ok(Days::EVERY_DAY),
            "weekdays" => Ok(Days::WEEKDAYS),
            "weekends" => Ok(Days::WEEKENDS),
            "mon" => day(Weekday::Mon),
            "tue" => day(Weekday::Tue),
            "wed" => day(Weekday::Wed),
            "thu" => day(Weekday::Thu),
            "fri" => day(Weekday::Fri),
            "sat" => day(Weekday::Sat),
            "sun" => day(Weekday::Sun),
            _ => Err(DAYS_MESSAGE),
        }
    }

    /// The form value of a stored mask (a mask the form cannot make reads as
    /// every day, which the stored schedule never holds).
    pub fn value(self) -> &'static str {
        Days::CHOICES
            .iter()
            .find(|(v, _)| Days::parse(v) == Ok(self))
            .map_or("every", |(v, _)| v)
    }

    /// "every day", "weekdays", "Saturdays".
    pub fn words(self) -> String {
        match self.value() {
            "every" => "every day".into(),
            "weekdays" => "weekdays".into(),
            "weekends" => "weekends".into(),
            v => Days::CHOICES
                .iter()
                .find(|(c, _)| *c == v)
                .map_or_else(String::new, |(_, w)| (*w).to_string()),
        }
    }
}

/// One check-in time and the days it applies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub time: NaiveTime,
    pub days: Days,
}

/// The times of `windows` that apply on `day`, in time order: the day's slots.
pub fn times_on(windows: &[Window], day: Weekday) -> Vec<NaiveTime> {
    let mut times: Vec<NaiveTime> = windows
        .iter()
        .filter(|w| w.days.has(day))
        .map(|w| w.time)
        .collect();
    times.sort();
    times.dedup();
    times
}

/// Checks a whole schedule: 1 to [`MAX_WINDOWS`] windows, no two the same, at
/// most [`MAX_PER_DAY`] on any day, and those of a day 2 hours apart.
pub fn check(windows: &[Window]) -> Result<(), &'static str> {
    if windows.is_empty() {
        return Err(super::rules::TIME_MESSAGE);
    }
    if windows.len() > MAX_WINDOWS {
        return Err(TOO_MANY_MESSAGE);
    }
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ] {
        let all: Vec<NaiveTime> = windows
            .iter()
            .filter(|w| w.days.has(day))
            .map(|w| w.time)
            .collect();
        let times = times_on(windows, day);
        if times.len() != all.len() {
            return Err(SAME_MESSAGE);
        }
        if times.len() > MAX_PER_DAY {
            return Err(TOO_MANY_MESSAGE);
        }
        if times
            .windows(2)
            .any(|p| (p[1] - p[0]).num_minutes() < MIN_GAP_MINUTES)
        {
            return Err(GAP_MESSAGE);
        }
    }
    Ok(())
}

/// Reads the schedule form's windows: (time, days) pairs, the first required,
/// the others skipped when their time is empty.
pub fn parse_form(pairs: &[(&str, &str)]) -> Result<Vec<Window>, &'static str> {
    let mut windows = Vec::new();
    for (i, (time, days)) in pairs.iter().enumerate() {
        if i > 0 && time.trim().is_empty() {
            continue;
        }
        windows.push(Window {
            time: DeadlineTime::parse(time)?.0,
            days: Days::parse(days)?,
        });
    }
    check(&windows)?;
    Ok(windows)
}

/// The words for a slot: "your 8:00 PM check-in". `clock` is its time as the
/// Member reads it.
pub fn slot_words(clock: &str) -> String {
    format!("your {clock} check-in")
}

#[cfg(feature = "ssr")]
pub use zoned::*;

/// The windows' deadlines in a zone (server only: it needs the tz database).
#[cfg(feature = "ssr")]
mod zoned {
    use super::{times_on, Window};
    use crate::time::{deadline_on, local_day};
    use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
    use chrono_tz::Tz;

    /// One check-in of one day.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Slot {
        pub day: NaiveDate,
        pub slot: i16,
        pub deadline: DateTime<Utc>,
    }

    /// The slots of the local `day` in `zone`, in time order.
    pub fn slots_on(windows: &[Window], day: NaiveDate, zone: Tz) -> Vec<Slot> {
        times_on(windows, day.weekday())
            .into_iter()
            .enumerate()
            .map(|(i, t)| Slot {
                day,
                slot: i as i16,
                deadline: deadline_on(day, t, zone),
            })
            .collect()
    }

    /// The slots of `day`, with the one the schedule watches (`next`, slot
    /// `next_slot`) at its moved time when it was moved later that day
    /// ("I'm running late"; nothing else moves a check-in later on its day).
    pub fn slots_today(
        windows: &[Window],
        day: NaiveDate,
        zone: Tz,
        next: DateTime<Utc>,
        next_slot: i16,
    ) -> Vec<Slot> {
        let mut slots = slots_on(windows, day, zone);
        for s in &mut slots {
            if s.slot == next_slot && next > s.deadline && local_day(next, zone) == day {
                s.deadline = next;
            }
        }
        slots
    }

    /// The slot after slot `slot` of `day`: the next of that day, else the
    /// first of the next day that has one (a schedule has a window on some day
    /// of every week; `None` only for an empty schedule).
    pub fn after(windows: &[Window], day: NaiveDate, slot: i16, zone: Tz) -> Option<Slot> {
        if let Some(s) = slots_on(windows, day, zone)
            .into_iter()
            .find(|s| s.slot > slot)
        {
            return Some(s);
        }
        (1..=7).find_map(|n| {
            slots_on(windows, day + Duration::days(n), zone)
                .into_iter()
                .next()
        })
    }

    /// The first slot of `day` (or of the next day that has one).
    pub fn first_of(windows: &[Window], day: NaiveDate, zone: Tz) -> Option<Slot> {
        slots_on(windows, day, zone)
            .into_iter()
            .next()
            .or_else(|| after(windows, day, i16::MAX, zone))
    }

    /// The first slot whose deadline is still ahead at `now`: where a new
    /// schedule begins (nobody is alerted about a check-in that was due before
    /// the Member had a schedule).
    pub fn first_ahead(windows: &[Window], now: DateTime<Utc>, zone: Tz) -> Option<Slot> {
        let mut s = first_of(windows, local_day(now, zone), zone)?;
        for _ in 0..(7 * super::MAX_PER_DAY) {
            if s.deadline > now {
                return Some(s);
            }
            s = after(windows, s.day, s.slot, zone)?;
        }
        None
    }

    /// When slot `i` of a day opens for check-ins: the start of the day for the
    /// first, else halfway from the slot before's deadline to its own.
    pub fn opens_at(slots: &[Slot], i: usize) -> Option<DateTime<Utc>> {
        match i {
            0 => None,
            _ => {
                let (before, own) = (slots.get(i - 1)?.deadline, slots.get(i)?.deadline);
                Some(before + (own - before) / 2)
            }
        }
    }

    /// What a tap of "I'm OK" at `now` does, given today's slots (each with
    /// whether it has a check-in).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Tap {
        /// Check in for slot `i`.
        Record(usize),
        /// Slot `i`, the latest open, has its check-in already.
        Already(usize),
        /// No slot today (a day without a check-in).
        NoneToday,
    }

    /// The latest slot that has opened at `now` and has no check-in; else the
    /// latest open slot (checked in already).
    pub fn tap(slots: &[Slot], checked: &[bool], now: DateTime<Utc>) -> Tap {
        let open: Vec<usize> = (0..slots.len())
            .filter(|&i| opens_at(slots, i).is_none_or(|at| at <= now))
            .collect();
        if let Some(&i) = open
            .iter()
            .rev()
            .find(|&&i| !checked.get(i).copied().unwrap_or(false))
        {
            return Tap::Record(i);
        }
        match open.last() {
            Some(&i) => Tap::Already(i),
            None => Tap::NoneToday,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str, d: &str) -> Window {
        Window {
            time: DeadlineTime::parse(t).unwrap().0,
            days: Days::parse(d).unwrap(),
        }
    }

    #[test]
    fn days_read_and_write_as_the_form_offers_them() {
        for (value, _) in Days::CHOICES {
            let d = Days::parse(value).unwrap();
            assert_eq!(d.value(), value);
        }
        assert_eq!(Days::parse(""), Ok(Days::EVERY_DAY));
        assert_eq!(Days::parse("fortnightly"), Err(DAYS_MESSAGE));
        assert!(Days::WEEKDAYS.has(Weekday::Fri));
        assert!(!Days::WEEKDAYS.has(Weekday::Sat));
        assert!(Days::WEEKENDS.has(Weekday::Sun));
        assert_eq!(Days::parse("sat").unwrap().words(), "Saturdays");
        assert_eq!(Days::WEEKDAYS.words(), "weekdays");
    }

    #[test]
    fn a_day_has_the_windows_of_its_weekday_in_time_order() {
        let s = [
            w("20:00", "every"),
            w("11:00", "weekends"),
            w("09:00", "weekdays"),
        ];
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert_eq!(times_on(&s, Weekday::Wed), vec![t(9), t(20)]);
        assert_eq!(times_on(&s, Weekday::Sat), vec![t(11), t(20)]);
        assert_eq!(check(&s), Ok(()));
    }

    #[test]
    fn a_schedule_keeps_to_four_a_day_two_hours_apart() {
        assert_eq!(check(&[]), Err(crate::checkin::rules::TIME_MESSAGE));
        assert_eq!(
            check(&[w("09:00", "every"), w("10:30", "every")]),
            Err(GAP_MESSAGE)
        );
        // 10:30 on weekends only does not meet 09:00 on weekdays.
        assert_eq!(
            check(&[w("09:00", "weekdays"), w("10:30", "weekends")]),
            Ok(())
        );
        assert_eq!(
            check(&[w("09:00", "every"), w("09:00", "sat")]),
            Err(SAME_MESSAGE)
        );
        let five = ["06:00", "09:00", "12:00", "15:00", "18:00"].map(|t| w(t, "every"));
        assert_eq!(check(&five), Err(TOO_MANY_MESSAGE));
        assert_eq!(check(&five[..4]), Ok(()));
        let seven = [
            "06:00", "08:00", "10:00", "12:00", "14:00", "16:00", "18:00",
        ]
        .map(|t| w(t, "mon"));
        assert_eq!(check(&seven), Err(TOO_MANY_MESSAGE));
    }

    #[test]
    fn the_form_needs_a_first_time_and_skips_empty_others() {
        assert_eq!(
            parse_form(&[("09:00", "every"), ("", "every"), (" ", "weekends")]),
            Ok(vec![w("09:00", "every")])
        );
        assert_eq!(
            parse_form(&[("", "every"), ("20:00", "every")]),
            Err(crate::checkin::rules::TIME_MESSAGE)
        );
        assert_eq!(
            parse_form(&[("09:00", "every"), ("01:00", "every")]),
            Err(crate::checkin::rules::EARLY_MESSAGE)
        );
        assert_eq!(
            parse_form(&[
                ("09:00", "weekdays"),
                ("11:00", "weekends"),
                ("20:00", "every")
            ]),
            Ok(vec![
                w("09:00", "weekdays"),
                w("11:00", "weekends"),
                w("20:00", "every")
            ])
        );
        assert_eq!(parse_form(&[("09:00", "someday")]), Err(DAYS_MESSAGE));
    }

    #[cfg(feature = "ssr")]
    mod zoned_rules {
        use super::super::*;
        use super::w;
        use crate::time::{deadline_on, local_day};
        use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
        use chrono_tz::Tz;

        fn day(s: &str) -> NaiveDate {
            s.parse().unwrap()
        }

        fn at(zone: Tz, d: &str, h: u32, m: u32) -> DateTime<Utc> {
            let d = day(d);
            zone.with_ymd_and_hms(d.year(), d.month(), d.day(), h, m, 0)
                .earliest()
                .unwrap()
                .with_timezone(&Utc)
        }

        /// Every slot of every day across the DST changes of New York and Lord
        /// Howe (half an hour), and in Apia: each deadline falls on its own
        /// local day, slots keep their order, and walking `after` from one
        /// slot visits every slot of the following days once, in order.
        #[test]
        fn slots_walk_in_order_across_dst_in_every_zone() {
            let s = [
                w("09:00", "weekdays"),
                w("11:00", "weekends"),
                w("20:00", "every"),
            ];
            for (zone, from) in [
                ("America/New_York", "2026-03-05"),
                ("America/New_York", "2026-10-29"),
                ("Australia/Lord_Howe", "2026-04-02"),
                ("Australia/Lord_Howe", "2026-10-01"),
                ("Pacific/Apia", "2026-12-28"),
            ] {
                let tz: Tz = zone.parse().unwrap();
                let mut s0 = first_of(&s, day(from), tz).unwrap();
                let mut seen = 0;
                while s0.day < day(from) + Duration::days(8) {
                    assert_eq!(local_day(s0.deadline, tz), s0.day, "{zone} {s0:?}");
                    let hour = s0.deadline.with_timezone(&tz).format("%H:%M").to_string();
                    let weekend = s0.day.weekday().number_from_monday() >= 6;
                    let want = match (s0.slot, weekend) {
                        (0, false) => "09:00",
                        (0, true) => "11:00",
                        _ => "20:00",
                    };
                    assert_eq!(hour, want, "{zone} {s0:?}");
                    let next = after(&s, s0.day, s0.slot, tz).unwrap();
                    assert!(next.deadline > s0.deadline, "{zone} {s0:?}");
                    s0 = next;
                    seen += 1;
                }
                assert_eq!(seen, 16, "{zone}: two a day for 8 days");
            }
        }

        #[test]
        fn a_weekend_time_applies_on_saturday_and_sunday_only() {
            let tz: Tz = "Europe/London".parse().unwrap();
            let s = [w("09:00", "weekdays"), w("11:00", "weekends")];
            // Friday 4 December 2026, after 9:00: next is Saturday at 11:00.
            let fri = day("2026-12-04");
            let next = after(&s, fri, 0, tz).unwrap();
            assert_eq!(next.day, day("2026-12-05"));
            assert_eq!(next.deadline, at(tz, "2026-12-05", 11, 0));
            // Sunday's is followed by Monday's at 9:00.
            let mon = after(&s, day("2026-12-06"), 0, tz).unwrap();
            assert_eq!(mon.deadline, at(tz, "2026-12-07", 9, 0));
            // Only Saturdays: a week on.
            let sat = [w("10:00", "sat")];
            assert_eq!(
                after(&sat, day("2026-12-05"), 0, tz).unwrap().day,
                day("2026-12-12")
            );
        }

        #[test]
        fn a_new_schedule_begins_at_the_first_time_still_ahead() {
            let tz: Tz = "Pacific/Apia".parse().unwrap();
            let s = [w("09:00", "every"), w("20:00", "every")];
            let d = "2026-12-31";
            assert_eq!(first_ahead(&s, at(tz, d, 8, 0), tz).unwrap().slot, 0);
            let evening = first_ahead(&s, at(tz, d, 9, 0), tz).unwrap();
            assert_eq!((evening.day, evening.slot), (day(d), 1));
            let tomorrow = first_ahead(&s, at(tz, d, 21, 0), tz).unwrap();
            assert_eq!((tomorrow.day, tomorrow.slot), (day("2027-01-01"), 0));
        }

        #[test]
        fn a_day_moved_later_keeps_its_new_time_and_only_that_day() {
            use crate::time::deadline_on;
            use chrono::NaiveTime;
            let zone: chrono_tz::Tz = "Australia/Lord_Howe".parse().expect("zone");
            let day: chrono::NaiveDate = "2026-10-04".parse().expect("day");
            let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
            let eight = NaiveTime::from_hms_opt(20, 0, 0).unwrap();
            let w = [
                Window {
                    time: ten,
                    days: Days::EVERY_DAY,
                },
                Window {
                    time: eight,
                    days: Days::EVERY_DAY,
                },
            ];
            let usual = deadline_on(day, ten, zone);
            let evening = deadline_on(day, eight, zone);
            let moved = usual + chrono::Duration::hours(2);
            let deadlines = |next, slot| -> Vec<_> {
                slots_today(&w, day, zone, next, slot)
                    .iter()
                    .map(|s| s.deadline)
                    .collect()
            };
            assert_eq!(deadlines(moved, 0), vec![moved, evening]);
            // The same instant watched for the evening slot moves nothing.
            assert_eq!(deadlines(moved, 1), vec![usual, evening]);
            // The next deadline on another day (tomorrow's, after a check-in) leaves
            // today's as they are.
            let tomorrow = deadline_on(day.succ_opt().unwrap(), ten, zone);
            assert_eq!(deadlines(tomorrow, 0), vec![usual, evening]);
            assert_eq!(deadlines(usual, 0), vec![usual, evening]);
        }

        /// 09:00 and 20:00 in New York on the day the clocks go back: the
        /// evening opens halfway (2:30 PM); a tap checks in the latest open
        /// slot without a check-in.
        #[test]
        fn a_tap_checks_in_the_latest_open_window() {
            let tz: Tz = "America/New_York".parse().unwrap();
            let d = "2026-11-01";
            let s = [w("09:00", "every"), w("20:00", "every")];
            let slots = slots_on(&s, day(d), tz);
            assert_eq!(slots.len(), 2);
            assert_eq!(opens_at(&slots, 1), Some(at(tz, d, 14, 30)));
            let now = |h, m| at(tz, d, h, m);
            // Morning, before and after its deadline (late), until the evening opens.
            assert_eq!(tap(&slots, &[false, false], now(8, 0)), Tap::Record(0));
            assert_eq!(tap(&slots, &[false, false], now(10, 0)), Tap::Record(0));
            assert!(!crate::time::is_on_time(now(10, 0), slots[0].deadline));
            assert_eq!(tap(&slots, &[true, false], now(10, 0)), Tap::Already(0));
            assert_eq!(tap(&slots, &[false, false], now(14, 29)), Tap::Record(0));
            // From 2:30 PM, the evening's (a missed morning is resolved by any
            // check-in; it is not recorded as on time).
            assert_eq!(tap(&slots, &[false, false], now(14, 30)), Tap::Record(1));
            assert_eq!(tap(&slots, &[true, false], now(19, 0)), Tap::Record(1));
            assert!(crate::time::is_on_time(now(20, 0), slots[1].deadline));
            assert_eq!(tap(&slots, &[true, true], now(21, 0)), Tap::Already(1));
            // The evening done, a morning left open is still checked in.
            assert_eq!(tap(&slots, &[false, true], now(21, 0)), Tap::Record(0));
            assert_eq!(tap(&[], &[], now(9, 0)), Tap::NoneToday);
            // One window: open all day.
            let one = slots_on(&[w("10:00", "every")], day(d), tz);
            assert_eq!(tap(&one, &[false], now(3, 0)), Tap::Record(0));
            assert_eq!(tap(&one, &[false], now(23, 0)), Tap::Record(0));
            assert_eq!(
                slots[1].deadline,
                deadline_on(
                    day(d),
                    chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
                    tz
                )
            );
        }
    }
}
