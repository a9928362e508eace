//! The welcome page (SPEC §8; seed 001 L1604-1610): what Pruuf is, in one breath,
//! and the two ways in.
use crate::accounts::text_size_control::TextSizeControl;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// Whether someone is signed in on this device: the welcome page (and so the
/// logo) then leads to Today.
#[server]
pub async fn signed_in_here() -> Result<bool, AppError> {
    Ok(crate::accounts::session::signed_in().await?.is_some())
}

#[component]
pub fn WelcomePage() -> impl IntoView {
    let who = Resource::new(|| (), |_| signed_in_here());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(who.await, Ok(true)).then(|| view! { <Redirect path="/home"/> })
            })}
        </Suspense>
        <Title text="Welcome"/>
        <section class="page welcome" aria-labelledby="welcome-title">
            <h1 id="welcome-title">"Stay connected to loved ones with daily check-ins"</h1>
            <p class="lead">
                "Once a day, one tap on \u{201c}I\u{2019}m OK\u{201d} lets your family know you\u{2019}re well. "
                "If the tap doesn\u{2019}t come, they hear about it straight away, so they can check on you."
            </p>
            <ul class="facts">
                <li>"Always free for the person checking in"</li>
                <li>"Family members: 30-day free trial, then $3.99 a month. Cancel anytime."</li>
            </ul>
            <div class="actions">
                <a class="button primary" href="/signup">"Get Started"</a>
                <a class="button secondary" href="/login">"Already have an account? Log in"</a>
            </div>
        </section>
        <TextSizeControl/>
    }
}
