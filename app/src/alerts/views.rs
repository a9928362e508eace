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
