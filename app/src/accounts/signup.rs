//! Sign-up and the email code (SPEC §3; seed 001 L1602-1677): email → 6-digit
//! code → PIN twice (with the Terms) → text size. "Forgot PIN" uses the same code
//! step; the server decides from the address which PIN page comes next.
use super::forms::{error_of, CodeEntry, FormAlert, PinField, TzField, ZoneField};
use super::query_encode;
#[cfg(feature = "ssr")]
use crate::accounts::service::Accounts;
use crate::accounts::text_size::{CurrentTextSize, TextSize};
#[cfg(feature = "ssr")]
use crate::connections::service::Connections;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Sends a code to `email` and moves on to the code page.
#[server]
pub async fn request_code(
    email: String,
    intent: Option<String>,
    tz: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::forms::parse_offset;
    use super::session::{caller, services};
    use crate::validation::Email;
    let email = Email::parse(&email).map_err(AppError::invalid)?;
    Accounts(&services()?)
        .request_code(&caller(), &email, parse_offset(tz))
        .await?;
    leptos_axum::redirect(&verify_path(
        email.as_str(),
        intent.as_deref(),
        next.as_deref(),
    ));
    Ok(())
}

/// `/verify?email=…[&for=reset][&next=…]`
pub fn verify_path(email: &str, intent: Option<&str>, next: Option<&str>) -> String {
    let mut path = format!("/verify?email={}", query_encode(email));
    if intent == Some("reset") {
        path.push_str("&for=reset");
    }
    path.push_str(&next_param(next));
    path
}

/// `&next=…` for a safe local `next`, else nothing.
pub fn next_param(next: Option<&str>) -> String {
    super::rules::safe_next(next)
        .map(|n| format!("&next={}", query_encode(&n)))
        .unwrap_or_default()
}

/// Checks the code; on success this browser may set a PIN for the address.
#[server]
pub async fn verify_code(
    email: String,
    code: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::service::AfterCode;
    use super::session::{caller, remember_verified, services};
    use crate::validation::{Email, EmailCode};
    let email = Email::parse(&email).map_err(AppError::invalid)?;
    let code = EmailCode::parse(&code).map_err(AppError::invalid)?;
    let services = services()?;
    let after = Accounts(&services)
        .verify_code(&caller(), &email, &code)
        .await?;
    remember_verified(&email, services.clock.now()).await?;
    let page = match after {
        AfterCode::CreateAccount => "/signup/pin",
        AfterCode::NewPin => "/forgot/pin",
    };
    let next = next_param(next.as_deref());
    leptos_axum::redirect(&match next.strip_prefix('&') {
        Some(param) => format!("{page}?{param}"),
        None => page.to_string(),
    });
    Ok(())
}

/// Creates the account for the address verified a moment ago, and signs in.
#[server]
pub async fn create_account(
    name: Option<String>,
    pin: String,
    pin_again: String,
    accept: Option<String>,
    next: Option<String>,
    zone: Option<String>,
) -> Result<TextSize, AppError> {
    use super::service::NewAccount;
    use super::session::{caller, services, sign_in, verified_email};
    use crate::validation::PersonName;
    let services = services()?;
    let Some(email) = verified_email(services.clock.now()).await? else {
        return Err(AppError::invalid(EXPIRED_VERIFICATION));
    };
    let name = PersonName::parse(name.as_deref().unwrap_or_default())
        .map_err(|_| AppError::invalid(YOUR_NAME_MESSAGE))?;
    let pin = super::rules::new_pin(&pin, &pin_again).map_err(AppError::invalid)?;
    // A zone the browser named and we know; anything else leaves the default.
    let zone = zone
        .map(|z| z.trim().to_string())
        .filter(|z| z.parse::<chrono_tz::Tz>().is_ok());
    if accept.is_none() {
        return Err(AppError::invalid(
            "Please tick the box to accept the Terms and the Privacy Policy.",
        ));
    }
    let next = super::rules::safe_next(next.as_deref());
    let join = next
        .as_deref()
        .and_then(crate::connections::rules::join_code);
    let mut size = crate::accounts::text_size::initial_text_size();
    if let Some(code) = &join {
        // Someone invited to check in each day starts with large text.
        if Connections(&services).invite_is_for_member(code).await?
            && size == crate::accounts::text_size::TextSize::Standard
        {
            size = crate::accounts::text_size::TextSize::Large;
        }
    }
    let new = NewAccount {
        email: &email,
        pin: &pin,
        name: &name,
        text_size: size,
        time_zone: zone.as_deref(),
    };
    let signed_in = Accounts(&services).create_account(&caller(), new).await?;
    sign_in(signed_in).await?;
    crate::accounts::text_size::remember_on_device(size)?;
    if let Some(code) = join {
        // Straight on to the connection; if it cannot be made, the join page says why.
        let me = Accounts(&services).member(signed_in.device_id).await?;
        if let Some(me) = me {
            if Connections(&services)
                .accept_invite(&caller(), &me, &code)
                .await
                .is_ok()
            {
                leptos_axum::redirect("/signup/size?joined=1");
                return Ok(size);
            }
        }
    }
    leptos_axum::redirect(next.as_deref().unwrap_or("/signup/size"));
    Ok(size)
}

pub const YOUR_NAME_MESSAGE: &str =
    "Please tell us what to call you: 2 letters or more, like Tom or Mary Smith.";

pub const EXPIRED_VERIFICATION: &str =
    "It's been a while since you entered your code. Please start again: we'll send a new one.";

/// The first step: the email address.
#[component]
pub fn SignupPage() -> impl IntoView {
    view! {
        <Title text="Sign up"/>
        <section class="page narrow" aria-labelledby="signup-title">
            <h1 id="signup-title">"Create your account"</h1>
            <p class="lead">"We\u{2019}ll email you a 6-digit code to make sure the address is yours."</p>
            <EmailStep intent="signup" button="Send me a code"/>
            <p>"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

/// The email form, shared by sign-up and "forgot your PIN".
#[component]
pub fn EmailStep(intent: &'static str, button: &'static str) -> impl IntoView {
    let action = ServerAction::<RequestCode>::new();
    let error = error_of(action);
    let query = use_query_map();
    let email = move || query.read().get("email").unwrap_or_default();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="intent" value=intent/>
            <input type="hidden" name="next" value=next/>
            <TzField/>
            <div class="field">
                <label for="field-email">"Your email address"</label>
                <input
                    id="field-email"
                    type="email"
                    name="email"
                    autocomplete="email"
                    inputmode="email"
                    required
                    value=email
                    aria-describedby="email-error"
                />
            </div>
            <FormAlert id="email-error" message=error/>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Sending\u{2026}" } else { button }}
            </button>
        </ActionForm>
    }
}

/// The code step: `/verify?email=…&code=…` (the mail's link fills the code in).
#[component]
pub fn VerifyPage() -> impl IntoView {
    let action = ServerAction::<VerifyCode>::new();
    let error = error_of(action);
    let query = use_query_map();
    let email = query.read_untracked().get("email").unwrap_or_default();
    let code = query.read_untracked().get("code").unwrap_or_default();
    let reset = query.read_untracked().get("for").as_deref() == Some("reset");
    let next = query.read_untracked().get("next").unwrap_or_default();
    let next_for_resend = next.clone();
    let resend = ServerAction::<RequestCode>::new();
    let resend_error = error_of(resend);
    let intent = if reset { "reset" } else { "signup" };
    let back = if reset { "/forgot" } else { "/signup" };
    let (email_for_code, email_for_resend) = (email.clone(), email.clone());
    view! {
        <Title text="Enter your code"/>
        <section class="page narrow" aria-labelledby="verify-title">
            <h1 id="verify-title">"Check your email"</h1>
            <p class="lead">
                "We sent a 6-digit code to " <strong class="address">{email.clone()}</strong> ". "
                "It works for 10 minutes."
            </p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="email" value=email_for_code.clone()/>
                <input type="hidden" name="next" value=next.clone()/>
                <CodeEntry initial=code.clone()/>
                <FormAlert id="code-error" message=error/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Continue"
                </button>
            </ActionForm>
            <div class="card">
                <h2>"No email?"</h2>
                <p>"It can take a minute to arrive. Please look in your spam or junk folder too."</p>
                <ActionForm action=resend attr:class="stack">
                    <input type="hidden" name="email" value=email_for_resend.clone()/>
                    <input type="hidden" name="intent" value=intent/>
                    <input type="hidden" name="next" value=next_for_resend.clone()/>
                    <TzField/>
                    <FormAlert id="resend-error" message=resend_error/>
                    <button type="submit" class="button secondary">"Send a new code"</button>
                </ActionForm>
                <p><a class="standalone" href=back>"Use a different email address"</a></p>
            </div>
        </section>
    }
}

/// Choosing a PIN, twice, and accepting the Terms.
#[component]
pub fn CreatePinPage() -> impl IntoView {
    let action = ServerAction::<CreateAccount>::new();
    let error = error_of(action);
    // The account may start with a larger text size: show it at once.
    let CurrentTextSize(current) = expect_context::<CurrentTextSize>();
    Effect::new(move |_| {
        if let Some(Ok(size)) = action.value().get() {
            current.set(size);
        }
    });
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Create your PIN"/>
        <section class="page narrow" aria-labelledby="pin-title">
            <h1 id="pin-title">"Create your PIN"</h1>
            <p class="lead">"Tell us your name, then choose 4 numbers you will remember, not 1234 or a year. You\u{2019}ll use them to log in."</p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="next" value=next/>
                <ZoneField/>
                <div class="field">
                    <label for="field-name">"What should we call you?"</label>
                    <p class="hint" id="name-hint">"The name the people you connect with will see, like Tom or Mary Smith."</p>
                    <input id="field-name" type="text" name="name" autocomplete="name" required
                        maxlength="255" aria-describedby="name-hint" autofocus/>
                </div>
                <PinField name="pin" label="Your 4-number PIN"/>
                <PinField name="pin_again" label="Type the same PIN again"/>
                <div class="check">
                    <input id="field-accept" type="checkbox" name="accept" value="yes" required/>
                    <label for="field-accept">
                        "I accept the " <a href="/terms" target="_blank">"Terms"</a> " and the "
                        <a href="/privacy" target="_blank">"Privacy Policy"</a>
                    </label>
                </div>
                <FormAlert id="pin-error" message=error/>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Create my account"
                </button>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_page_address_keeps_the_email_intact() {
        assert_eq!(
            verify_path("mary+pruuf@example.com", Some("signup"), None),
            "/verify?email=mary%2Bpruuf%40example.com"
        );
        assert_eq!(
            verify_path("a@b.io", Some("reset"), Some("https://evil.example")),
            "/verify?email=a%40b.io&for=reset"
        );
        assert_eq!(
            verify_path("a@b.io", None, Some("/join?code=K7M2QX")),
            "/verify?email=a%40b.io&next=%2Fjoin%3Fcode%3DK7M2QX"
        );
    }
}
