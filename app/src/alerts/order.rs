//! "Who is told first" (`/people/<id>/order`): everyone at once, or an order
//! with a wait between steps, and how many times the alert repeats. The Member
//! and each of her Contacts may see and change it; everyone sees the same words.
use super::escalation::{self, MOST_REPEATS, MOST_STEPS};
use super::helper_list::{AddHelper, HelperList, RemoveHelper};
use super::helpers::HelperStatus;
use super::views::OrderView;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

/// Most Contacts one form places (a family is far smaller).
#[cfg(feature = "ssr")]
const MOST_PLACED: usize = 20;

#[cfg(feature = "ssr")]
fn parse_member(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn load_order(member: String) -> Result<OrderView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Alerts(&services()?)
        .order_view(&me, parse_member(&member)?)
        .await
}

#[server]
pub async fn save_order(
    member: String,
    mode: String,
    #[server(default)] gap: String,
    repeats: String,
    #[server(default)] contacts: Vec<String>,
    #[server(default)] places: Vec<String>,
) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let member = parse_member(&member)?;
    let invalid = |e: &str| AppError::Invalid(e.into()).with_status();
    let esc = escalation::parse_escalation(&mode, &gap, &repeats).map_err(invalid)?;
    if contacts.len() > MOST_PLACED || contacts.len() != places.len() {
        return Err(invalid("Please reload the page and try again."));
    }
    let mut placed = Vec::with_capacity(contacts.len());
    for (c, p) in contacts.iter().zip(&places) {
        let c = uuid::Uuid::parse_str(c.trim())
            .map_err(|_| invalid("Please reload the page and try again."))?;
        placed.push((c, escalation::parse_place(p).map_err(invalid)?));
    }
    Alerts(&services()?)
        .set_order(&caller(), &me, member, &esc, &placed)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/order?saved"));
    Ok(())
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<SaveOrder>::new();
    let add = ServerAction::<AddHelper>::new();
    let remove = ServerAction::<RemoveHelper>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                action.version().get() + add.version().get() + remove.version().get(),
            )
        },
        |(id, _)| load_order(id),
    );
    view! {
        <Title text="Who is told first"/>
        <section class="page" aria-labelledby="order-title">
            <h1 id="order-title">"If a check-in is missed: who is told first"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => {
                            let (member_id, helpers) = (v.member_id.clone(), v.helpers.clone());
                            view! {
                                <OrderForm v action/>
                                <HelperList member_id helpers add remove/>
                            }
                            .into_any()
                        }
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OrderForm(v: OrderView, action: ServerAction<SaveOrder>) -> impl IntoView {
    let error = error_of(action);
    // Saved: the redirect's `?saved` (no JavaScript) or the action's success,
    // both watched.
    let query = leptos_router::hooks::use_query_map();
    let saved =
        move || query.read().get("saved").is_some() || matches!(action.value().get(), Some(Ok(())));
    let whose = if v.is_self {
        "you miss".to_string()
    } else {
        format!("{} misses", v.name)
    };
    let back = format!("/people/{}", v.member_id);
    view! {
        <Show when=saved>
            <p class="notice-text" role="status">"Saved. Everyone has been told of the change."</p>
        </Show>
        <section class="card" aria-labelledby="now-title">
            <h2 id="now-title">{format!("Now, if {whose} a check-in")}</h2>
            <ul class="plain-list">
                {v.summary.iter().cloned().map(|t| view! { <li>{t}</li> }).collect_view()}
            </ul>
        </section>
        <ActionForm action=action attr:class="stack card" attr:novalidate=true>
            <input type="hidden" name="member" value=v.member_id.clone()/>
            <fieldset class="choice-group">
                <legend>"Tell"</legend>
                <div class="check">
                    <input id="mode-all" type="radio" name="mode" value="all" checked=v.gap_min.is_none()/>
                    <label for="mode-all">"Everyone at once"</label>
                </div>
                <div class="check">
                    <input id="mode-order" type="radio" name="mode" value="order" checked=v.gap_min.is_some()/>
                    <label for="mode-order">"One after another, in the order below"</label>
                </div>
            </fieldset>
            <div class="field">
                <label for="order-gap">"Minutes to wait before telling the next (5 to 60), if no one has responded"</label>
                <input id="order-gap" type="number" name="gap" min="5" max="60" step="1" inputmode="numeric"
                    value=v.gap_min.unwrap_or(15).to_string()/>
            </div>
            <fieldset class="choice-group">
                <legend>"The order"</legend>
                {v.contacts.iter().cloned().enumerate().map(|(i, (id, name, place))| {
                    let field = format!("place-{i}");
                    view! {
                        <div class="field">
                            <input type="hidden" name=format!("contacts[{i}]") value=id/>
                            <label for=field.clone()>{name}</label>
                            <select id=field name=format!("places[{i}]")>
                                {(1..=MOST_STEPS).map(Some).chain([None]).map(|p| view! {
                                    <option value=p.map(|n| n.to_string()).unwrap_or_default() selected=p == place>
                                        {escalation::place_words(p)}
                                    </option>
                                }).collect_view()}
                            </select>
                        </div>
                    }
                }).collect_view()}
                {v.helpers.iter().filter(|h| h.status == HelperStatus::Agreed).cloned().enumerate().map(|(j, h)| {
                    let i = v.contacts.len() + j;
                    let field = format!("place-{i}");
                    view! {
                        <div class="field">
                            <input type="hidden" name=format!("contacts[{i}]") value=h.id/>
                            <label for=field.clone()>{format!("{} (by text)", h.name)}</label>
                            <select id=field name=format!("places[{i}]")>
                                {(1..=MOST_STEPS).map(Some).chain([None]).map(|p| view! {
                                    <option value=p.map(|n| n.to_string()).unwrap_or_default() selected=p == h.place>
                                        {escalation::place_words(p)}
                                    </option>
                                }).collect_view()}
                            </select>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="order-repeats">"If no one responds, tell everyone again every 30 minutes, up to"</label>
                <select id="order-repeats" name="repeats">
                    {(0..=MOST_REPEATS).map(|n| view! {
                        <option value=n.to_string() selected=n == v.repeats>
                            {match n { 0 => "No repeats".to_string(), 1 => "1 time".to_string(), n => format!("{n} times") }}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <FormAlert id="order-error" message=error/>
            <button type="submit" class="button primary">"Save and tell everyone"</button>
        </ActionForm>
        <a class="button secondary" href=back>"Back"</a>
    }
}
