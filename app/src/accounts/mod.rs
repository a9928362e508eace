//! Accounts (SPEC §3): who someone is and how they prove it.
//! - `crate::validation` (shared by every domain): the inputs (address, code,
//!   PIN), checked alike in the browser and on the server;
//! - `rules`: the pure rules (codes, lockout ladder, per-address limits);
//! - `secrets`, `store`, `service`, `session` (server only): making and checking
//!   secrets, all the accounts SQL, what each action does, and the request side;
//! - `forms`, `signup`, `login`, `devices`: the pages, each with its server functions;
//! - `text_size`: the reading size a person chose (an account setting; before
//!   sign-in, a cookie); `text_size_control`: its buttons.
pub mod devices;
pub mod forms;
pub mod login;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
pub mod signup;
#[cfg(feature = "ssr")]
pub mod store;
pub mod text_size;
pub mod text_size_control;

/// Percent-encodes a value for a URL's query string.
pub(crate) fn query_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
