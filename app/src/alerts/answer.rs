//! `/answer/<delivery>?t=<signature>`: an alert email's "I'm on it", without
//! signing in. Opening the link only shows the alert and one button (mail
//! scanners open links); the button answers, once.
use super::views::AnswerView;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
fn parse_delivery(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn load_answer(delivery: String, t: String) -> Result<AnswerView, AppError> {
    use crate::accounts::session::services;
    Alerts(&services()?)
        .answer_view(parse_delivery(&delivery)?, &t)
        .await
}

#[server]
pub async fn answer_alert(delivery: String, t: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, services};
    let id = parse_delivery(&delivery)?;
    Alerts(&services()?)
        .answer_by_link(&caller(), id, &t)
        .await?;
    leptos_axum::redirect(&format!(
        "{}{id}?t={}",
        crate::notify::ANSWER_PATH,
        t.trim()
    ));
    Ok(())
}

/// "I'm on it" on an alert notification, posted by the service worker with the
/// delivery and its signature (no session needed). Answers the words the
/// worker shows. Its address is fixed: `notify::ANSWER_PUSH_PATH`.
#[server(endpoint = "answer_by_push")]
pub async fn answer_by_push(delivery: String, t: String) -> Result<String, AppError> {
    use crate::accounts::session::{caller, services};
    let id = parse_delivery(&delivery)?;
    let alerts = Alerts(&services()?);
    alerts.answer_by_link(&caller(), id, &t).await?;
    let view = alerts.answer_view(id, &t).await?;
    Ok(view
        .state
        .unwrap_or_else(|| "Thank you. The others have been told you\u{2019}re on it.".into()))
}

#[component]
pub fn AnswerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let action = ServerAction::<AnswerAlert>::new();
    let error = error_of(action);
    let key = move || {
        (
            params.read().get("id").unwrap_or_default(),
            query.read().get("t").unwrap_or_default(),
        )
    };
    let data = Resource::new(
        move || (key(), action.version().get()),
        |((id, t), _)| load_answer(id, t),
    );
    view! {
        <Title text="Alert"/>
        <section class="page" aria-labelledby="answer-title">
            <h1 id="answer-title">"Check-in alert"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    let (id, t) = key();
                    match data.await {
                        Ok(a) => view! {
                            <div class="card notice">
                                <p class="headline">{a.headline.clone()}</p>
                                {a.state.clone().map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
                                {a.may_answer.then(|| view! {
                                    <ActionForm action=action attr:class="stack">
                                        <input type="hidden" name="delivery" value=id.clone()/>
                                        <input type="hidden" name="t" value=t.clone()/>
                                        <button type="submit" class="button primary">"I\u{2019}m on it"</button>
                                    </ActionForm>
                                    <p class="hint">{format!("The others who look out for {} will be told at once.", a.name)}</p>
                                })}
                                <FormAlert id="answer-error" message=error/>
                            </div>
                            <a class="button secondary" href=a.alert_link.clone()>"See the whole alert in Pruuf"</a>
                        }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod push_path {
    #[test]
    fn notifications_post_to_the_path_the_worker_puts_in_them() {
        use leptos::server_fn::ServerFn;
        assert_eq!(super::AnswerByPush::PATH, crate::notify::ANSWER_PUSH_PATH);
    }
}
