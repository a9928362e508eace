//! The server's integration tests, in one binary: one link instead of one per
//! file keeps the build quick and small. Each module needs the real PostgreSQL
//! (and mail catcher) that scripts/test.sh starts.
#![allow(dead_code)]

mod abuse;
mod accounts;
mod admin;
mod alerts;
mod billing;
mod bundle;
mod calls;
mod cancel;
mod checkin;
mod common;
mod connections;
mod database_outage;
mod escalation;
mod fanout;
mod http;
mod leptos_config;
mod mail;
mod never_give_up;
mod privacy;
mod sms;
mod windows;
