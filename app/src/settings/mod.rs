//! Settings (`/settings`, issue 18): one page that gathers who you are here, in
//! plain words, and everything you can change, with "Sign out" behind a
//! confirmation (off the home, one accidental tap from a log-in she may not
//! manage). It sits above the other domains and only links to their pages.
//! - `rules`: the plain words for someone's roles (pure, unit-tested);
//! - `pages`: the page (it reads the home's data) and its small forms: your
//!   name, and the consent to show your number to your Contacts.
pub mod email;
pub mod pages;
pub mod rules;
