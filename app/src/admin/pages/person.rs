//! `/admin/people/:id`: one person: state, roles, connections, schedule, recent
//! misses with every delivery, billing. Email, phone and name are masked until
//! the admin reveals them with a reason (written to the audit log).
use super::super::views::{DeliveryView, PersonView};
use super::{admin_failed, AdminFrame, Fact};
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[server(prefix = "/admin/api")]
pub async fn admin_person(id: String) -> Result<PersonView, AppError> {
    use crate::accounts::session::{caller, services};
    let me = super::guard::require_fresh_admin().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound.with_status())?;
    let services = services()?;
    let revealed = super::guard::revealed(&me, id, services.clock.now()).await?;
    super::super::service::Admin(&services)
        .person(&caller(), &me, id, revealed)
        .await
}

#[server(prefix = "/admin/api")]
pub async fn admin_reveal(id: String, reason: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, services};
    let me = super::guard::require_fresh_admin().await?;
    let person = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound.with_status())?;
    let services = services()?;
    super::super::service::Admin(&services)
        .reveal(&caller(), &me, person, &reason)
        .await?;
    super::guard::mark_revealed(&me, person, services.clock.now()).await?;
    leptos_axum::redirect(&format!("/admin/people/{person}"));
    Ok(())
}

#[component]
pub fn AdminPersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reveal = ServerAction::<AdminReveal>::new();
    let data = Resource::new(
        move || (id(), reveal.version().get()),
        |(id, _)| admin_person(id),
    );
    view! {
        <AdminFrame title="Person">
            <p><a href="/admin/people">"\u{2190} Back to the search"</a></p>
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(p) => person_view(p, reveal).into_any(),
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn person_view(p: PersonView, reveal: ServerAction<AdminReveal>) -> impl IntoView {
    let error = error_of(reveal);
    let none = || "\u{2014}".to_string();
    let id = p.id.clone();
    view! {
        <div class="stack">
            <section class="card" aria-labelledby="who-title">
                <h2 id="who-title">{p.email.clone()}</h2>
                <dl class="facts">
                    <Fact term="Id" value=p.id.clone()/>
                    <Fact term="Name" value=p.name.clone().unwrap_or_else(none)/>
                    <Fact term="Phone" value=p.phone.clone().map(|n| format!("{n} ({})", p.phone_status.clone().unwrap_or_default())).unwrap_or_else(none)/>
                    <Fact term="State" value=p.state.clone()/>
                    <Fact term="Roles" value=format!("{}{}", p.roles, if p.is_admin { "; admin" } else { "" })/>
                    <Fact term="Joined" value=p.joined.clone()/>
                    <Fact term="Deleted" value=p.deleted.clone().unwrap_or_else(none)/>
                    <Fact term="Time zone" value=p.time_zone.clone()/>
                </dl>
                {if p.revealed {
                    view! { <p class="notice-text">"Shown in full for 10 minutes; your look is in the audit log."</p> }.into_any()
                } else {
                    view! {
                        <details class="confirm">
                            <summary class="button secondary">"Show the full email and phone"</summary>
                            <ActionForm action=reveal attr:class="stack" attr:novalidate=true>
                                <input type="hidden" name="id" value=id/>
                                <div class="field">
                                    <label for="reveal-reason">"Why do you need them?"</label>
                                    <p class="hint" id="reveal-reason-hint">"Written to the audit log with your name, e.g. \u{201c}support ticket 412\u{201d}."</p>
                                    <input id="reveal-reason" type="text" name="reason" required minlength="3" maxlength="300"
                                        aria-describedby="reveal-reason-hint"/>
                                </div>
                                <FormAlert id="reveal-error" message=error/>
                                <button type="submit" class="button primary">"Show them"</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                }}
            </section>
            <p><a href=format!("/admin/deliveries?trouble=failed&person={}", p.id)>"Failed deliveries to this person"</a></p>
            <section class="card" aria-labelledby="billing-title">
                <h2 id="billing-title">"Billing"</h2>
                <dl class="facts">
                    <Fact term="Trial ends" value=p.trial_ends.clone().unwrap_or_else(none)/>
                    <Fact term="Plan" value=p.plan.clone().unwrap_or_else(none)/>
                    <Fact term="Subscription" value=p.subscription_status.clone().unwrap_or_else(none)/>
                    <Fact term="Stripe customer" value=p.stripe_customer.clone().unwrap_or_else(none)/>
                    <Fact term="Stripe subscription" value=p.stripe_subscription.clone().unwrap_or_else(none)/>
                </dl>
            </section>
            <section class="card" aria-labelledby="schedule-title">
                <h2 id="schedule-title">"Schedule"</h2>
                <p>{p.schedule.clone().unwrap_or_else(|| "No schedule.".into())}</p>
            </section>
            <section class="card" aria-labelledby="connections-title">
                <h2 id="connections-title">"Connections"</h2>
                {if p.connections.is_empty() {
                    view! { <p>"None."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list">
                            {p.connections.into_iter().map(|c| {
                                let href = format!("/admin/people/{}", c.other_id);
                                let when = match c.ended {
                                    Some(e) => format!("from {} to {}", c.since, e),
                                    None => format!("since {}", c.since),
                                };
                                view! { <li><a href=href>{c.other_email}</a>{format!(" \u{2014} {} ({when})", c.side)}</li> }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="card" aria-labelledby="misses-title">
                <h2 id="misses-title">"Recent missed check-ins"</h2>
                {if p.misses.is_empty() {
                    view! { <p>"None."</p> }.into_any()
                } else {
                    p.misses.into_iter().map(|m| view! {
                        <article class="miss">
                            <h3>{format!("{} (deadline {})", m.day, m.deadline)}</h3>
                            <p>{format!("Found {}; {}", m.detected, m.acknowledged.map(|a| format!("someone was on it at {a}")).unwrap_or_else(|| "nobody said \u{201c}I\u{2019}m on it\u{201d}".into()))}</p>
                            <DeliveryList deliveries=m.deliveries/>
                        </article>
                    }).collect_view().into_any()
                }}
            </section>
        </div>
    }
}

/// Deliveries with their trail, each linking to its own page.
#[component]
pub fn DeliveryList(deliveries: Vec<DeliveryView>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p>"No deliveries."</p> }.into_any();
    }
    view! {
        <ul class="plain-list deliveries">
            {deliveries.into_iter().map(|d| {
                let href = format!("/admin/deliveries/{}", d.id);
                let label = format!("{} {} to {}: {}", d.channel, d.kind, d.recipient, d.status);
                view! {
                    <li>
                        <a href=href>{label}</a>
                        <p class="hint">{format!(
                            "{} tr{} \u{b7} made {}{}{}",
                            d.attempts,
                            if d.attempts == 1 { "y" } else { "ies" },
                            d.created,
                            d.sent.map(|s| format!(" \u{b7} sent {s}")).unwrap_or_default(),
                            d.last_error.map(|e| format!(" \u{b7} {e}")).unwrap_or_default(),
                        )}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
