//! Connections (SPEC §2, §4): Contacts who look out for Members, the invites that
//! connect them, and the rules around both.
//! - `rules`: pure (invite codes, names, who may accept, the 10-Contact limit);
//! - `store`, `service` (server only): all the connections SQL, and each action;
//! - `pages`: the "Your people" page and `/join`, with their server functions.
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
