//! The operator's side (issue 19): `/admin` pages for admins only (granted on
//! the command line), each action written to the audit chain. Sits above every
//! other domain: it reads their tables and calls their services, never the
//! other way round.
pub mod pages;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;
