//! The alert page (`/alerts/<id>`): what happened, who is on it, "I'm on it", and
//! the trail of this Contact's deliveries.
use super::views::AlertView;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::{AppError, ErrorPage};
use crate::phones::call_links::CallLinks;
use crate::plan::pages::PlanList;
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
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    Alerts(&services()?)
        .alert_page(&caller(), &me, parse_miss(&miss)?)
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

/// "Close this alert": what happened (checked with the shared rules), told to
/// every Contact.
#[server]
pub async fn close_alert(miss: String, outcome: String, note: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_miss(&miss)?;
    let (outcome, note) = super::escalation::validate_close(&outcome, &note)
        .map_err(|e| AppError::Invalid(e.into()).with_status())?;
    Alerts(&services()?)
        .close(&caller(), &me, id, outcome, &note)
        .await?;
    leptos_axum::redirect(&format!("/alerts/{id}"));
    Ok(())
}

#[component]
pub fn AlertPage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<OnIt>::new();
    let close = ServerAction::<CloseAlert>::new();
    let error = error_of(action);
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                action.version().get() + close.version().get(),
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
                        Ok(a) => { let close_id = a.id.clone(); view! {
                            <div class="card notice">
                                <p class="headline">{a.headline.clone()}</p>
                                {a.acknowledged.clone().map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
                                {a.may_acknowledge.then(|| view! {
                                    <ActionForm action=action attr:class="stack">
                                        <input type="hidden" name="miss" value=a.id.clone()/>
                                        <button type="submit" class="button primary">"I\u{2019}m on it"</button>
                                    </ActionForm>
                                })}
                                {a.closed.clone().map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
                                <FormAlert id="ack-error" message=error/>
                                <div class="row-actions">
                                    <CallLinks name=a.name.clone() phone=a.phone.clone()/>
                                </div>
                            </div>
                            {(!a.plan.is_empty()).then(|| view! {
                                <section class="card" aria-labelledby="plan-title">
                                    <h2 id="plan-title">{format!("{}\u{2019}s plan", a.name)}</h2>
                                    <PlanList rows=a.plan.clone()/>
                                    <a class="button secondary" href=format!("/people/{}/plan", a.member_id)>"The whole plan"</a>
                                </section>
                            })}
                            {(!a.order.is_empty()).then(|| view! {
                                <section class="card" aria-labelledby="order-title">
                                    <h2 id="order-title">"Who is told, and when"</h2>
                                    <ul class="plain-list">
                                        {a.order.clone().into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                                    </ul>
                                </section>
                            })}
                            {a.may_close.then(|| view! { <CloseForm action=close outcomes=a.outcomes.clone() miss=close_id/> })}
                            <h2>"What we sent you"</h2>
                            <ul class="plain-list">
                                {a.trail.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                            </ul>
                            <a class="button secondary" href="/home">"Back to today"</a>
                        }.into_any() },
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// "Close this alert", folded away until asked for so "I'm on it" stays the
/// one big thing on the page.
#[component]
fn CloseForm(
    action: ServerAction<CloseAlert>,
    outcomes: Vec<(String, String)>,
    miss: String,
) -> impl IntoView {
    let error = error_of(action);
    view! {
        <details class="card">
            <summary class="button secondary">"Close this alert"</summary>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="miss" value=miss/>
                <fieldset class="choice-group">
                    <legend>"What happened?"</legend>
                    {outcomes.into_iter().enumerate().map(|(i, (value, words))| {
                        let id = format!("outcome-{value}");
                        view! {
                            <div class="check">
                                <input id=id.clone() type="radio" name="outcome" value=value checked=i == 0/>
                                <label for=id>{words}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="close-note">"A note for the others (optional)"</label>
                    <textarea id="close-note" name="note" rows="3" maxlength="500"></textarea>
                </div>
                <FormAlert id="close-error" message=error/>
                <button type="submit" class="button primary">"Close the alert and tell everyone"</button>
            </ActionForm>
        </details>
    }
}
