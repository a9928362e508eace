//! Billing, for Contacts only (SPEC §7): the account state machine, the trial,
//! Stripe Checkout and the Customer Portal, the webhook, and the scheduled jobs.
//! - `rules`: pure (states, transitions, warnings, prices), shared with the browser;
//! - `store`, `service`, `stripe` (server only): the SQL, the actions, the client;
//! - `pages`: the billing page and its server functions; `views`: what other
//!   domains' pages show of billing (the home's banner).
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod stripe;
pub mod views;
