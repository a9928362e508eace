//! Log-in with email and PIN, and "forgot your PIN" (SPEC §3; seed 001 L1629-1644,
//! L5535-5562). A lockout never signs anyone out: a signed-in device stays so.
use super::forms::{error_of, FormAlert, PinField, TzField};
use super::signup::EmailStep;
#[cfg(feature = "ssr")]
use crate::accounts::service::Accounts;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[server]
pub async fn log_in(
    email: String,
    pin: String,
    tz: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::forms::parse_offset;
    use super::session::{caller, services, sign_in};
    use crate::validation::{Email, Pin};
    let email = Email::parse(&email).map_err(AppError::invalid)?;
    let pin = Pin::parse(&pin).map_err(AppError::invalid)?;
    let services = services()?;
    let signed_in = Accounts(&services)
        .log_in(&caller(), &email, &pin, parse_offset(tz))
        .await?;
    sign_in(signed_in).await?;
    if let Some(member) = Accounts(&services).member(signed_in.device_id).await? {
        crate::accounts::text_size::remember_on_device(member.text_size)?;
    }
    let next = super::rules::safe_next(next.as_deref());
    leptos_axum::redirect(next.as_deref().unwrap_or("/home"));
    Ok(())
}

/// Sets a new PIN for the address verified a moment ago; every other device is
/// signed out and this one is signed in.
#[server]
pub async fn reset_pin(pin: String, pin_again: String) -> Result<(), AppError> {
    use super::session::{caller, services, sign_in, verified_email};
    use super::signup::EXPIRED_VERIFICATION;
    let services = services()?;
    let Some(email) = verified_email(services.clock.now()).await? else {
        return Err(AppError::invalid(EXPIRED_VERIFICATION));
    };
    let pin = super::rules::new_pin(&pin, &pin_again).map_err(AppError::invalid)?;
    let signed_in = Accounts(&services)
        .reset_pin(&caller(), &email, &pin)
        .await?;
    sign_in(signed_in).await?;
    leptos_axum::redirect("/home?pin=changed");
    Ok(())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = error_of(action);
    let query = leptos_router::hooks::use_query_map();
    let signed_out = move || match query.read().get("signed_out").as_deref() {
        Some("everywhere") => Some("You\u{2019}re signed out on every device."),
        Some(_) => Some("You\u{2019}re signed out. See you soon!"),
        None => None,
    };
    view! {
        <Title text="Log in"/>
        <section class="page narrow" aria-labelledby="login-title">
            <h1 id="login-title">"Welcome back"</h1>
            {move || signed_out().map(|text| view! { <p class="notice-text" role="status">{text}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <TzField/>
                <input type="hidden" name="next" value=move || query.read().get("next").unwrap_or_default()/>
                <div class="field">
                    <label for="field-email">"Your email address"</label>
                    <input
                        id="field-email"
                        type="email"
                        name="email"
                        autocomplete="username"
                        inputmode="email"
                        required
                        aria-describedby="login-error"
                    />
                </div>
                <PinField name="pin" label="Your 4-number PIN" autocomplete="current-password"/>
                <FormAlert id="login-error" message=error/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Logging in\u{2026}" } else { "Log in" }}
                </button>
            </ActionForm>
            <p><a class="standalone" href="/forgot">"Forgot your PIN?"</a></p>
            <p>"New to Pruuf? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    view! {
        <Title text="Forgot your PIN"/>
        <section class="page narrow" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Forgot your PIN?"</h1>
            <p class="lead">
                "No problem. We\u{2019}ll email you a code, and then you can choose a new PIN."
            </p>
            <EmailStep intent="reset" button="Send me a code"/>
            <p><a class="standalone" href="/login">"Back to log in"</a></p>
        </section>
    }
}

#[component]
pub fn NewPinPage() -> impl IntoView {
    let action = ServerAction::<ResetPin>::new();
    let error = error_of(action);
    view! {
        <Title text="Choose a new PIN"/>
        <section class="page narrow" aria-labelledby="new-pin-title">
            <h1 id="new-pin-title">"Choose a new PIN"</h1>
            <p class="lead">
                "Choose 4 numbers you will remember, not 1234 or a year. For your safety, every other device will be signed out."
            </p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <PinField name="pin" label="Your new 4-number PIN" autofocus=true/>
                <PinField name="pin_again" label="Type the same PIN again"/>
                <FormAlert id="new-pin-error" message=error/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Save my new PIN"
                </button>
            </ActionForm>
        </section>
    }
}
