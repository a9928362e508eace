//! What the check-in pages show, as the server sends it to the browser. Every time
//! is already written out in words for the person reading it.
use super::rules::DayOutcome;
use serde::{Deserialize, Serialize};

/// A Member's schedule, as the settings form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// "10:00", as `<input type="time">` wants it: the first check-in's time.
    pub deadline: String,
    /// The first check-in's days (a `windows::Days` form value: "every", "weekdays", …).
    pub days: String,
    /// The other check-ins, (time, days), as many as the form has rows for
    /// (empty times for rows not used).
    pub more: Vec<(String, String)>,
    pub time_zone: String,
    pub reminder_on: bool,
    pub lead_min: u16,
    pub grace_min: u16,
    /// False until the Member saves one (the form then shows the defaults).
    pub saved: bool,
    /// Reminders are on but nothing can carry them (no device with reminders
    /// turned on, no mobile number taking text reminders): what to do about it.
    pub unreachable: Option<String>,
}

/// Someone on the other side of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLink {
    pub name: String,
    pub email: String,
}

/// The signed-in Member's own day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyDay {
    /// "today at 10:00 AM"
    pub deadline_words: String,
    /// The next deadline, milliseconds since 1970 (the countdown counts to it).
    pub deadline_ms: i64,
    /// The countdown as the server saw it ("in 2 hours 15 minutes").
    pub countdown: String,
    /// "9:45 AM", once checked in today.
    pub checked_in_at: Option<String>,
    /// "You're away until Friday 4 December."
    pub paused: Option<String>,
    /// Today's time passed unchecked: "Tom has been told. Tap I'm OK …".
    pub missed: Option<String>,
    pub contacts: Vec<PersonLink>,
    /// Today's time may still move later ("Running late today?").
    pub may_run_late: bool,
    /// On a day with more than one check-in, which one the button is for:
    /// "your 8:00 PM check-in".
    pub which: Option<String>,
    /// On a day with more than one check-in, each one:
    /// "9:00 AM: checked in at 8:52 AM", "8:00 PM: not yet".
    pub windows: Vec<String>,
    /// Her browser is in another zone than her check-ins: asked once whether
    /// to use it while she is away.
    pub travel: Option<TravelPrompt>,
}

/// "You seem to be in Chicago time. Use it for your check-ins while you're away?"
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravelPrompt {
    /// The zone her browser reports ("America/Chicago").
    pub zone: String,
    /// "Chicago"
    pub place: String,
    /// Her check-ins' zone now, as a place ("Honolulu").
    pub home_place: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    CheckedIn,
    NotYet,
    /// Past the deadline, inside the grace period.
    Late,
    Missed,
    Paused,
    /// Has not chosen a check-in time yet.
    NoSchedule,
}

impl Status {
    /// The badge's words (the badge never relies on its colour alone).
    pub fn badge(self) -> &'static str {
        match self {
            Status::CheckedIn => "Checked in",
            Status::NotYet => "Not yet",
            Status::Late => "Running late",
            Status::Missed => "Missed",
            Status::Paused => "Paused",
            Status::NoSchedule => "Getting started",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Status::CheckedIn => "badge ok",
            Status::NotYet | Status::NoSchedule => "badge waiting",
            Status::Late | Status::Missed => "badge alert",
            Status::Paused => "badge paused",
        }
    }
}

/// One Member, as a Contact's home shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    pub member_id: String,
    pub name: String,
    pub email: String,
    /// A number to call or text them on ("tel:" / "sms:" links), when known.
    pub phone: Option<String>,
    pub status: Status,
    /// "Checked in at 9:45 AM", "Due by 10:00 AM HST · 3:00 PM your time", ...
    pub headline: String,
    /// "Last check-in: yesterday at 9:50 AM"
    pub last_checkin: Option<String>,
    /// Today's alert page, once the miss was detected.
    pub alert_href: Option<String>,
    /// "Tom is on it."
    pub on_it: Option<String>,
    /// On a day with more than one check-in, each one, in both zones.
    pub windows: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeView {
    pub user_id: String,
    pub email: String,
    /// The zone the server has for them (the page sends the browser's if it differs).
    pub time_zone: String,
    pub needs_consent: bool,
    /// Someone looks out for them (or they have a schedule): show "Your check-in".
    pub is_member: bool,
    /// Their schedule, when they have one.
    pub my_day: Option<MyDay>,
    pub watching: Vec<Watched>,
    /// Members invited by them who have not joined yet.
    pub pending: Vec<String>,
    /// The people who look out for them, by the names they call them ("Tom").
    pub looked_out_by: Vec<String>,
    pub billing: crate::billing::views::HomeBilling,
}

/// The answer to a tap on "I'm OK".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInDone {
    /// "9:45 AM"
    pub at: String,
    pub late: bool,
    /// The day already had a check-in: this is the first one, and nobody was told again.
    pub already: bool,
}

/// What a Member is told after a check-in that counted.
pub const CHECKED_IN: &str = "You checked in! Your family can see you\u{2019}re OK.";

impl CheckInDone {
    pub fn message(&self) -> String {
        if self.already {
            already_words(&self.at)
        } else {
            CHECKED_IN.to_string()
        }
    }
}

/// "You already checked in at 9:45 AM."
pub fn already_words(at: &str) -> String {
    format!("You already checked in at {at}.")
}

/// One day of a Member's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayView {
    /// "Thursday 26 November"
    pub day: String,
    /// On a day with more than one check-in, which one: "8:00 PM check-in".
    pub window: Option<String>,
    pub outcome: DayOutcome,
    /// "9:45 AM", when they checked in.
    pub at: Option<String>,
    /// A missed day's handling: "Closed by Tom at 11:40 AM — Mum is fine",
    /// "Tom was on it (11:20 AM)".
    pub handled: Option<String>,
    /// "Checked in by Tom, who was with them": a Contact checked her in in person.
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseView {
    pub id: String,
    /// "Monday 1 December to Friday 5 December"
    pub words: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub member_id: String,
    /// What the viewer calls the Member.
    pub name: String,
    /// The Member looks at their own page.
    pub is_self: bool,
    pub headline: String,
    /// Newest first.
    pub days: Vec<DayView>,
    pub pauses: Vec<PauseView>,
    /// The Member's today, "2026-11-26", the earliest day a pause may start.
    pub today: String,
    /// A Contact may say "I'm with them now" and check them in: today is due,
    /// not paused and not yet checked in.
    pub may_check_in_for: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub body: String,
    pub link: Option<String>,
    pub when: String,
    pub unread: bool,
}

/// "Running late today?" (`checkin::late`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateView {
    pub member_id: String,
    /// What the viewer calls her ("Mum"), or "You".
    pub name: String,
    pub is_self: bool,
    /// "10:00 AM HST" (today's time, as her clock shows it).
    pub today: String,
    /// Today's time was moved already (once a day).
    pub moved: bool,
}
