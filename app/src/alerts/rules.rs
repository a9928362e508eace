//! The pure rules of missed check-ins and of the delivery outbox (SPEC §6): when a
//! due Member is a miss, who may receive alerts, how long a worker holds a
//! delivery, and when a failed one is tried again. No I/O: the detector and the
//! workers read the facts, ask these functions, and write the answer.
use crate::notify::Channel;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How often the detector and the workers look for work.
pub const POLL_EVERY_SECONDS: u64 = 3;
/// After downtime, misses whose deadline is at most this old are still alerted.
/// "Send me a test alert": each one can cost a text and an email, so a few an hour.
pub const TEST_ALERTS: crate::limits::Limit = crate::limits::Limit::new(3, Duration::hours(1));

pub const CATCH_UP: Duration = Duration::hours(24);
/// Nobody said "I'm on it" within this: everyone is alerted once more.
pub const ACK_WINDOW: Duration = Duration::minutes(30);
/// Most rows one detector or worker pass takes.
pub const BATCH: i64 = 200;
/// Most due Members one detector transaction takes: a whole minute's worth of
/// deadlines at once is a few set statements per thousand, not per hundred.
pub const DUE_BATCH: i64 = 1000;

/// What the detector does with a Member whose deadline and grace have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// They checked in that day: move on to the next deadline.
    CheckedIn,
    /// The day is paused: move on.
    Paused,
    /// Older than the catch-up window (the server was down longer): move on,
    /// and log it; alerting about a day long gone would only frighten.
    TooOld,
    /// Claim the miss and alert.
    Missed,
}

pub fn judge_due(
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
    checked_in: bool,
    paused: bool,
) -> Due {
    if checked_in {
        Due::CheckedIn
    } else if paused {
        Due::Paused
    } else if now - deadline > CATCH_UP {
        Due::TooOld
    } else {
        Due::Missed
    }
}

/// How late a check-in was, for the "all is well" update: "40 min late",
/// "2 h 5 min late", "1 h late".
pub fn lateness_words(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min late"),
        (h, 0) => format!("{h} h late"),
        (h, m) => format!("{h} h {m} min late"),
    }
}

/// Whether a Contact in this account state receives alerts (SPEC §6, §7): the
/// billing state machine decides.
pub use crate::billing::rules::may_receive_alerts;

/// Whether a Member's reminder is due: from `lead_min` minutes before the deadline
/// until the deadline itself (after it, the alert is what comes next).
pub fn reminder_due(deadline: DateTime<Utc>, lead_min: i32, now: DateTime<Utc>) -> bool {
    now >= deadline - Duration::minutes(i64::from(lead_min)) && now < deadline
}

/// The reminder ladder (issue 21): which of a deadline's up to three reminders
/// is due at `now`: 0 at the Member's lead (15, 30 or 60 minutes before), 1 at 15
/// minutes before (when her lead is longer), 2 at the deadline itself (while
/// the grace runs, before the alert). Only the latest due rung is sent; each is
/// claimed once.
pub fn reminder_rung(
    deadline: DateTime<Utc>,
    lead_min: i16,
    grace_min: i16,
    now: DateTime<Utc>,
) -> Option<i16> {
    let grace = Duration::minutes(i64::from(grace_min.max(1)));
    if now >= deadline && now < deadline + grace {
        Some(2)
    } else if now >= deadline || now < deadline - Duration::minutes(i64::from(lead_min)) {
        None
    } else if lead_min > 15 && now >= deadline - Duration::minutes(15) {
        Some(1)
    } else {
        Some(0)
    }
}

/// A reminder's title, text and push words, by rung (`by`: the deadline, "10:00 AM").
pub fn reminder_words(rung: i16, by: &str) -> (&'static str, String, String) {
    match rung {
        2 => (
            "Please check in now",
            "Pruuf: please check in now. Reply OK to this text (or tap I'm OK in the app) so your family knows you're well.".to_string(),
            "Please tap \u{201c}I\u{2019}m OK\u{201d} now so your family knows you\u{2019}re well.".to_string(),
        ),
        1 => (
            "15 minutes to check in",
            format!("Pruuf: 15 minutes left to check in. Reply OK to this text (or tap I'm OK in the app) before {by}."),
            format!("15 minutes left: tap \u{201c}I\u{2019}m OK\u{201d} before {by} so your family knows you\u{2019}re well."),
        ),
        _ => (
            "Time to check in",
            format!("Pruuf: time to check in. Reply OK to this text (or tap I'm OK in the app) before {by}."),
            format!("Tap \u{201c}I\u{2019}m OK\u{201d} before {by} so your family knows you\u{2019}re well."),
        ),
    }
}

/// A Contact's choice of quiet check-in confirmations (SPEC §5): every check-in
/// or only when something is wrong, and by which channels. The default is every
/// check-in, by web push only. Missed alerts and late updates ignore it: they
/// always go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmPrefs {
    pub every: bool,
    pub push: bool,
    pub email: bool,
    /// By text, to their confirmed mobile number.
    pub sms: bool,
}

impl Default for ConfirmPrefs {
    fn default() -> Self {
        ConfirmPrefs {
            every: true,
            push: true,
            email: false,
            sms: false,
        }
    }
}

pub const CONFIRM_CHOICE_MESSAGE: &str =
    "Please choose \u{201c}Every check-in\u{201d} or \u{201c}Only when something is wrong\u{201d}.";
pub const CONFIRM_CHANNEL_MESSAGE: &str = "Please tick at least one way to hear about check-ins, or choose \u{201c}Only when something is wrong\u{201d}.";

impl ConfirmPrefs {
    /// Reads the settings form: `confirm` is "every" or "problems"; a ticked box
    /// sends any value, an unticked one nothing.
    pub fn parse(
        confirm: &str,
        push: Option<&str>,
        email: Option<&str>,
        sms: Option<&str>,
    ) -> Result<Self, &'static str> {
        let every = match confirm.trim() {
            "every" => true,
            "problems" => false,
            _ => return Err(CONFIRM_CHOICE_MESSAGE),
        };
        let prefs = ConfirmPrefs {
            every,
            push: push.is_some(),
            email: email.is_some(),
            sms: sms.is_some(),
        };
        if every && !prefs.push && !prefs.email && !prefs.sms {
            return Err(CONFIRM_CHANNEL_MESSAGE);
        }
        Ok(prefs)
    }

    /// As stored: the channel names, in a fixed order.
    pub fn channel_names(&self) -> Vec<String> {
        [
            ("push", self.push),
            ("email", self.email),
            ("sms", self.sms),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(c, _)| c.to_string())
        .collect()
    }

    pub fn from_stored(every: bool, channels: &[String]) -> Self {
        let has = |c: &str| channels.iter().any(|x| x == c);
        ConfirmPrefs {
            every,
            push: has("push"),
            email: has("email"),
            sms: has("sms"),
        }
    }
}

/// The channels that carry one Contact's confirmation of an on-time (or not yet
/// alerted) check-in: none when they asked only for problems; push only when
/// they have a browser subscribed, a text only to a confirmed number; only
/// channels with a sender (`available`).
pub fn confirmation_channels(
    every: bool,
    chosen: &[String],
    push_devices: i64,
    sms_ok: bool,
) -> Vec<Channel> {
    if !every {
        return Vec::new();
    }
    Channel::reachable(push_devices, sms_ok)
        .filter(|c| chosen.iter().any(|x| x == c.as_str()))
        .collect()
}

/// Quiet hours, in the person's own zone (e.g. 9:00 PM to 8:00 AM): confirmations
/// and notices wait until they end ([`crate::notify::Kind::waits_for_quiet_hours`]);
/// missed-check-in alerts never wait. The database's `quiet_end` reads them the
/// same way (an integration test holds the two together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from: chrono::NaiveTime,
    pub to: chrono::NaiveTime,
}

pub const QUIET_MESSAGE: &str =
    "Please choose when quiet hours start and end, like 21:00 and 08:00 (not the same time).";

impl QuietHours {
    /// The form: `on` with a start and an end ("HH:MM"), or off.
    pub fn parse(on: bool, from: &str, to: &str) -> Result<Option<Self>, &'static str> {
        if !on {
            return Ok(None);
        }
        let read = |s: &str| {
            let s = s.trim();
            chrono::NaiveTime::parse_from_str(s, "%H:%M")
                .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M:%S"))
                .map_err(|_| QUIET_MESSAGE)
        };
        let (from, to) = (read(from)?, read(to)?);
        if from == to {
            return Err(QUIET_MESSAGE);
        }
        Ok(Some(QuietHours { from, to }))
    }

    /// Whether the local time `t` is inside (a window may cross midnight).
    pub fn contains(self, t: chrono::NaiveTime) -> bool {
        if self.from < self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }

    /// When a message written at `now` may go, for a person in `zone`: `None`
    /// at once, or the end of the quiet hours `now` falls in.
    #[cfg(feature = "ssr")]
    pub fn waits_until(self, now: DateTime<Utc>, zone: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(&zone).naive_local();
        if !self.contains(local.time()) {
            return None;
        }
        let day = if local.time() < self.to {
            local.date()
        } else {
            local.date() + Duration::days(1)
        };
        Some(crate::time::deadline_on(day, self.to, zone))
    }

    /// "9:00 PM to 8:00 AM".
    pub fn words(self) -> String {
        format!(
            "{} to {}",
            self.from.format("%-I:%M %p"),
            self.to.format("%-I:%M %p")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_are_read_strictly_and_may_cross_midnight() {
        let q = QuietHours::parse(true, "21:00", "08:00")
            .expect("valid")
            .expect("on");
        assert_eq!(q.words(), "9:00 PM to 8:00 AM");
        let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(t(21, 0)) && q.contains(t(23, 59)) && q.contains(t(7, 59)));
        assert!(!q.contains(t(8, 0)) && !q.contains(t(20, 59)) && !q.contains(t(12, 0)));
        let day = QuietHours::parse(true, "13:00", "15:00").unwrap().unwrap();
        assert!(day.contains(t(14, 0)) && !day.contains(t(15, 0)) && !day.contains(t(12, 0)));
        assert_eq!(QuietHours::parse(false, "", ""), Ok(None));
        assert_eq!(
            QuietHours::parse(true, "21:00", "21:00"),
            Err(QUIET_MESSAGE)
        );
        assert_eq!(QuietHours::parse(true, "9pm", "08:00"), Err(QUIET_MESSAGE));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_quiet_message_waits_for_the_morning_in_the_persons_own_zone() {
        use chrono::TimeZone;
        let q = QuietHours::parse(true, "21:00", "08:00").unwrap().unwrap();
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let at = |m, d, h, min| {
            ny.with_ymd_and_hms(2026, m, d, h, min, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        // 11:30 PM: waits for 8:00 AM the next day; 6:00 AM: for 8:00 AM that day.
        assert_eq!(
            q.waits_until(at(11, 26, 23, 30), ny),
            Some(at(11, 27, 8, 0))
        );
        assert_eq!(q.waits_until(at(11, 27, 6, 0), ny), Some(at(11, 27, 8, 0)));
        assert_eq!(q.waits_until(at(11, 27, 12, 0), ny), None);
        // The night the clocks go back (1 November 2026): 8:00 AM EST.
        assert_eq!(q.waits_until(at(11, 1, 0, 30), ny), Some(at(11, 1, 8, 0)));
    }

    #[test]
    fn lateness_reads_in_minutes_then_hours() {
        assert_eq!(lateness_words(0), "0 min late");
        assert_eq!(lateness_words(40), "40 min late");
        assert_eq!(lateness_words(60), "1 h late");
        assert_eq!(lateness_words(125), "2 h 5 min late");
        assert_eq!(lateness_words(-3), "0 min late");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_due_member_is_missed_unless_checked_in_paused_or_long_gone() {
        let deadline = t("2026-11-26T20:00:00Z");
        let now = t("2026-11-26T20:16:00Z");
        assert_eq!(judge_due(deadline, now, false, false), Due::Missed);
        assert_eq!(judge_due(deadline, now, true, false), Due::CheckedIn);
        assert_eq!(judge_due(deadline, now, true, true), Due::CheckedIn);
        assert_eq!(judge_due(deadline, now, false, true), Due::Paused);
        // Catching up after downtime: 23 h late still alerts, 25 h does not.
        assert_eq!(
            judge_due(deadline, deadline + Duration::hours(23), false, false),
            Due::Missed
        );
        assert_eq!(
            judge_due(deadline, deadline + Duration::hours(25), false, false),
            Due::TooOld
        );
    }

    #[test]
    fn frozen_and_deleted_contacts_get_no_alerts() {
        for s in [
            "trial_pending",
            "trial",
            "active",
            "active_free",
            "past_due",
            "canceled",
        ] {
            assert!(may_receive_alerts(s), "{s}");
        }
        for s in ["frozen", "deleted", "nonsense"] {
            assert!(!may_receive_alerts(s), "{s}");
        }
    }

    #[test]
    fn a_reminder_is_due_from_the_lead_until_the_deadline() {
        let deadline = t("2026-11-26T20:00:00Z");
        assert!(!reminder_due(deadline, 60, t("2026-11-26T18:59:59Z")));
        assert!(reminder_due(deadline, 60, t("2026-11-26T19:00:00Z")));
        assert!(reminder_due(deadline, 15, t("2026-11-26T19:59:59Z")));
        assert!(!reminder_due(deadline, 15, t("2026-11-26T19:44:00Z")));
        assert!(!reminder_due(deadline, 60, deadline));
        // The ladder: at the lead, at 15 minutes before, at the deadline.
        let rung = |lead, at: &str| reminder_rung(deadline, lead, 15, t(at));
        assert_eq!(rung(60, "2026-11-26T18:59:59Z"), None);
        assert_eq!(rung(60, "2026-11-26T19:00:00Z"), Some(0));
        assert_eq!(rung(60, "2026-11-26T19:44:59Z"), Some(0));
        assert_eq!(rung(60, "2026-11-26T19:45:00Z"), Some(1));
        assert_eq!(rung(60, "2026-11-26T20:00:00Z"), Some(2));
        assert_eq!(rung(60, "2026-11-26T20:14:59Z"), Some(2));
        assert_eq!(rung(60, "2026-11-26T20:15:00Z"), None, "the alert's turn");
        // A 15-minute lead has no middle rung.
        assert_eq!(rung(15, "2026-11-26T19:45:00Z"), Some(0));
        assert_eq!(rung(15, "2026-11-26T20:00:00Z"), Some(2));
        // No grace: the deadline's own minute.
        assert_eq!(
            reminder_rung(deadline, 60, 0, t("2026-11-26T20:00:59Z")),
            Some(2)
        );
        assert_eq!(
            reminder_rung(deadline, 60, 0, t("2026-11-26T20:01:00Z")),
            None
        );
    }

    #[test]
    fn confirmation_preferences_are_read_from_the_form() {
        assert_eq!(
            ConfirmPrefs::parse("every", Some("on"), None, None),
            Ok(ConfirmPrefs::default())
        );
        assert_eq!(
            ConfirmPrefs::parse("problems", None, None, None),
            Ok(ConfirmPrefs {
                every: false,
                push: false,
                email: false,
                sms: false
            })
        );
        assert_eq!(
            ConfirmPrefs::parse("every", None, None, None),
            Err(CONFIRM_CHANNEL_MESSAGE)
        );
        assert_eq!(
            ConfirmPrefs::parse("always!", Some("on"), None, None),
            Err(CONFIRM_CHOICE_MESSAGE)
        );
        let both = ConfirmPrefs::parse(" every ", Some("on"), Some("on"), None).unwrap();
        assert_eq!(both.channel_names(), vec!["push", "email"]);
        let texts = ConfirmPrefs::parse("every", None, None, Some("on")).unwrap();
        assert_eq!(texts.channel_names(), vec!["sms"]);
        assert_eq!(
            ConfirmPrefs::from_stored(true, &texts.channel_names()),
            texts
        );
        assert_eq!(ConfirmPrefs::from_stored(true, &both.channel_names()), both);
    }

    #[test]
    fn confirmations_follow_the_choice_and_the_devices() {
        let push = vec!["push".to_string()];
        let both = vec!["push".to_string(), "email".to_string()];
        assert_eq!(
            confirmation_channels(true, &push, 1, false),
            vec![Channel::Push]
        );
        assert!(confirmation_channels(true, &push, 0, false).is_empty());
        assert!(confirmation_channels(false, &both, 2, true).is_empty());
        assert_eq!(
            confirmation_channels(true, &both, 0, false),
            vec![Channel::Email]
        );
        assert_eq!(
            confirmation_channels(true, &["sms".to_string()], 0, false),
            Vec::<Channel>::new(),
            "no confirmed number, no text"
        );
        assert_eq!(
            confirmation_channels(true, &["sms".to_string()], 0, true),
            vec![Channel::Sms]
        );
    }
}
