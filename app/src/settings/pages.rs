//! The Settings page: who you are here, links to every page that changes
//! something, and "Sign out" behind a confirmation that works before the WASM
//! loads (a `<details>` disclosure, then the sign-out form).
use super::rules::role_lines;
use crate::accounts::devices::SignOutButton;
use crate::accounts::forms::{error_of, FormAlert, PinField};
use crate::accounts::text_size_control::TextSizeControl;
use crate::checkin::pages::{failed, load_home, loading};
use crate::checkin::views::HomeView;
use crate::error::AppError;
use crate::privacy::pages::YourDataCard;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What Settings shows about the person beyond the home's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The name others see ("What should we call you?").
    pub name: String,
    /// Her verified number is shown to her Contacts as call and text links.
    pub share_phone: bool,
}

#[server]
pub async fn my_profile() -> Result<Profile, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    Ok(Profile {
        name: me.display_name(),
        share_phone: crate::accounts::store::shares_phone(&services.pool, me.user_id).await?,
    })
}

#[server]
pub async fn save_my_name(name: String) -> Result<(), AppError> {
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{require_sign_in, services};
    use crate::validation::PersonName;
    let me = require_sign_in().await?;
    let name = PersonName::parse(&name).map_err(AppError::invalid)?;
    Accounts(&services()?).set_name(&me, &name).await?;
    leptos_axum::redirect("/settings?saved=name");
    Ok(())
}

/// A new PIN, confirmed with the current one.
#[server]
pub async fn change_my_pin(
    current: String,
    pin: String,
    pin_again: String,
) -> Result<(), AppError> {
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::validation::Pin;
    let me = require_sign_in().await?;
    let current = Pin::parse(&current).map_err(AppError::invalid)?;
    let new = crate::accounts::rules::new_pin(&pin, &pin_again).map_err(AppError::invalid)?;
    Accounts(&services()?)
        .change_pin(&caller(), &me, &current, &new)
        .await?;
    leptos_axum::redirect("/settings?saved=pin");
    Ok(())
}

/// The consent switch: her number as "Call" and "Text" on her Contacts' pages.
#[server]
pub async fn save_share_phone(share: Option<String>) -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    crate::accounts::store::set_share_phone(&services.pool, me.user_id, share.is_some()).await?;
    leptos_axum::redirect("/settings?saved=phone");
    Ok(())
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_home());
    let profile = Resource::new(|| (), |_| my_profile());
    let query = leptos_router::hooks::use_query_map();
    let saved = move || {
        query.read().get("saved").map(|what| match what.as_str() {
            "name" => "Your name is saved.",
            "email" => "Your email address is changed. We told your old address too.",
            "pin" => "Your new PIN is saved. Other devices were signed out.",
            _ => "Saved.",
        })
    };
    view! {
        <Title text="Settings"/>
        <section class="page" aria-labelledby="settings-title">
            <h1 id="settings-title">"Settings"</h1>
            {move || saved().map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match (data.await, profile.await) {
                        (Ok(home), Ok(profile)) => view! { <SettingsBody home profile/> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => failed(error),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsBody(home: HomeView, profile: Profile) -> impl IntoView {
    let names: Vec<String> = home.watching.iter().map(|w| w.name.clone()).collect();
    let roles = role_lines(home.is_member, &names);
    let checks_in = home.is_member;
    let shows_billing = home.billing.shows_billing;
    view! {
        <section class="card" aria-labelledby="you-title">
            <h2 id="you-title">"You"</h2>
            <p>"You\u{2019}re signed in as " <strong class="address">{home.email.clone()}</strong> "."</p>
            {roles.into_iter().map(|line| view! { <p class="role-line">{line}</p> }).collect_view()}
            <NameForm name=profile.name.clone()/>
            <super::email::EmailForm email=home.email.clone()/>
        </section>
        <TextSizeControl/>
        {checks_in.then(|| view! { <SharePhoneForm share=profile.share_phone/> })}
        <nav class="card actions" aria-labelledby="change-title">
            <h2 id="change-title">"Change"</h2>
            {checks_in.then(|| view! { <a class="button secondary" href="/schedule">"Check-in time"</a> })}
            <a class="button secondary" href="/settings/alerts">"How you hear from us"</a>
            {shows_billing.then(|| view! { <a class="button secondary" href="/billing">"Plan and payment"</a> })}
            <a class="button secondary" href="/devices">"Signed-in devices"</a>
            <a class="button secondary" href="/connections">"Your people"</a>
        </nav>
        <PinForm/>
        <YourDataCard/>
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

/// "Your name": the one the people you connect with see.
#[component]
fn NameForm(name: String) -> impl IntoView {
    let action = ServerAction::<SaveMyName>::new();
    let error = error_of(action);
    view! {
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <div class="field">
                <label for="my-name">"Your name"</label>
                <p class="hint" id="my-name-hint">"What the people you connect with see when you invite them."</p>
                <input id="my-name" type="text" name="name" autocomplete="name" required maxlength="255"
                    value=name aria-describedby="my-name-hint"/>
            </div>
            <FormAlert id="name-error" message=error/>
            <button type="submit" class="button secondary">"Save my name"</button>
        </ActionForm>
    }
}

/// Her consent to show her mobile number to the people who look out for her.
#[component]
fn SharePhoneForm(share: bool) -> impl IntoView {
    let action = ServerAction::<SaveSharePhone>::new();
    let error = error_of(action);
    view! {
        <section class="card" aria-labelledby="share-phone-title">
            <h2 id="share-phone-title">"Calls and texts from your people"</h2>
            <ActionForm action=action attr:class="stack">
                <div class="check">
                    <input id="share-phone" type="checkbox" name="share" value="yes" checked=share/>
                    <label for="share-phone">
                        "Show my mobile number to the people who look out for me, so they can call or text me from Pruuf"
                    </label>
                </div>
                <p class="hint">"Only a number you have confirmed under \u{201c}How you hear from us\u{201d} is shown."</p>
                <FormAlert id="share-phone-error" message=error/>
                <button type="submit" class="button secondary">"Save"</button>
            </ActionForm>
        </section>
    }
}

/// "Change my PIN", behind a disclosure so it is one tap away, not in the way.
#[component]
fn PinForm() -> impl IntoView {
    let action = ServerAction::<ChangeMyPin>::new();
    let error = error_of(action);
    view! {
        <section class="card" aria-labelledby="pin-title">
            <h2 id="pin-title">"Your PIN"</h2>
            <details class="confirm">
                <summary class="button secondary">"Change my PIN"</summary>
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <PinField name="current" label="Your PIN now" autocomplete="current-password"/>
                    <PinField name="pin" label="Your new 4-number PIN"/>
                    <PinField name="pin_again" label="Type the new PIN again"/>
                    <FormAlert id="change-pin-error" message=error/>
                    <button type="submit" class="button primary">"Save my new PIN"</button>
                </ActionForm>
            </details>
        </section>
    }
}
