//! Mobile numbers and text messages (SPEC §3, §6): a number confirmed by replying
//! YES, STOP / START / HELP, checking in by replying OK, and the SMS sender of the
//! delivery outbox.
//! - `rules`: pure (replies, SMS wording and segments, Twilio's errors; on the
//!   server also E.164 numbers and Twilio's request signature);
//! - `store`, `service` (server only): the SQL and the actions (texts go
//!   out through `notify`'s SMS channel);
//! - `pages`: the "Text messages" card and its server functions;
//! - `call_links`: a Contact's "Call Mum" / "Text Mum" links;
//! - `twiml` (server only): TwiML written by an XML writer: replies to texts, and
//!   what Pruuf's phone calls say and ask (issue 23).
pub mod call_links;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod twiml;
