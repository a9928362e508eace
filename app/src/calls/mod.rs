//! Calls (issue 23): a Member's daily check-in call ("press 1 if all is
//! well"), confirming the number it rings (a landline cannot reply YES to a
//! text), and the voice side of alerts that ring a Contact who chose it.
//! Every call is a delivery on `notify`'s call channel; this domain decides
//! when to call and what a call says and does.
//! - `rules`: pure (the form, when the next call is, what a key means);
//! - `views`: what the schedule page's "Daily call" card shows;
//! - `store`, `service` (server only): the daily calls' SQL, the call pass,
//!   and the answers to Twilio's voice webhooks (TwiML by `phones::twiml`);
//! - `pages`: the "Daily call" card and the "Call me about alerts" card.
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod views;
