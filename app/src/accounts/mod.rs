//! Accounts (SPEC §3): who someone is and how they prove it.
//! `validation` is shared by the browser and the server; `rules` holds the pure
//! rules for one-time email codes and the PIN lockout ladder; `secrets` (server
//! only) makes codes and hashes codes and PINs.
pub mod rules;
#[cfg(feature = "ssr")]
pub mod secrets;
pub mod validation;
