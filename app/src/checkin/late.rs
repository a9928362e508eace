//! "Running late today?" (`/people/<id>/late`): the Member, or a Contact who
//! may act for her, moves today's time later once, by up to 3 hours, before it
//! passes. Her Contacts are told quietly in the app.
use super::rules::{late_choice_words, LATE_CHOICES};
use super::views::LateView;
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
fn parse_member(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn load_late(member: String) -> Result<LateView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    super::service::CheckIns(&services()?)
        .late_view(&me, parse_member(&member)?)
        .await
}

/// Moves today's time later; answers the new time ("1:00 PM HST").
#[server]
pub async fn run_late(member: String, minutes: String) -> Result<String, AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let member = parse_member(&member)?;
    let minutes = super::rules::parse_late(&minutes).map_err(AppError::invalid)?;
    let at = super::service::CheckIns(&services()?)
        .running_late(&caller(), &me, member, minutes)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/late?moved"));
    Ok(at)
}

#[component]
pub fn LatePage() -> impl IntoView {
    let params = use_params_map();
    let action = ServerAction::<RunLate>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                action.version().get(),
            )
        },
        |(id, _)| load_late(id),
    );
    view! {
        <Title text="Running late today?"/>
        <section class="page" aria-labelledby="late-title">
            <h1 id="late-title">"Running late today?"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <LateForm v action/> }.into_any(),
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn LateForm(v: LateView, action: ServerAction<RunLate>) -> impl IntoView {
    let error = error_of(action);
    let query = use_query_map();
    let moved =
        move || query.read().get("moved").is_some() || matches!(action.value().get(), Some(Ok(_)));
    let moved_before = v.moved;
    let member_id = v.member_id.clone();
    let (whose, back) = if v.is_self {
        ("Your".to_string(), "/home".to_string())
    } else {
        (
            format!("{}\u{2019}s", v.name),
            format!("/people/{}", v.member_id),
        )
    };
    let form = if moved_before {
        view! {
            <p>"Today\u{2019}s time has been moved once already. Tomorrow goes back to the usual time."</p>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=action attr:class="stack card" attr:novalidate=true>
                <input type="hidden" name="member" value=member_id/>
                <p>"You can move today\u{2019}s time later once, before it passes. Tomorrow goes back to the usual time."</p>
                <div class="field">
                    <label for="late-minutes">"Move today\u{2019}s time later by"</label>
                    <select id="late-minutes" name="minutes">
                        {LATE_CHOICES.iter().map(|m| view! {
                            <option value=m.to_string() selected=*m == 60>{late_choice_words(*m)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <FormAlert id="late-error" message=error/>
                <button type="submit" class="button primary">"Move today\u{2019}s time"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <Show when=moved>
            <p class="notice-text" role="status">"Done. Today\u{2019}s check-in has moved, and everyone has been told."</p>
        </Show>
        <p class="lead">{format!("{whose} check-in today is by {}.", v.today)}</p>
        {form}
        <a class="button secondary" href=back>"Back"</a>
    }
}
