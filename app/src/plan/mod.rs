//! The "If I miss a check-in" plan (issue 21): the address and how to get in,
//! the key holder, neighbours, doctor, medicines, pets and notes, put on the
//! alert so the Contact 200 miles away knows at once whom to call.
//! - `rules`: pure (the plan's parts, their checks, the short form for alerts);
//! - `store`, `service` (server only): its SQL; who may read and write it, and
//!   the audit entry for every Contact's view;
//! - `pages`: `/people/<id>/plan`.
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;
