//! A person's rights over their data (issue 18; the Privacy page promises both):
//! "Download my data" (a JSON file of everything held about them) and "Delete my
//! account" (everything stops at once; 30 days later a daily job purges what is
//! left). It sits above the other domains: deleting ends connections, cancels
//! billing, stops deliveries and frees the phone number through their stores.
//! - `rules`: pure (the file's name, the purge date, the consequences in words);
//! - `store` (server only): the export's sections and the purge, the one place
//!   whose SQL reaches every table that can hold a person's data (the purge test
//!   lists them all, so a new table must be added here on purpose);
//! - `service` (server only): export and delete, each checked and audited;
//! - `pages`: the Settings cards and `/settings/delete`.
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
