//! The admin pages: Health (`/admin`), People, Deliveries and Webhooks, each in
//! its own file with its server functions (all under `/admin/api`, so the
//! server's 404 guard covers them with the pages).
pub mod deliveries;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod health;
pub mod people;
pub mod person;
pub mod step_up;
pub mod webhooks;

use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

/// Whether this session may use the admin pages now (signed-in admin, fresh
/// step-up): a page with nothing to load yet asks only this.
#[server(prefix = "/admin/api")]
pub async fn admin_ready() -> Result<(), AppError> {
    guard::require_fresh_admin().await.map(|_| ())
}

/// The frame of every admin page: the admin menu, then the page.
#[component]
pub fn AdminFrame(title: &'static str, children: Children) -> impl IntoView {
    let path = use_location().pathname;
    let link = move |href: &'static str, label: &'static str| {
        let current = move || {
            let p = path.get();
            let here = if href == "/admin" {
                p == "/admin"
            } else {
                p.starts_with(href)
            };
            here.then_some("page")
        };
        view! { <li><a href=href aria-current=current>{label}</a></li> }
    };
    view! {
        <Title text=format!("{title} \u{b7} Pruuf admin")/>
        <section class="page admin" aria-labelledby="admin-title">
            <nav class="admin-menu" aria-label="Admin">
                <ul>
                    {link("/admin", "Health")}
                    {link("/admin/people", "People")}
                    {link("/admin/deliveries", "Deliveries")}
                    {link("/admin/webhooks", "Webhooks")}
                </ul>
            </nav>
            <h1 id="admin-title">{title}</h1>
            {children()}
        </section>
    }
}

/// What an admin page shows when its data could not be had: the step-up card,
/// or the error.
pub fn admin_failed(error: AppError) -> AnyView {
    match error {
        AppError::StepUpNeeded => view! { <step_up::StepUpCard/> }.into_any(),
        error => view! { <ErrorPage error/> }.into_any(),
    }
}

/// A term and its value, in an admin card.
#[component]
pub fn Fact(term: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <div class="fact">
            <dt>{term}</dt>
            <dd>{value}</dd>
        </div>
    }
}
