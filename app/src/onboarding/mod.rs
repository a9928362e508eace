//! The first steps after sign-up (issue 18): text size for everyone; then for
//! someone who checks in, "Set your daily time" and "Turn on reminders on this
//! phone"; for someone who looks out, "Add the person you look out for". Each ends
//! on Today. This domain sits above the ones whose pages it leads through.
//! - `rules`: pure (which step comes next);
//! - `pages`: the size, reminders and invite steps.
pub mod pages;
pub mod rules;
