//! `/admin/webhooks`: Stripe events kept after a failure, with the kind of
//! error; replay one from here (`server dead-letters replay ID` still works).
use super::super::views::DeadLetterView;
use super::{admin_failed, AdminFrame, Fact};
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/admin/api")]
pub async fn admin_dead_letters() -> Result<Vec<DeadLetterView>, AppError> {
    use crate::accounts::session::services;
    super::guard::require_fresh_admin().await?;
    super::super::service::Admin(&services()?)
        .dead_letters()
        .await
}

#[server(prefix = "/admin/api")]
pub async fn admin_replay(id: String) -> Result<String, AppError> {
    use crate::accounts::session::{caller, services};
    let me = super::guard::require_fresh_admin().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound.with_status())?;
    let outcome = super::super::service::Admin(&services()?)
        .replay(&caller(), &me, id)
        .await?;
    leptos_axum::redirect(&format!(
        "/admin/webhooks?replayed={}",
        crate::accounts::query_encode(&outcome)
    ));
    Ok(outcome)
}

#[component]
pub fn AdminWebhooksPage() -> impl IntoView {
    let replay = ServerAction::<AdminReplay>::new();
    let error = error_of(replay);
    let data = Resource::new(move || replay.version().get(), |_| admin_dead_letters());
    let query = use_query_map();
    view! {
        <AdminFrame title="Webhooks">
            {move || query.read().get("replayed").map(|o| view! {
                <p class="notice-text" role="status">{format!("Replayed: {o}.")}</p>
            })}
            <FormAlert id="replay-error" message=error/>
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(letters) if letters.is_empty() => view! { <p>"No Stripe events are waiting."</p> }.into_any(),
                        Ok(letters) => view! {
                            <ul class="plain-list">
                                {letters.into_iter().map(|l| view! {
                                    <li class="card stack">
                                        <h2>{format!("{} ({})", l.event_type, l.kind)}</h2>
                                        <dl class="facts">
                                            <Fact term="Event" value=l.event_id.clone()/>
                                            <Fact term="Error" value=l.error.clone()/>
                                            <Fact term="Tries" value=l.attempts.to_string()/>
                                            <Fact term="First failed" value=l.since.clone()/>
                                        </dl>
                                        <ActionForm action=replay>
                                            <input type="hidden" name="id" value=l.id.clone()/>
                                            <button type="submit" class="button primary" aria-label=format!("Replay event {}", l.event_id)>"Replay this event"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}
