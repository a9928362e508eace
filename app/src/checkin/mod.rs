//! The check-in (SPEC §5, §8): each Member's schedule, the daily "I'm OK", pauses,
//! both home pages and the notification list.
//! - `rules`: the shared types and validation (browser and server);
//! - `views`: what the pages show, as the server sends it;
//! - `store`, `service` (server only): all the check-in SQL, and each action;
//! - `pages`: the pages and their server functions;
//! - `late`: "Running late today?", moving today's time later once;
//! - `windows`: several check-ins a day, per weekday (their time rules);
//! - `travel`: "Use Chicago time while you're away?", asked once per zone.
pub mod late;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod travel;
pub mod views;
pub mod windows;
