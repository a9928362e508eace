//! What the admin pages show, as the browser receives it (shared by the server
//! and the browser build). Personal data arrives masked unless revealed.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    /// How long the oldest unhandled deadline has waited past its grace.
    pub detector_lag_s: i64,
    /// (channel, kind, waiting).
    pub backlog: Vec<(String, String, i64)>,
    pub failed_today: i64,
    pub dead_letters: i64,
    /// "2026-12-04 03:00 UTC: 120 checked, 2 fixed, 0 failed", or why not.
    pub reconciliation: String,
    pub processes: Vec<ProcessView>,
    /// The last check of the audit chain, in words.
    pub audit: String,
    pub audit_ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessView {
    pub process: String,
    pub host: String,
    pub started: String,
    pub last_beat: String,
    pub beat_age_s: i64,
    /// (job, seconds since its last pass).
    pub jobs: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonHit {
    pub id: String,
    pub email: String,
    pub phone: Option<String>,
    pub state: String,
    pub joined: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: String,
    pub revealed: bool,
    pub email: String,
    pub phone: Option<String>,
    pub phone_status: Option<String>,
    pub name: Option<String>,
    pub state: String,
    pub is_admin: bool,
    pub joined: String,
    pub deleted: Option<String>,
    pub time_zone: String,
    pub roles: String,
    pub trial_ends: Option<String>,
    pub plan: Option<String>,
    pub subscription_status: Option<String>,
    pub stripe_customer: Option<String>,
    pub stripe_subscription: Option<String>,
    pub schedule: Option<String>,
    pub connections: Vec<ConnectionView>,
    pub misses: Vec<MissView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub other_id: String,
    pub other_email: String,
    /// "Member" (this person checks in) or "Contact".
    pub side: String,
    pub since: String,
    pub ended: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissView {
    pub id: String,
    pub day: String,
    pub deadline: String,
    pub detected: String,
    pub acknowledged: Option<String>,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub recipient: String,
    pub recipient_id: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub lapses: i32,
    pub created: String,
    pub next_attempt: String,
    pub sent: Option<String>,
    pub last_error: Option<String>,
    pub provider_status: Option<String>,
    /// Failed, or waiting: a retry can put it back in the queue.
    pub retryable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetterView {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub kind: String,
    pub error: String,
    pub attempts: i32,
    pub since: String,
}
