//! What billing shows on pages of other domains, shared by the browser and the server.
use serde::{Deserialize, Serialize};

/// Billing on the home page: a Contact's link to "Plan and payment", and a banner
/// when alerts are paused or about to stop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeBilling {
    /// Someone who may pay (never a Member, never the grandfathered).
    pub shows_billing: bool,
    pub banner: Option<String>,
    /// The banner says alerts are paused (frozen), not only that they will be.
    pub alerts_paused: bool,
}
