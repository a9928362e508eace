//! `/settings/alerts`: how a Contact hears about check-ins. Missed check-ins always
//! reach them (email and every device with alerts on); the quiet confirmation of
//! a check-in is theirs to choose: every check-in or only when something is
//! wrong, and by alerts on their devices and/or email (SPEC §5).
// One form whose every choice is a field (the server function's arguments,
// and the functions its macro writes).
#![allow(clippy::too_many_arguments)]
use super::rules::{ConfirmPrefs, QuietHours};
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettingsView {
    pub prefs: ConfirmPrefs,
    pub quiet: Option<QuietHours>,
    /// Monday's summary of each Member's week, by email.
    pub weekly: bool,
    /// Browsers of this person with alerts on.
    pub devices: i64,
}

#[server]
pub async fn alert_settings() -> Result<AlertSettingsView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    let (prefs, devices) = Alerts(&services).confirm_prefs(me.user_id).await?;
    let quiet = Alerts(&services).quiet_hours(me.user_id).await?;
    let weekly = crate::summary::service::Summaries(&services)
        .weekly_on(me.user_id)
        .await?;
    Ok(AlertSettingsView {
        prefs,
        quiet,
        weekly,
        devices,
    })
}

#[server]
pub async fn save_alert_settings(
    confirm: String,
    push: Option<String>,
    email: Option<String>,
    sms: Option<String>,
    quiet: Option<String>,
    weekly: Option<String>,
    #[server(default)] quiet_from: String,
    #[server(default)] quiet_to: String,
) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let prefs = ConfirmPrefs::parse(&confirm, push.as_deref(), email.as_deref(), sms.as_deref())
        .map_err(AppError::invalid)?;
    let quiet =
        QuietHours::parse(quiet.is_some(), &quiet_from, &quiet_to).map_err(AppError::invalid)?;
    let services = services()?;
    Alerts(&services)
        .set_confirm_prefs(&caller(), me.user_id, &prefs)
        .await?;
    Alerts(&services)
        .set_quiet_hours(&caller(), me.user_id, quiet)
        .await?;
    crate::summary::service::Summaries(&services)
        .set_weekly(&caller(), me.user_id, weekly.is_some())
        .await?;
    leptos_axum::redirect("/settings/alerts?saved=1");
    Ok(())
}

#[component]
pub fn AlertSettingsPage() -> impl IntoView {
    let action = ServerAction::<SaveAlertSettings>::new();
    let query = use_query_map();
    let data = Resource::new(move || action.version().get(), |_| alert_settings());
    let saved = move || query.read().get("saved").is_some();
    view! {
        <Title text="How you hear from us"/>
        <section class="page narrow" aria-labelledby="alert-settings-title">
            <h1 id="alert-settings-title">"How you hear from us"</h1>
            <Show when=move || saved() && action.value().with(|v| !matches!(v, Some(Err(_))))>
                <p class="notice-text" role="status">"Saved. This is how we\u{2019}ll tell you from now on."</p>
            </Show>
            <section class="card" aria-labelledby="missed-title">
                <h2 id="missed-title">"If someone misses a check-in"</h2>
                <p>
                    "We always tell you by email and on every device where you turned alerts on. "
                    "This can\u{2019}t be turned off, so you never miss one."
                </p>
            </section>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <ConfirmForm v action/> }.into_any(),
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
            <crate::phones::pages::PhoneCard/>
            <crate::calls::pages::CallAlertsCard/>
            <a class="button secondary" href="/home">"Back to today"</a>
        </section>
    }
}

#[component]
fn ConfirmForm(v: AlertSettingsView, action: ServerAction<SaveAlertSettings>) -> impl IntoView {
    let error = error_of(action);
    let p = v.prefs;
    let quiet = v.quiet;
    let (quiet_from, quiet_to) = match quiet {
        Some(q) => (
            q.from.format("%H:%M").to_string(),
            q.to.format("%H:%M").to_string(),
        ),
        None => ("21:00".to_string(), "08:00".to_string()),
    };
    let no_device = (v.devices == 0).then(|| {
        view! {
            <p class="hint" id="push-hint">
                "No device has alerts on yet: turn them on from \u{201c}Today\u{201d} on each phone or computer you use."
            </p>
        }
    });
    view! {
        <section class="card" aria-labelledby="confirm-title">
            <h2 id="confirm-title">"When someone checks in"</h2>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <fieldset class="choice-group">
                    <legend>"Tell me"</legend>
                    <div class="check">
                        <input id="confirm-every" type="radio" name="confirm" value="every" checked=p.every/>
                        <label for="confirm-every">"Every time they check in (a quiet note)"</label>
                    </div>
                    <div class="check">
                        <input id="confirm-problems" type="radio" name="confirm" value="problems" checked=!p.every/>
                        <label for="confirm-problems">"Only when something is wrong"</label>
                    </div>
                </fieldset>
                <fieldset class="choice-group">
                    <legend>"Send the quiet notes by"</legend>
                    <div class="check">
                        <input id="confirm-push" type="checkbox" name="push" value="on" checked=p.push
                            aria-describedby=(v.devices == 0).then_some("push-hint")/>
                        <label for="confirm-push">"Alerts on my devices"</label>
                    </div>
                    {no_device}
                    <div class="check">
                        <input id="confirm-email" type="checkbox" name="email" value="on" checked=p.email/>
                        <label for="confirm-email">"Email"</label>
                    </div>
                    <div class="check">
                        <input id="confirm-sms" type="checkbox" name="sms" value="on" checked=p.sms/>
                        <label for="confirm-sms">"Text messages (to your confirmed mobile number, below)"</label>
                    </div>
                </fieldset>
                <div class="check">
                    <input id="weekly-on" type="checkbox" name="weekly" value="on" checked=v.weekly/>
                    <label for="weekly-on">"A summary of each week by email, on Monday morning"</label>
                </div>
                <fieldset class="choice-group">
                    <legend>"Quiet hours"</legend>
                    <p class="hint" id="quiet-hint">
                        "Quiet notes and other news wait until the morning. An alert that someone missed a check-in never waits."
                    </p>
                    <div class="check">
                        <input id="quiet-on" type="checkbox" name="quiet" value="on" checked=quiet.is_some()
                            aria-describedby="quiet-hint"/>
                        <label for="quiet-on">"Hold back news at night"</label>
                    </div>
                    <div class="field">
                        <label for="quiet-from">"From"</label>
                        <input id="quiet-from" type="time" name="quiet_from" value=quiet_from/>
                    </div>
                    <div class="field">
                        <label for="quiet-to">"Until"</label>
                        <input id="quiet-to" type="time" name="quiet_to" value=quiet_to/>
                    </div>
                </fieldset>
                <FormAlert id="confirm-error" message=error/>
                <button type="submit" class="button primary">"Save how I hear"</button>
            </ActionForm>
        </section>
    }
}
