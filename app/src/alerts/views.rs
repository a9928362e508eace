//! What the alert pages show, shared by the service that fills it and the pages
//! that draw it (so neither imports the other).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: String,
    pub headline: String,
    /// "Tom is on it (since 10:20 AM)."
    pub acknowledged: Option<String>,
    pub may_acknowledge: bool,
    /// A Contact may close it (not closed, she has not checked in).
    pub may_close: bool,
    /// "Closed by Tom at 11:40 AM — Mum is fine".
    pub closed: Option<String>,
    /// Who is told when ("Tom: told first, at 10:15 AM"), shown to every Contact.
    pub order: Vec<String>,
    /// The closing choices: (value, words).
    pub outcomes: Vec<(String, String)>,
    pub member_id: String,
    /// The Member's plan for a missed check-in, its written parts as (label,
    /// words); empty when nothing is written.
    pub plan: Vec<(String, String)>,
    /// "Alert by email: sent at 10:16 AM", for this Contact.
    pub trail: Vec<String>,
    /// What this Contact calls the Member ("Mum").
    pub name: String,
    /// A number to call or text her on, when the Contact may see one.
    pub phone: Option<String>,
}

/// Where a reminder's "I'm OK" posts its token: the fixed path of
/// `pages::reminder_check_in` (no build hash, so a reminder sent before a deploy
/// still works after it).
pub const REMINDER_CHECK_IN_PATH: &str = "/api/reminder_check_in";

/// The "Who is told first" page for one Member: what it is now, and who can
/// be placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub member_id: String,
    /// What the viewer calls the Member ("Mum"), or "You".
    pub name: String,
    pub is_self: bool,
    /// `None`: everyone at once.
    pub gap_min: Option<i16>,
    pub repeats: i16,
    /// Each active Contact: (id, name, place 1-5 or none).
    pub contacts: Vec<(String, String, Option<i16>)>,
    /// Helpers without an account on her list (placed in the same order).
    pub helpers: Vec<super::helpers::HelperView>,
    /// How it reads to everyone (as the alert page shows it).
    pub summary: Vec<String>,
}

/// The page an alert email's "I'm on it" link opens, without signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerView {
    /// "Mum hasn't checked in today."
    pub headline: String,
    /// Where it stands: "Anna is on it (since 10:40 AM).", "Closed by …".
    pub state: Option<String>,
    /// Nobody is on it yet and it is still open.
    pub may_answer: bool,
    /// What the reader calls the Member.
    pub name: String,
    /// `/alerts/<id>` (signed in, the whole alert).
    pub alert_link: String,
}
