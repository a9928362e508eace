//! What the plan page shows, shared by the service and the page.
use super::rules::Plan;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub member_id: String,
    /// What the viewer calls the Member, or "You".
    pub name: String,
    pub is_self: bool,
    /// The viewer may change it (the Member; a Contact when she allows).
    pub may_edit: bool,
    pub contacts_may_edit: bool,
    pub plan: Plan,
    /// "Last changed by Tom, 4 December".
    pub changed: Option<String>,
}
