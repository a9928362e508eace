//! Being signed in: who I am, my signed-in devices, signing out (here, one other
//! device, or everywhere), and accepting new Terms.
use super::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::accounts::service::Accounts;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// The signed-in person, as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub email: String,
    /// The Terms or Privacy Policy changed since they last accepted.
    pub needs_consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: String,
    pub label: String,
    /// e.g. "26 Nov 2026"
    pub signed_in_on: String,
    pub last_used_on: String,
    pub this_device: bool,
}

/// Who is signed in here, if anyone.
#[server]
pub async fn me() -> Result<Option<Person>, AppError> {
    Ok(super::session::signed_in().await?.map(|m| Person {
        email: m.email,
        needs_consent: m.needs_consent,
    }))
}

#[server]
pub async fn list_devices() -> Result<Vec<DeviceView>, AppError> {
    use super::session::{require_sign_in, services};
    let member = require_sign_in().await?;
    let rows = Accounts(&services()?).devices(&member).await?;
    Ok(rows
        .into_iter()
        .map(|d| DeviceView {
            id: d.id.to_string(),
            label: d.label,
            signed_in_on: d.created_at.format("%-d %b %Y").to_string(),
            last_used_on: d.last_seen_at.format("%-d %b %Y").to_string(),
            this_device: d.id == member.device_id,
        })
        .collect())
}

/// Signs this device out.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use super::session::{caller, forget, services, signed_in};
    if let Some(member) = signed_in().await? {
        Accounts(&services()?)
            .sign_out(&caller(), &member, member.device_id)
            .await?;
    }
    forget().await?;
    leptos_axum::redirect("/login?signed_out=1");
    Ok(())
}

/// Signs one other device out, from the list.
#[server]
pub async fn sign_out_device(device: String) -> Result<(), AppError> {
    use super::session::{caller, require_sign_in, services};
    let member = require_sign_in().await?;
    let device = uuid::Uuid::parse_str(device.trim())
        .map_err(|_| AppError::invalid("That device isn't in your list any more."))?;
    if !Accounts(&services()?)
        .sign_out(&caller(), &member, device)
        .await?
    {
        return Err(AppError::invalid(
            "That device isn't in your list any more.",
        ));
    }
    leptos_axum::redirect("/devices");
    Ok(())
}

/// Signs out every device; `keep_this` keeps this one signed in.
#[server]
pub async fn sign_out_everywhere(keep_this: Option<String>) -> Result<(), AppError> {
    use super::session::{caller, forget, require_sign_in, services};
    let member = require_sign_in().await?;
    let keep = keep_this.is_some();
    Accounts(&services()?)
        .sign_out_everywhere(&caller(), &member, keep)
        .await?;
    if keep {
        leptos_axum::redirect("/devices?ended=others");
    } else {
        forget().await?;
        leptos_axum::redirect("/login?signed_out=everywhere");
    }
    Ok(())
}

#[server]
pub async fn accept_terms() -> Result<(), AppError> {
    use super::session::{caller, require_sign_in, services};
    let member = require_sign_in().await?;
    Accounts(&services()?)
        .accept_terms(&caller(), &member)
        .await?;
    leptos_axum::redirect("/home");
    Ok(())
}

/// Asks to accept new versions of the Terms and the Privacy Policy.
#[component]
pub fn ConsentCard() -> impl IntoView {
    let action = ServerAction::<AcceptTerms>::new();
    let error = error_of(action);
    view! {
        <section class="card notice" aria-labelledby="consent-title">
            <h2 id="consent-title">"We\u{2019}ve updated our Terms"</h2>
            <p>
                "Please read the new " <a href="/terms">"Terms"</a> " and "
                <a href="/privacy">"Privacy Policy"</a> ". Nothing changes in how Pruuf looks after you."
            </p>
            <ActionForm action=action attr:class="stack">
                <FormAlert id="consent-error" message=error/>
                <button type="submit" class="button primary">"I accept"</button>
            </ActionForm>
        </section>
    }
}

/// The last step of signing out (Settings shows it behind a confirmation).
#[component]
pub fn SignOutButton() -> impl IntoView {
    let action = ServerAction::<SignOut>::new();
    view! {
        <ActionForm action=action attr:class="stack">
            <button type="submit" class="button secondary">"Yes, sign out"</button>
        </ActionForm>
    }
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    let query = use_query_map();
    let ended_others = move || query.read().get("ended").as_deref() == Some("others");
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        <Title text="Signed-in devices"/>
        <section class="page" aria-labelledby="devices-title">
            <h1 id="devices-title">"Signed-in devices"</h1>
            <Show when=ended_others>
                <p class="notice-text" role="status">"Every other device is now signed out."</p>
            </Show>
            <p class="lead">
                "These are the phones and computers where you are signed in to Pruuf. "
                "If you don\u{2019}t recognise one, sign it out."
            </p>
            // One Suspense on the page (nested ones failed to hydrate): the list
            // itself sends a signed-out visitor to log in.
            <DeviceList everywhere/>
            <EverywhereForms action=everywhere/>
        </section>
    }
}

#[component]
fn DeviceList(everywhere: ServerAction<SignOutEverywhere>) -> impl IntoView {
    let sign_out_one = ServerAction::<SignOutDevice>::new();
    // Reloads whenever a sign-out from this page finishes.
    let devices = Resource::new(
        move || sign_out_one.version().get() + everywhere.version().get(),
        |_| list_devices(),
    );
    let error = error_of(sign_out_one);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Ok(list) => {
                        view! {
                            <ul class="device-list">
                                {list
                                    .into_iter()
                                    .map(|d| {
                                        let this = d.this_device;
                                        view! {
                                            <li class="card device">
                                                <h2>
                                                    {d.label.clone()}
                                                    {this.then(|| view! { <span class="badge">" (this device)"</span> })}
                                                </h2>
                                                <p>
                                                    "Signed in " {d.signed_in_on.clone()}
                                                    ". Last used " {d.last_used_on.clone()} "."
                                                </p>
                                                {(!this).then(|| {
                                                    let label = format!("Sign out {}", d.label);
                                                    view! {
                                                        <ActionForm action=sign_out_one>
                                                            <input type="hidden" name="device" value=d.id.clone()/>
                                                            <button type="submit" class="button secondary" aria-label=label>
                                                                "Sign out this device"
                                                            </button>
                                                        </ActionForm>
                                                    }
                                                })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <ErrorPage error/> }.into_any(),
                }
            })}
        </Suspense>
        <FormAlert id="device-error" message=error/>
    }
}

#[component]
fn EverywhereForms(action: ServerAction<SignOutEverywhere>) -> impl IntoView {
    let error = error_of(action);
    view! {
        <div class="actions">
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="keep_this" value="yes"/>
                <button type="submit" class="button secondary">"Sign out all other devices"</button>
            </ActionForm>
            <ActionForm action=action attr:class="stack">
                <button type="submit" class="button secondary">"Sign out everywhere, this device too"</button>
            </ActionForm>
        </div>
        <FormAlert id="everywhere-error" message=error/>
    }
}
