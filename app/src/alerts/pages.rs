//! The alert page (`/alerts/<id>`): what happened, who is on it, "I'm on it", and
//! the trail of this Contact's deliveries.
use super::views::AlertView;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::{AppError, ErrorPage};
use crate::phones::call_links::CallLinks;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
fn parse_miss(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn load_alert(miss: String) -> Result<AlertView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Alerts(&services()?)
        .alert_view(&me, parse_miss(&miss)?)
        .await
}

#[server]
pub async fn on_it(miss: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_miss(&miss)?;
    Alerts(&services()?).acknowledge(&caller(), &me, id).await?;
    leptos_axum::redirect(&format!("/alerts/{id}"));
    Ok(())
}

#[component]
pub fn AlertPage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<OnIt>::new();
    let error = error_of(action);
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                action.version().get(),
            )
        },
        |(id, _)| load_alert(id),
    );
    view! {
        <Title text="Alert"/>
        <section class="page" aria-labelledby="alert-title">
            <h1 id="alert-title">"Check-in alert"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(a) => view! {
                            <div class="card notice">
                                <p class="headline">{a.headline.clone()}</p>
                                {a.acknowledged.clone().map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
                                {a.may_acknowledge.then(|| view! {
                                    <ActionForm action=action attr:class="stack">
                                        <input type="hidden" name="miss" value=a.id.clone()/>
                                        <button type="submit" class="button primary">"I\u{2019}m on it"</button>
                                    </ActionForm>
                                })}
                                <FormAlert id="ack-error" message=error/>
                                <div class="row-actions">
                                    <CallLinks name=a.name.clone() phone=a.phone.clone()/>
                                </div>
                            </div>
                            <h2>"What we sent you"</h2>
                            <ul class="plain-list">
                                {a.trail.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                            </ul>
                            <a class="button secondary" href="/home">"Back to today"</a>
                        }.into_any(),
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
