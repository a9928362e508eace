//! Accounts (SPEC §3): who someone is and how they prove it.
//! `validation` is shared by the browser and the server; `rules` holds the pure
//! rules for one-time email codes and the PIN lockout ladder.
pub mod rules;
pub mod validation;
