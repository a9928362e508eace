//! Pruuf's pages, server functions and the types and validation that the browser
//! and the server share. Organised by domain; server-only code is behind `ssr`.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod alerts;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod billing;
pub mod bundle;
pub mod calls;
pub mod checkin;
#[cfg(feature = "ssr")]
pub mod clock;
pub mod connections;
pub mod error;
mod lazy;
mod legal;
pub mod limits;
#[cfg(feature = "ssr")]
pub mod locks;
pub mod notify;
pub mod onboarding;
pub mod phones;
pub mod plan;
pub mod privacy;
pub mod pwa;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod services;
pub mod settings;
mod shell;
pub mod summary;
pub mod tabs;
#[cfg(feature = "ssr")]
pub mod time;
pub mod validation;
mod welcome;

pub use shell::{shell, App};

/// Called by the browser bundle (the `frontend` crate) once the WASM has loaded.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    // Asynchronous: a page split out of the main bundle (see `lazy`) is fetched
    // before its part of the page is hydrated.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body, App).await.forget();
        // Marks the page as live: the stylesheet and the end-to-end tests read it.
        if let Some(root) = page_root() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

/// The page's `<html>` element, in the browser.
#[cfg(feature = "hydrate")]
pub(crate) fn page_root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
