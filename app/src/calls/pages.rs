//! The "Daily call" card on the schedule page (a Member: "Call me every day at
//! [time] on [number]") and the "Phone calls" card on `/settings/alerts` (a
//! Contact: be called about a missed check-in), with their server functions.
use super::views::{CallAlertsView, DailyCallView};
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::calls::service::Calls;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn load_daily_call() -> Result<DailyCallView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Calls(&services()?).daily_call_view(&me).await
}

#[server]
pub async fn save_daily_call(time: String, number: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    crate::checkin::rules::DeadlineTime::parse(&time).map_err(AppError::invalid)?;
    let number = crate::phones::rules::phone_shape(&number).map_err(AppError::invalid)?;
    Calls(&services()?)
        .save_daily_call(&caller(), &me, &number, &time)
        .await?;
    leptos_axum::redirect("/schedule?call=saved");
    Ok(())
}

#[server]
pub async fn stop_daily_call() -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    Calls(&services()?).stop_daily_call(&caller(), &me).await?;
    leptos_axum::redirect("/schedule?call=stopped");
    Ok(())
}

#[server]
pub async fn call_again() -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Calls(&services()?).call_again(&me).await?;
    leptos_axum::redirect("/schedule?call=again");
    Ok(())
}

#[server]
pub async fn load_call_alerts() -> Result<CallAlertsView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Calls(&services()?).call_alerts_view(&me).await
}

#[server]
pub async fn call_alerts(on: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let on = match on.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(AppError::invalid("Please choose on or off.")),
    };
    Calls(&services()?)
        .set_call_alerts(&caller(), &me, on)
        .await?;
    leptos_axum::redirect("/settings/alerts?calls=saved");
    Ok(())
}

/// "Daily call": Pruuf rings her every day before her check-in time.
#[component]
pub fn DailyCallCard() -> impl IntoView {
    let save = ServerAction::<SaveDailyCall>::new();
    let stop = ServerAction::<StopDailyCall>::new();
    let again = ServerAction::<CallAgain>::new();
    let data = Resource::new(
        move || {
            (
                save.version().get(),
                stop.version().get(),
                again.version().get(),
            )
        },
        |_| load_daily_call(),
    );
    view! {
        <section class="card" aria-labelledby="call-title">
            <h2 id="call-title">"A daily phone call"</h2>
            <p>"We can call you every day a little before your check-in time. Press 1, or any key, and you\u{2019}re checked in. If you don\u{2019}t answer, we call once more ten minutes later."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <DailyCallBody v save stop again/> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DailyCallBody(
    v: DailyCallView,
    save: ServerAction<SaveDailyCall>,
    stop: ServerAction<StopDailyCall>,
    again: ServerAction<CallAgain>,
) -> impl IntoView {
    if !v.available {
        return view! { <p>{super::rules::NO_CALLS}</p> }.into_any();
    }
    let save_error = error_of(save);
    let again_error = error_of(again);
    let number = if v.number.is_empty() {
        v.mobile.clone().unwrap_or_default()
    } else {
        v.number.clone()
    };
    let time = if v.time.is_empty() {
        "09:00".to_string()
    } else {
        v.time.clone()
    };
    let has_call = v.status.is_some();
    view! {
        {v.status.clone().map(|words| view! { <p class="notice-text" role="status" id="call-status">{words}</p> })}
        {v.waiting.then(|| view! {
            <ActionForm action=again attr:class="stack">
                <button type="submit" class="button secondary">"Call me again to confirm"</button>
            </ActionForm>
            <FormAlert id="call-again-error" message=again_error/>
        })}
        <ActionForm action=save attr:class="stack" attr:novalidate=true>
            <div class="field">
                <label for="call-time">"Call me every day at"</label>
                <input id="call-time" type="time" name="time" value=time required/>
            </div>
            <div class="field">
                <label for="call-number">"On this number"</label>
                <p class="hint" id="call-number-hint">"Your mobile or a landline. A new number gets a call first: answer it and press 1."</p>
                <input id="call-number" type="tel" name="number" autocomplete="tel" inputmode="tel"
                    value=number aria-describedby="call-number-hint" required/>
            </div>
            <FormAlert id="call-error" message=save_error/>
            <button type="submit" class="button primary">
                {if has_call { "Save my daily call" } else { "Call me every day" }}
            </button>
        </ActionForm>
        {(!v.recent.is_empty()).then(|| view! {
            <h3>"Your last calls"</h3>
            <ul class="plain-list" id="recent-calls">
                {v.recent.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}
            </ul>
        })}
        {has_call.then(|| view! {
            <ActionForm action=stop attr:class="stack">
                <button type="submit" class="button secondary">"Stop the daily call"</button>
            </ActionForm>
        })}
    }
    .into_any()
}

/// "Phone calls": a Contact chooses to be rung when someone misses a check-in.
#[component]
pub fn CallAlertsCard() -> impl IntoView {
    let set = ServerAction::<CallAlerts>::new();
    let data = Resource::new(move || set.version().get(), |_| load_call_alerts());
    view! {
        <section class="card" aria-labelledby="call-alerts-title">
            <h2 id="call-alerts-title">"Phone calls"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <CallAlertsBody v set/> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CallAlertsBody(v: CallAlertsView, set: ServerAction<CallAlerts>) -> impl IntoView {
    let error = error_of(set);
    if !v.available {
        return view! { <p>{super::rules::NO_CALLS}</p> }.into_any();
    }
    let Some(number) = v.number else {
        return view! { <p>"To be called when someone misses a check-in, add your mobile number under Text messages first."</p> }.into_any();
    };
    let (words, flip, button) = if v.on {
        (
            format!("If someone misses a check-in, we also call you on {number}. Press 1 on the call to say you\u{2019}re on it."),
            "off",
            "Stop calling me about alerts",
        )
    } else {
        (
            format!("A phone call wakes you where a message may not. We can call {number} when someone misses a check-in."),
            "on",
            "Call me when someone misses a check-in",
        )
    };
    view! {
        <p id="call-alerts-words">{words}</p>
        <ActionForm action=set attr:class="stack">
            <input type="hidden" name="on" value=flip/>
            <FormAlert id="call-alerts-error" message=error/>
            <button type="submit" class="button secondary">{button}</button>
        </ActionForm>
    }
    .into_any()
}
