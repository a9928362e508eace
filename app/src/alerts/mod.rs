//! Missed check-ins (SPEC §6): the detector, the delivery outbox and its workers,
//! acknowledgement ("I'm on it") and the late update.
//! - `escalation`: pure (who is told at which step, when the next step or
//!   repeat is due, closing an alert);
//! - `rules`: pure (when a due Member is a miss, who may receive alerts, leases,
//!   backoff, reading a provider's answer);
//! - `store`, `service` (server only): all the misses/deliveries SQL, the detector
//!   and worker passes, and the alert page's actions;
//! - `pages`: the alert page and its server functions, and "I'm OK" from a reminder;
//! - `answer`: an alert email's signed "I'm on it" link (`/answer/<id>`);
//! - `order`: who is told first (`/people/<id>/order`);
//! - `helpers` (pure) and `helper_service`: neighbours on a Member's list who
//!   have no account, texted at their step (their "1" is "I'm on it");
//! - `settings`: how a Contact hears about check-ins (`/settings/alerts`);
//! - `device`: alerts on this browser (web push) and the test alert.
pub mod answer;
pub mod device;
pub mod escalation;
pub mod helper_list;
#[cfg(feature = "ssr")]
pub mod helper_service;
pub mod helpers;
pub mod order;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
pub mod settings;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;
