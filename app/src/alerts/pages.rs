//! The alert page (`/alerts/<id>`): what happened, who is on it, "I'm on it", and
//! the trail of this Contact's deliveries.
use super::views::AlertView;
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::{AppError, ErrorPage};
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
    use crate::accounts::session::{accounts, require_sign_in};
    let me = require_sign_in().await?;
    accounts()?.alert_view(&me, parse_miss(&miss)?).await
}

#[server]
pub async fn on_it(miss: String) -> Result<(), AppError> {
    use crate::accounts::session::{accounts, caller, require_sign_in};
    let me = require_sign_in().await?;
    let id = parse_miss(&miss)?;
    accounts()?.acknowledge(&caller(), &me, id).await?;
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

/// "I'm OK" on a reminder notification, posted by the service worker with the
/// token the reminder carried (so it works without opening the app, and without
/// a session). Answers the words the worker shows. Its address is fixed
/// (`/api/reminder_check_in`, no build hash): a reminder sent before a deploy
/// still reaches it after.
#[server(endpoint = "reminder_check_in")]
pub async fn reminder_check_in(token: String) -> Result<String, AppError> {
    use crate::accounts::session::accounts;
    // 32 bytes in base64url: 43 characters of [A-Za-z0-9_-].
    let token = token.trim();
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(super::service::REMINDER_EXPIRED));
    }
    Ok(accounts()?.check_in_from_reminder(token).await?.message())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn reminders_post_to_the_path_the_service_puts_in_them() {
        use leptos::server_fn::ServerFn;
        assert_eq!(
            ReminderCheckIn::PATH,
            super::super::views::REMINDER_CHECK_IN_PATH
        );
    }
}
