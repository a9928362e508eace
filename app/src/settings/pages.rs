//! The Settings page: who you are here, links to every page that changes
//! something, and "Sign out" behind a confirmation that works before the WASM
//! loads (a `<details>` disclosure, then the sign-out form).
use super::rules::role_lines;
use crate::accounts::devices::SignOutButton;
use crate::accounts::text_size_control::TextSizeControl;
use crate::checkin::pages::{failed, load_home, loading};
use crate::checkin::views::HomeView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_home());
    view! {
        <Title text="Settings"/>
        <section class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(home) => view! { <SettingsBody home/> }.into_any(),
                        Err(error) => failed(error),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsBody(home: HomeView) -> impl IntoView {
    let names: Vec<String> = home.watching.iter().map(|w| w.name.clone()).collect();
    let roles = role_lines(home.is_member, &names);
    let checks_in = home.is_member;
    let shows_billing = home.billing.shows_billing;
    view! {
        <section class="card" aria-labelledby="you-title">
            <h2 id="you-title">"You"</h2>
            <p>"You\u{2019}re signed in as " <strong class="address">{home.email.clone()}</strong> "."</p>
            {roles.into_iter().map(|line| view! { <p class="role-line">{line}</p> }).collect_view()}
        </section>
        <TextSizeControl/>
        <nav class="card actions" aria-labelledby="change-title">
            <h2 id="change-title">"Change"</h2>
            {checks_in.then(|| view! { <a class="button secondary" href="/schedule">"Check-in time"</a> })}
            <a class="button secondary" href="/settings/alerts">"How you hear from us"</a>
            {shows_billing.then(|| view! { <a class="button secondary" href="/billing">"Plan and payment"</a> })}
            <a class="button secondary" href="/devices">"Signed-in devices"</a>
            <a class="button secondary" href="/connections">"Your people"</a>
        </nav>
        <section class="card" aria-labelledby="leave-title">
            <h2 id="leave-title">"Sign out"</h2>
            <details class="confirm">
                <summary class="button secondary">"Sign out of Pruuf on this device"</summary>
                <p>
                    "To come back on this device you\u{2019}ll need your email address and your PIN. "
                    "The people you look out for, and who look out for you, stay connected."
                </p>
                <SignOutButton/>
            </details>
        </section>
    }
}
