//! The check-in's shared types and validation (SPEC §5), used by the browser's
//! forms and the server's functions alike. No I/O and no time-zone data: the
//! zone name is checked against the tz database on the server (`time::parse_zone`).
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

pub const DEFAULT_DEADLINE: &str = "10:00";
pub const GRACE_CHOICES: [u16; 4] = [0, 15, 30, 60];
pub const DEFAULT_GRACE: u16 = 15;
pub const LEAD_CHOICES: [u16; 3] = [15, 30, 60];
pub const DEFAULT_LEAD: u16 = 60;
/// The longest pause, in days, first and last day included.
pub const MAX_PAUSE_DAYS: i64 = 90;
/// Days of history on a Member's page.
pub const HISTORY_DAYS: i64 = 30;

pub const TIME_MESSAGE: &str = "Please choose a time of day, like 10:00.";
/// Deadlines start at 3:00 AM (the midnight rule; see [`DeadlineTime::parse`]).
pub const EARLIEST_DEADLINE_HOUR: u32 = 3;
pub const EARLY_MESSAGE: &str = "Please choose a time from 3:00 AM to 11:59 PM. A time just after midnight is easy to mix up with the day before: for a late-night check-in, choose 11:30 PM.";
pub const GRACE_MESSAGE: &str = "Please choose how long to wait: 0, 15, 30 or 60 minutes.";
pub const LEAD_MESSAGE: &str = "Please choose a reminder 15, 30 or 60 minutes before.";
pub const ZONE_MESSAGE: &str = "Please choose your time zone from the list, like America/New_York.";
pub const DATE_MESSAGE: &str = "Please choose the first and the last day, like 2026-12-24.";
pub const PAUSE_ORDER_MESSAGE: &str = "The last day can\u{2019}t be before the first day.";
pub const PAUSE_LENGTH_MESSAGE: &str = "A pause can be at most 90 days.";

/// A deadline time of day, "HH:MM" (24-hour, as an `<input type="time">` sends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineTime(pub NaiveTime);

impl DeadlineTime {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        // `type="time"` may add seconds ("10:00:00"); they are ignored.
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        let parts: Vec<&str> = raw.split(':').collect();
        let (h, m) = match parts.as_slice() {
            [h, m] | [h, m, _] if parts.get(2).is_none_or(|s| two_digits(s)) => (*h, *m),
            _ => return Err(TIME_MESSAGE),
        };
        if !two_digits(h) || !two_digits(m) {
            return Err(TIME_MESSAGE);
        }
        let (h, m) = (
            h.parse::<u32>().map_err(|_| TIME_MESSAGE)?,
            m.parse::<u32>().map_err(|_| TIME_MESSAGE)?,
        );
        let time = NaiveTime::from_hms_opt(h, m, 0).ok_or(TIME_MESSAGE)?;
        // The midnight rule: "by 12:30 AM" is easily read as the end of the day
        // before, and a reminder an hour ahead of it would fall on that day.
        // From 3:00 AM, a deadline, its reminders and its check-ins all fall on
        // one calendar day.
        if h < EARLIEST_DEADLINE_HOUR {
            return Err(EARLY_MESSAGE);
        }
        Ok(DeadlineTime(time))
    }

    pub fn as_hhmm(&self) -> String {
        self.0.format("%H:%M").to_string()
    }
}

/// "I'm running late": how much later today's time can move (once, before it passes).
pub const LATE_CHOICES: [u16; 4] = [30, 60, 120, 180];
pub const LATE_PAST_NEXT_MESSAGE: &str =
    "That would be at or after your next check-in today. Please choose a shorter time.";
pub const LATE_CHOICE_MESSAGE: &str = "Please choose 30 minutes, or 1, 2 or 3 hours.";

/// Where today stands, for moving its time later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateDay {
    pub checked_in: bool,
    pub paused: bool,
    /// Today's time was moved already.
    pub moved: bool,
}

#[cfg(feature = "ssr")]
/// Today's new deadline when it moves `minutes` later (one of [`LATE_CHOICES`])
/// at `now`: only before it passes, once a day, not after a check-in or on a
/// paused day, and never past the end of the day (the midnight rule).
pub fn move_later(
    now: chrono::DateTime<chrono::Utc>,
    deadline: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
    day: LateDay,
    minutes: u16,
    next_check_in: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<chrono::DateTime<chrono::Utc>, &'static str> {
    use crate::time::{is_on_time, local_day};
    if !LATE_CHOICES.contains(&minutes) {
        return Err(LATE_CHOICE_MESSAGE);
    }
    if day.checked_in {
        return Err("You\u{2019}ve already checked in today.");
    }
    if day.paused {
        return Err("Today is paused: there is nothing to move.");
    }
    if day.moved {
        return Err("Today\u{2019}s time has already been moved once.");
    }
    if !is_on_time(now, deadline) {
        return Err("Today\u{2019}s time has passed. Please check in now.");
    }
    let later = deadline + chrono::Duration::minutes(i64::from(minutes));
    if local_day(later, zone) != local_day(deadline, zone) {
        return Err("That would be after midnight. Please choose a shorter time.");
    }
    if next_check_in.is_some_and(|next| later >= next) {
        return Err(LATE_PAST_NEXT_MESSAGE);
    }
    Ok(later)
}

/// Parses the "how much later" choice.
pub fn parse_late(raw: &str) -> Result<u16, &'static str> {
    choice(raw, &LATE_CHOICES, LATE_CHOICE_MESSAGE)
}

/// "30 minutes", "1 hour", "3 hours".
pub fn late_choice_words(minutes: u16) -> String {
    match minutes {
        60 => "1 hour".into(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        m => format!("{m} minutes"),
    }
}

/// Minutes from a fixed list of choices.
fn choice(raw: &str, choices: &[u16], message: &'static str) -> Result<u16, &'static str> {
    raw.trim()
        .parse::<u16>()
        .ok()
        .filter(|m| choices.contains(m))
        .ok_or(message)
}

pub fn parse_grace(raw: &str) -> Result<u16, &'static str> {
    choice(raw, &GRACE_CHOICES, GRACE_MESSAGE)
}

pub fn parse_lead(raw: &str) -> Result<u16, &'static str> {
    choice(raw, &LEAD_CHOICES, LEAD_MESSAGE)
}

/// A zone name's shape ("Area/City", letters, digits, `_ - + /`); whether the zone
/// exists is the server's question.
pub fn zone_shape(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(ZONE_MESSAGE)
    }
}

/// A zone as people say it: "America/Chicago" is "Chicago",
/// "America/Argentina/Buenos_Aires" is "Buenos Aires", "Etc/GMT+10" is "GMT+10".
pub fn place_of(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

/// The travel question, in her words.
pub fn travel_words(place: &str) -> String {
    format!("You seem to be in {place} time. Use it for your check-ins while you\u{2019}re away?")
}

/// A pause from its first to its last day, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRange {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl PauseRange {
    pub fn parse(first: &str, last: &str) -> Result<Self, &'static str> {
        let date =
            |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| DATE_MESSAGE);
        let (first, last) = (date(first)?, date(last)?);
        if last < first {
            return Err(PAUSE_ORDER_MESSAGE);
        }
        if (last - first).num_days() + 1 > MAX_PAUSE_DAYS {
            return Err(PAUSE_LENGTH_MESSAGE);
        }
        Ok(PauseRange { first, last })
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first <= day && day <= self.last
    }
}

/// How a day went, on a Member's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayOutcome {
    OnTime,
    Late,
    Missed,
    Paused,
    /// Today, before anything happened; or a day before the schedule began.
    Open,
}

impl DayOutcome {
    pub fn words(self) -> &'static str {
        match self {
            DayOutcome::OnTime => "Checked in on time",
            DayOutcome::Late => "Checked in late",
            DayOutcome::Missed => "Missed",
            DayOutcome::Paused => "Paused",
            DayOutcome::Open => "\u{2014}",
        }
    }

    /// Decides a past or present day from what is recorded about it.
    pub fn of(
        checked_in_late: Option<bool>,
        paused: bool,
        deadline_passed: bool,
        scheduled: bool,
    ) -> Self {
        match (checked_in_late, paused) {
            (Some(false), _) => DayOutcome::OnTime,
            (Some(true), _) => DayOutcome::Late,
            (None, true) => DayOutcome::Paused,
            (None, false) if deadline_passed && scheduled => DayOutcome::Missed,
            _ => DayOutcome::Open,
        }
    }
}

/// The countdown to a deadline `minutes` ahead: "in 2 hours 5 minutes",
/// "in 1 minute", "now"; a deadline passed reads "now" too (the page then asks
/// for the tap).
pub fn countdown_words(minutes: i64) -> String {
    if minutes <= 0 {
        return "now".into();
    }
    let (h, m) = (minutes / 60, minutes % 60);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (h, m) {
        (0, m) => format!("in {}", unit(m, "minute", "minutes")),
        (h, 0) => format!("in {}", unit(h, "hour", "hours")),
        (h, m) => format!(
            "in {} {}",
            unit(h, "hour", "hours"),
            unit(m, "minute", "minutes")
        ),
    }
}

/// The Member's home just after her time passed (inside the wait before
/// anyone is told).
pub const LATE_WORDS: &str =
    "Your check-in time has passed. Tap \u{201c}I\u{2019}m OK\u{201d} now so nobody worries.";

/// The Member's home once her day is missed: kindly, who was told, and that the
/// button still works. `told` is who was alerted (empty when nobody was, or not
/// yet).
pub fn missed_words(told: &[String]) -> String {
    let ok = "\u{201c}I\u{2019}m OK\u{201d}";
    match told {
        [] => format!(
            "You haven\u{2019}t checked in today. Tap {ok} to let your family know you\u{2019}re fine."
        ),
        [one] => format!("{one} has been told. Tap {ok} to let {one} know you\u{2019}re fine."),
        [first @ .., last] => format!(
            "{} and {last} have been told. Tap {ok} to let them know you\u{2019}re fine.",
            first.join(", ")
        ),
    }
}

/// Reminders are on but nothing can carry them: the plain words saying so and
/// how to fix it; `None` when a device or a mobile number will get them.
pub fn reminder_unreachable(devices: i64, texts: bool) -> Option<&'static str> {
    (devices == 0 && !texts).then_some(
        "Your reminders can\u{2019}t reach you yet: no phone or computer has received one, and no mobile number takes text reminders. On Today, under \u{201c}Reminders on this device\u{201d}, turn them on and send yourself a test alert; or add your mobile number under Settings, \u{201c}How you hear from us\u{201d}.",
    )
}

/// What she is told when a Contact with her checked her in.
pub fn checked_in_for_you_words(helper: &str, at: &str) -> String {
    format!(
        "{helper} checked you in at {at}, in person. Everyone who looks out for you has been told."
    )
}

/// A day a Contact checked her in, in person, as her history says it: to her
/// ("who was with you") or to her Contacts ("who was with them"). `helper` is
/// what she calls them; `None` if they have since left Pruuf.
pub fn helper_words(helper: Option<&str>, to_her: bool) -> String {
    let helper = helper.unwrap_or("a Contact");
    let with = if to_her { "you" } else { "them" };
    format!("Checked in by {helper}, who was with {with}")
}

#[cfg(test)]
mod tests {
    use super::{checked_in_for_you_words, helper_words};

    #[test]
    fn she_is_told_who_checked_her_in() {
        assert_eq!(
            checked_in_for_you_words("Tom", "10:40 AM"),
            "Tom checked you in at 10:40 AM, in person. Everyone who looks out for you has been told."
        );
    }

    #[test]
    fn a_check_in_by_a_contact_says_who_and_to_whom() {
        assert_eq!(
            helper_words(Some("Tom"), false),
            "Checked in by Tom, who was with them"
        );
        assert_eq!(
            helper_words(Some("Tom"), true),
            "Checked in by Tom, who was with you"
        );
        assert_eq!(
            helper_words(None, true),
            "Checked in by a Contact, who was with you"
        );
    }

    #[test]
    fn she_is_told_when_reminders_cannot_reach_her() {
        assert!(
            reminder_unreachable(0, false).is_some_and(|w| w.contains("can\u{2019}t reach you"))
        );
        assert_eq!(reminder_unreachable(1, false), None);
        assert_eq!(reminder_unreachable(0, true), None);
    }

    use super::*;

    #[test]
    fn a_missed_day_says_who_was_told() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            missed_words(&names(&["Tom"])),
            "Tom has been told. Tap \u{201c}I\u{2019}m OK\u{201d} to let Tom know you\u{2019}re fine."
        );
        assert!(
            missed_words(&names(&["Tom", "Ann"])).starts_with("Tom and Ann have been told. Tap")
        );
        assert!(missed_words(&names(&["Tom", "Ann", "Joe"]))
            .starts_with("Tom, Ann and Joe have been told."));
        assert!(missed_words(&[]).contains("let your family know"));
    }

    #[test]
    fn countdowns_read_as_words() {
        assert_eq!(countdown_words(-5), "now");
        assert_eq!(countdown_words(0), "now");
        assert_eq!(countdown_words(1), "in 1 minute");
        assert_eq!(countdown_words(59), "in 59 minutes");
        assert_eq!(countdown_words(60), "in 1 hour");
        assert_eq!(countdown_words(125), "in 2 hours 5 minutes");
        assert_eq!(countdown_words(61), "in 1 hour 1 minute");
    }

    #[test]
    fn deadline_times_are_hours_and_minutes() {
        assert_eq!(DeadlineTime::parse("10:00").unwrap().as_hhmm(), "10:00");
        assert_eq!(DeadlineTime::parse(" 23:59 ").unwrap().as_hhmm(), "23:59");
        assert_eq!(DeadlineTime::parse("07:05:00").unwrap().as_hhmm(), "07:05");
        for bad in [
            "", "24:00", "10:60", "10", "ten", "10:00 AM", "1:00", "10:00:0",
        ] {
            assert_eq!(DeadlineTime::parse(bad), Err(TIME_MESSAGE), "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn running_late_moves_today_once_before_it_passes_and_never_past_midnight() {
        use chrono::{TimeZone, Utc};
        let zone: chrono_tz::Tz = "America/New_York".parse().expect("zone");
        let at = |h: u32, m: u32| {
            zone.with_ymd_and_hms(2026, 11, 26, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let free = LateDay {
            checked_in: false,
            paused: false,
            moved: false,
        };
        // 10:00 AM, asked at 9:50: up to 1:00 PM.
        assert_eq!(
            move_later(at(9, 50), at(10, 0), zone, free, 180, None),
            Ok(at(13, 0))
        );
        assert_eq!(
            move_later(at(9, 50), at(10, 0), zone, free, 30, None),
            Ok(at(10, 30))
        );
        // The deadline's minute still counts; after it, no.
        assert!(move_later(at(10, 0), at(10, 0), zone, free, 60, None).is_ok());
        assert!(move_later(at(10, 1), at(10, 0), zone, free, 60, None).is_err());
        // Once, not after a check-in, not on a paused day, only listed choices.
        for day in [
            LateDay {
                moved: true,
                ..free
            },
            LateDay {
                checked_in: true,
                ..free
            },
            LateDay {
                paused: true,
                ..free
            },
        ] {
            assert!(
                move_later(at(9, 0), at(10, 0), zone, day, 60, None).is_err(),
                "{day:?}"
            );
        }
        assert_eq!(
            move_later(at(9, 0), at(10, 0), zone, free, 45, None),
            Err(LATE_CHOICE_MESSAGE)
        );
        // 10:30 PM plus 2 hours would be tomorrow; plus 1 hour is fine.
        assert!(move_later(at(21, 0), at(22, 30), zone, free, 120, None).is_err());
        assert_eq!(
            move_later(at(21, 0), at(22, 30), zone, free, 60, None),
            Ok(at(23, 30))
        );
        // Across the DST change (1 November 2026, 2 AM back to 1 AM): 3 hours is
        // 3 hours of real time.
        let dst = |h: u32| {
            zone.with_ymd_and_hms(2026, 11, 1, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            move_later(
                dst(3) - chrono::Duration::hours(1),
                dst(3),
                zone,
                free,
                180,
                None
            ),
            Ok(dst(6))
        );
        // A second check-in at 12:00 today: 10:00 may move an hour, not two.
        assert_eq!(
            move_later(at(9, 0), at(10, 0), zone, free, 120, Some(at(12, 0))),
            Err(LATE_PAST_NEXT_MESSAGE)
        );
        assert!(move_later(at(9, 0), at(10, 0), zone, free, 60, Some(at(12, 0))).is_ok());
        assert_eq!(late_choice_words(30), "30 minutes");
        assert_eq!(late_choice_words(60), "1 hour");
        assert_eq!(late_choice_words(180), "3 hours");
        assert_eq!(parse_late("120"), Ok(120));
        assert_eq!(parse_late("90"), Err(LATE_CHOICE_MESSAGE));
    }

    #[test]
    fn midnight_and_the_small_hours_are_refused_with_the_reason() {
        for early in ["00:00", "00:30", "01:15", "02:59"] {
            assert_eq!(DeadlineTime::parse(early), Err(EARLY_MESSAGE), "{early}");
        }
        assert_eq!(DeadlineTime::parse("03:00").unwrap().as_hhmm(), "03:00");
    }

    /// Every deadline the form accepts, with every reminder lead, keeps its
    /// reminder window, its deadline minute and its check-ins on one local day,
    /// on ordinary and DST days in London and New York, on Lord Howe's
    /// half-hour shift, and in Apia (UTC+13, with no DST since 2021).
    #[cfg(feature = "ssr")]
    #[test]
    fn a_deadline_its_reminder_and_its_day_share_one_calendar_day_in_every_zone() {
        use crate::time::{deadline_on, local_day};
        use chrono::{Duration, NaiveDate};
        let days = [
            ("Europe/London", "2026-03-29"),
            ("Europe/London", "2026-10-25"),
            ("America/New_York", "2026-03-08"),
            ("America/New_York", "2026-11-01"),
            ("Australia/Lord_Howe", "2026-04-05"),
            ("Australia/Lord_Howe", "2026-10-04"),
            ("Pacific/Apia", "2026-12-31"),
        ];
        for (zone, day) in days {
            let tz: chrono_tz::Tz = zone.parse().expect("zone");
            let day: NaiveDate = day.parse().expect("day");
            for minutes in (0..24 * 60).step_by(5) {
                let hhmm = format!("{:02}:{:02}", minutes / 60, minutes % 60);
                let Ok(t) = DeadlineTime::parse(&hhmm) else {
                    assert!(minutes < 3 * 60, "{hhmm} refused");
                    continue;
                };
                let deadline = deadline_on(day, t.0, tz);
                assert_eq!(local_day(deadline, tz), day, "{zone} {hhmm}");
                for lead in LEAD_CHOICES {
                    let reminder = deadline - Duration::minutes(i64::from(lead));
                    assert_eq!(local_day(reminder, tz), day, "{zone} {hhmm} -{lead}");
                }
            }
        }
    }

    #[test]
    fn grace_and_lead_come_from_their_lists() {
        assert_eq!(parse_grace("0"), Ok(0));
        assert_eq!(parse_grace("60"), Ok(60));
        assert_eq!(parse_grace("20"), Err(GRACE_MESSAGE));
        assert_eq!(parse_lead("15"), Ok(15));
        assert_eq!(parse_lead("0"), Err(LEAD_MESSAGE));
        assert_eq!(parse_lead("x"), Err(LEAD_MESSAGE));
    }

    #[test]
    fn zones_read_as_places() {
        assert_eq!(place_of("America/Chicago"), "Chicago");
        assert_eq!(place_of("America/Argentina/Buenos_Aires"), "Buenos Aires");
        assert_eq!(place_of("Etc/GMT+10"), "GMT+10");
        assert_eq!(place_of("UTC"), "UTC");
        assert_eq!(
            travel_words("Chicago"),
            "You seem to be in Chicago time. Use it for your check-ins while you\u{2019}re away?"
        );
    }

    #[test]
    fn zone_names_have_a_plain_shape() {
        assert_eq!(
            zone_shape(" America/New_York "),
            Ok("America/New_York".into())
        );
        assert_eq!(zone_shape("Etc/GMT+10"), Ok("Etc/GMT+10".into()));
        assert_eq!(zone_shape(""), Err(ZONE_MESSAGE));
        assert_eq!(zone_shape("<script>"), Err(ZONE_MESSAGE));
    }

    #[test]
    fn pauses_run_forward_for_at_most_90_days() {
        let p = PauseRange::parse("2026-12-01", "2026-12-01").unwrap();
        assert!(p.contains(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert!(!p.contains(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()));
        assert!(PauseRange::parse("2026-12-01", "2027-02-28").is_ok()); // 90 days
        assert_eq!(
            PauseRange::parse("2026-12-01", "2027-03-01"),
            Err(PAUSE_LENGTH_MESSAGE)
        );
        assert_eq!(
            PauseRange::parse("2026-12-02", "2026-12-01"),
            Err(PAUSE_ORDER_MESSAGE)
        );
        assert_eq!(
            PauseRange::parse("tomorrow", "2026-12-01"),
            Err(DATE_MESSAGE)
        );
    }

    #[test]
    fn a_day_is_decided_by_what_happened() {
        assert_eq!(
            DayOutcome::of(Some(false), false, true, true),
            DayOutcome::OnTime
        );
        assert_eq!(
            DayOutcome::of(Some(true), true, true, true),
            DayOutcome::Late
        );
        assert_eq!(DayOutcome::of(None, true, true, true), DayOutcome::Paused);
        assert_eq!(DayOutcome::of(None, false, true, true), DayOutcome::Missed);
        assert_eq!(DayOutcome::of(None, false, false, true), DayOutcome::Open);
        assert_eq!(DayOutcome::of(None, false, true, false), DayOutcome::Open);
    }
}
