//! `/admin/people?q=…`: find a person by a part of their email, or their id.
//! Results are masked.
use super::super::views::PersonHit;
use super::{admin_failed, AdminFrame};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[server(prefix = "/admin/api")]
pub async fn admin_search(q: String) -> Result<Vec<PersonHit>, AppError> {
    use crate::accounts::session::{caller, services};
    let me = super::guard::require_fresh_admin().await?;
    super::super::service::Admin(&services()?)
        .search(&caller(), &me, &q)
        .await
}

#[component]
pub fn AdminPeoplePage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let results = Resource::new(q, |q| async move {
        if q.trim().is_empty() {
            // Nothing asked yet: only the step-up check.
            super::admin_ready().await.map(|_| None)
        } else {
            admin_search(q).await.map(Some)
        }
    });
    view! {
        <AdminFrame title="People">
            <form method="get" action="/admin/people" class="stack" role="search">
                <div class="field">
                    <label for="people-q">"Email (or part of it), or id"</label>
                    <input id="people-q" type="search" name="q" value=q autocomplete="off" required minlength="2"/>
                </div>
                <button type="submit" class="button primary">"Search"</button>
            </form>
            <Suspense fallback=crate::checkin::pages::loading>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(hits)) => hits_view(hits).into_any(),
                        Err(e) => admin_failed(e),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn hits_view(hits: Vec<PersonHit>) -> impl IntoView {
    let count = match hits.len() {
        0 => "Nobody matches.".to_string(),
        1 => "1 person".to_string(),
        n => format!("{n} people"),
    };
    view! {
        <p class="results-count" role="status">{count}</p>
        <ul class="plain-list admin-results">
            {hits.into_iter().map(|h| {
                let href = format!("/admin/people/{}", h.id);
                view! {
                    <li class="card">
                        <a class="result-link" href=href>{format!("{} \u{b7} {}", h.email, &h.id[..8])}</a>
                        <p>{h.phone.unwrap_or_else(|| "No phone".into())}</p>
                        <p>{format!("{} \u{b7} joined {}", h.state, h.joined)}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
