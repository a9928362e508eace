//! The weekly summary (issue 22): on Monday morning, each Contact who wants it
//! (on by default) gets one email with each Member's last week: check-ins on
//! time, late, missed, and days paused.
//! - `rules`: pure (which week, when it is due, counting days, the words);
//! - `store`, `service` (server only): the SQL and the weekly pass.
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
