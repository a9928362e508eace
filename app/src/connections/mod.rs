//! Connections (SPEC §2, §4): Contacts who look out for Members, the invites that
//! connect them, and the rules around both. `rules` is pure; the storage, service
//! and pages come with the rest of the connections issue.
pub mod rules;
