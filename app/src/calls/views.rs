//! What the call cards show, written out for the person reading them.
use serde::{Deserialize, Serialize};

/// A Member's daily check-in call, as the schedule page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyCallView {
    /// Calls can be made from this server (Twilio is set up).
    pub available: bool,
    /// "09:00" for the form; empty when she has no daily call.
    pub time: String,
    /// The number, as she typed it once saved (E.164).
    pub number: String,
    /// Where it stands, in words: "We call 808 555 0123 every day at 9:00 AM."
    pub status: Option<String>,
    /// Waiting for her to answer the confirmation call.
    pub waiting: bool,
    /// Her confirmed mobile number, offered as the number to call.
    pub mobile: Option<String>,
    /// Her last calls and what became of them, newest first ("Today at 9:00
    /// AM: no answer").
    pub recent: Vec<String>,
}

/// A Contact's choice to be called about a missed check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallAlertsView {
    pub available: bool,
    pub on: bool,
    /// Their confirmed mobile number (calls go to it); None: they need one first.
    pub number: Option<String>,
}
