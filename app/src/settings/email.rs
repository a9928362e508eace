//! "Change my email" (issue 18): a code goes to the new address; once it is typed
//! at `/settings/email?to=…`, the account moves there and the old address is told.
use crate::accounts::forms::{error_of, CodeEntry, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[server]
pub async fn request_email_change(email: String) -> Result<(), AppError> {
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::validation::Email;
    let me = require_sign_in().await?;
    let new = Email::parse(&email).map_err(AppError::invalid)?;
    Accounts(&services()?)
        .request_email_change(&caller(), &me, &new)
        .await?;
    leptos_axum::redirect(&format!(
        "/settings/email?to={}",
        crate::accounts::query_encode(new.as_str())
    ));
    Ok(())
}

#[server]
pub async fn confirm_email_change(to: String, code: String) -> Result<(), AppError> {
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::validation::{Email, EmailCode};
    let me = require_sign_in().await?;
    let new = Email::parse(&to).map_err(AppError::invalid)?;
    let code = EmailCode::parse(&code).map_err(AppError::invalid)?;
    Accounts(&services()?)
        .confirm_email_change(&caller(), &me, &new, &code)
        .await?;
    leptos_axum::redirect("/settings?saved=email");
    Ok(())
}

/// The Settings form: the new address.
#[component]
pub fn EmailForm(email: String) -> impl IntoView {
    let action = ServerAction::<RequestEmailChange>::new();
    let error = error_of(action);
    view! {
        <details class="confirm">
            <summary class="button secondary">"Change my email address"</summary>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <div class="field">
                    <label for="new-email">"Your new email address"</label>
                    <p class="hint" id="new-email-hint">{format!("Now: {email}. We\u{2019}ll send a code to the new address.")}</p>
                    <input id="new-email" type="email" name="email" autocomplete="email" inputmode="email" required
                        aria-describedby="new-email-hint"/>
                </div>
                <FormAlert id="new-email-error" message=error/>
                <button type="submit" class="button primary">"Send me a code"</button>
            </ActionForm>
        </details>
    }
}

/// `/settings/email?to=…`: the code from the new address.
#[component]
pub fn EmailCodePage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailChange>::new();
    let error = error_of(action);
    let to = use_query_map()
        .read_untracked()
        .get("to")
        .unwrap_or_default();
    view! {
        <Title text="Confirm your new email address"/>
        <section class="page narrow" aria-labelledby="email-code-title">
            <h1 id="email-code-title">"Check your new email"</h1>
            <p class="lead">
                "We sent a 6-digit code to " <strong class="address">{to.clone()}</strong> ". It works for 10 minutes."
            </p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="to" value=to.clone()/>
                <CodeEntry initial=String::new()/>
                <FormAlert id="email-code-error" message=error/>
                <button type="submit" class="button primary">"Use this address"</button>
            </ActionForm>
            <a class="button secondary" href="/settings">"Keep my address"</a>
        </section>
    }
}
