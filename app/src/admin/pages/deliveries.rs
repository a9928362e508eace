//! `/admin/deliveries`: failed or stuck deliveries, filtered by channel and
//! kind; retry one (from its page, `/admin/deliveries/:id`) or all listed.
use super::super::views::DeliveryView;
use super::person::DeliveryList;
use super::{admin_failed, AdminFrame, Fact};
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// At most this many ids in one retry.
#[cfg(feature = "ssr")]
const MAX_IDS: usize = 100;

#[server(prefix = "/admin/api")]
pub async fn admin_deliveries(
    trouble: String,
    channel: String,
    kind: String,
    person: String,
) -> Result<Vec<DeliveryView>, AppError> {
    use super::super::rules::{Trouble, CHANNELS};
    use crate::accounts::session::services;
    super::guard::require_fresh_admin().await?;
    let trouble = Trouble::parse(&trouble)
        .ok_or_else(|| AppError::invalid("Please choose failed or stuck."))?;
    let channel = match channel.as_str() {
        "" => None,
        c if CHANNELS.contains(&c) => Some(c),
        _ => {
            return Err(AppError::invalid(
                "Please choose email, push, text or call.",
            ))
        }
    };
    let kind = kind.trim();
    if kind.len() > 40 || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(AppError::invalid(
            "A kind is a word like missed or reminder.",
        ));
    }
    let kind = (!kind.is_empty()).then_some(kind);
    let recipient = match person.trim() {
        "" => None,
        p => Some(
            uuid::Uuid::parse_str(p)
                .map_err(|_| AppError::invalid("That person\u{2019}s id isn\u{2019}t right."))?,
        ),
    };
    let filter = super::super::store::Filter {
        channel,
        kind,
        recipient,
    };
    super::super::service::Admin(&services()?)
        .deliveries(trouble, filter)
        .await
}

#[server(prefix = "/admin/api")]
pub async fn admin_delivery(id: String) -> Result<DeliveryView, AppError> {
    use crate::accounts::session::services;
    super::guard::require_fresh_admin().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound.with_status())?;
    super::super::service::Admin(&services()?)
        .delivery(id)
        .await
}

/// Retries the deliveries `ids` (comma-separated), then goes `back`.
#[server(prefix = "/admin/api")]
pub async fn admin_retry(ids: String, back: String) -> Result<usize, AppError> {
    use crate::accounts::session::{caller, services};
    let me = super::guard::require_fresh_admin().await?;
    let parts: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.len() > MAX_IDS {
        return Err(AppError::invalid(
            "Please retry at most 100 deliveries at a time.",
        ));
    }
    let ids = parts
        .iter()
        .map(|s| uuid::Uuid::parse_str(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::invalid("That list of deliveries isn\u{2019}t right."))?;
    let n = super::super::service::Admin(&services()?)
        .retry(&caller(), &me, &ids)
        .await?;
    let back = super::step_up::safe_next(&back);
    let joiner = if back.contains('?') { '&' } else { '?' };
    leptos_axum::redirect(&format!("{back}{joiner}retried={n}"));
    Ok(n)
}

fn retried_notice() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.read().get("retried").map(|n| {
            let words = match n.as_str() {
                "0" => "Nothing was put back in the queue (it was sent, canceled, or its check-in came).".to_string(),
                "1" => "1 delivery is back in the queue.".to_string(),
                n => format!("{n} deliveries are back in the queue."),
            };
            view! { <p class="notice-text" role="status">{words}</p> }
        })
    }
}

#[component]
pub fn AdminDeliveriesPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let filters = move || (get("trouble"), get("channel"), get("kind"), get("person"));
    let data = Resource::new(filters, |(t, c, k, p)| admin_deliveries(t, c, k, p));
    let retry = ServerAction::<AdminRetry>::new();
    let error = error_of(retry);
    let selected =
        move |value: &'static str, current: String| (value == current).then_some("selected");
    view! {
        <AdminFrame title="Deliveries">
            {retried_notice()}
            <form method="get" action="/admin/deliveries" class="stack filters">
                <input type="hidden" name="person" value=move || get("person")/>
                {move || (!get("person").is_empty()).then(|| view! {
                    <p>"Deliveries to one person only. " <a href="/admin/deliveries">"Show everyone\u{2019}s"</a></p>
                })}
                <div class="field">
                    <label for="f-trouble">"Show"</label>
                    <select id="f-trouble" name="trouble">
                        <option value="failed" selected=move || selected("failed", get("trouble"))>"Failed"</option>
                        <option value="stuck" selected=move || selected("stuck", get("trouble"))>"Stuck"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="f-channel">"Channel"</label>
                    <select id="f-channel" name="channel">
                        <option value="" selected=move || selected("", get("channel"))>"Any"</option>
                        <option value="email" selected=move || selected("email", get("channel"))>"Email"</option>
                        <option value="push" selected=move || selected("push", get("channel"))>"Push"</option>
                        <option value="sms" selected=move || selected("sms", get("channel"))>"Text"</option>
                        <option value="call" selected=move || selected("call", get("channel"))>"Call"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="f-kind">"Kind (e.g. missed, reminder)"</label>
                    <input id="f-kind" type="text" name="kind" value=move || get("kind") autocomplete="off"/>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
            </form>
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(list) => {
                            let ids: Vec<String> = list.iter().filter(|d| d.retryable).map(|d| d.id.clone()).collect();
                            let count = list.len();
                            let back = format!("/admin/deliveries?trouble={}&channel={}&kind={}&person={}",
                                crate::accounts::query_encode(&get("trouble")),
                                crate::accounts::query_encode(&get("channel")),
                                crate::accounts::query_encode(&get("kind")),
                                crate::accounts::query_encode(&get("person")));
                            view! {
                                <h2 class="results-count">{match count { 0 => "None.".to_string(), 1 => "1 delivery".into(), n => format!("{n} deliveries") }}</h2>
                                <DeliveryList deliveries=list/>
                                {(!ids.is_empty()).then(|| view! {
                                    <ActionForm action=retry attr:class="stack" attr:novalidate=true>
                                        <input type="hidden" name="ids" value=ids.join(",")/>
                                        <input type="hidden" name="back" value=back/>
                                        <FormAlert id="retry-all-error" message=error/>
                                        <button type="submit" class="button primary">{format!("Retry all {} listed", ids.len())}</button>
                                    </ActionForm>
                                })}
                            }.into_any()
                        }
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
pub fn AdminDeliveryPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let retry = ServerAction::<AdminRetry>::new();
    let error = error_of(retry);
    let data = Resource::new(
        move || (id(), retry.version().get()),
        |(id, _)| admin_delivery(id),
    );
    view! {
        <AdminFrame title="Delivery">
            <p><a href="/admin/deliveries">"\u{2190} All failed deliveries"</a></p>
            {retried_notice()}
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => {
                            let none = || "\u{2014}".to_string();
                            let back = format!("/admin/deliveries/{}", d.id);
                            let recipient = format!("/admin/people/{}", d.recipient_id);
                            view! {
                                <section class="card stack" aria-labelledby="delivery-title">
                                    <h2 id="delivery-title">{format!("{} {}: {}", d.channel, d.kind, d.status)}</h2>
                                    <p>"To " <a href=recipient>{d.recipient.clone()}</a></p>
                                    <dl class="facts">
                                        <Fact term="Id" value=d.id.clone()/>
                                        <Fact term="Status" value=d.status.clone()/>
                                        <Fact term="Tries" value=d.attempts.to_string()/>
                                        <Fact term="Leases that ran out" value=d.lapses.to_string()/>
                                        <Fact term="Made" value=d.created.clone()/>
                                        <Fact term="Next try" value=d.next_attempt.clone()/>
                                        <Fact term="Sent" value=d.sent.clone().unwrap_or_else(none)/>
                                        <Fact term="Last error" value=d.last_error.clone().unwrap_or_else(none)/>
                                        <Fact term="Provider status" value=d.provider_status.clone().unwrap_or_else(none)/>
                                    </dl>
                                    {d.retryable.then(|| view! {
                                        <ActionForm action=retry attr:class="stack" attr:novalidate=true>
                                            <input type="hidden" name="ids" value=d.id.clone()/>
                                            <input type="hidden" name="back" value=back/>
                                            <FormAlert id="retry-error" message=error/>
                                            <button type="submit" class="button primary">"Retry this delivery"</button>
                                        </ActionForm>
                                    })}
                                </section>
                            }.into_any()
                        }
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}
