//! "Text messages" on `/settings/alerts`: add a mobile number (confirmed by
//! replying YES), see where it stands, text reminders for Members, remove it.
use super::rules::PhoneView;
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::phones::service::Phones;
use leptos::prelude::*;

#[server]
pub async fn load_phone() -> Result<PhoneView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Phones(&services()?).phone_view(&me).await
}

#[server]
pub async fn add_phone(number: String, sms_reminders: Option<String>) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let number = super::rules::phone_shape(&number).map_err(AppError::invalid)?;
    Phones(&services()?)
        .add_phone(&caller(), &me, &number, sms_reminders.is_some())
        .await?;
    leptos_axum::redirect("/settings/alerts?phone=added");
    Ok(())
}

#[server]
pub async fn remove_phone() -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    Phones(&services()?).remove_phone(&caller(), &me).await?;
    leptos_axum::redirect("/settings/alerts?phone=removed");
    Ok(())
}

#[server]
pub async fn text_reminders(on: String) -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let on = match on.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(AppError::invalid("Please choose on or off.")),
    };
    Phones(&services()?).set_sms_reminders(&me, on).await?;
    leptos_axum::redirect("/settings/alerts?phone=saved");
    Ok(())
}

/// The card on `/settings/alerts`.
#[component]
pub fn PhoneCard() -> impl IntoView {
    let add = ServerAction::<AddPhone>::new();
    let remove = ServerAction::<RemovePhone>::new();
    let reminders = ServerAction::<TextReminders>::new();
    let data = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                reminders.version().get(),
            )
        },
        |_| load_phone(),
    );
    view! {
        <section class="card" aria-labelledby="phone-title">
            <h2 id="phone-title">"Text messages"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <PhoneBody v add remove reminders/> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PhoneBody(
    v: PhoneView,
    add: ServerAction<AddPhone>,
    remove: ServerAction<RemovePhone>,
    reminders: ServerAction<TextReminders>,
) -> impl IntoView {
    let add_error = error_of(add);
    let remove_error = error_of(remove);
    if !v.available {
        return view! { <p>{super::rules::NO_SMS}</p> }.into_any();
    }
    let current = v.number.clone().zip(v.status).map(|(number, status)| {
        let flip = if v.sms_reminders { "off" } else { "on" };
        view! {
            <p><strong class="address">{number}</strong></p>
            <p class="notice-text">{status.words()}</p>
            {v.is_member.then(|| view! {
                <ActionForm action=reminders attr:class="stack">
                    <input type="hidden" name="on" value=flip/>
                    <button type="submit" class="button secondary">
                        {if v.sms_reminders { "Stop text reminders" } else { "Send me a text reminder before my check-in time" }}
                    </button>
                </ActionForm>
            })}
            <ActionForm action=remove attr:class="stack">
                <button type="submit" class="button secondary">"Remove this number"</button>
            </ActionForm>
            <FormAlert id="remove-phone-error" message=remove_error/>
        }
    });
    view! {
        <p>"If someone misses a check-in, we also text you. Members can check in by replying OK."</p>
        {current}
        <ActionForm action=add attr:class="stack" attr:novalidate=true>
            <div class="field">
                <label for="phone-number">{if v.number.is_some() { "A different mobile number" } else { "Your mobile number" }}</label>
                <p class="hint" id="phone-hint">"We\u{2019}ll text it once: reply YES to confirm."</p>
                <input id="phone-number" type="tel" name="number" autocomplete="tel" inputmode="tel"
                    aria-describedby="phone-hint" required/>
            </div>
            {v.is_member.then(|| view! {
                <div class="check">
                    <input id="sms-reminders" type="checkbox" name="sms_reminders" value="on" checked=v.sms_reminders/>
                    <label for="sms-reminders">"Text me a reminder before my check-in time"</label>
                </div>
            })}
            <FormAlert id="phone-error" message=add_error/>
            <button type="submit" class="button primary">"Text me to confirm"</button>
        </ActionForm>
    }
    .into_any()
}
