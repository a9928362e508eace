//! The step-up: an admin session older than 12 hours proves itself again with a
//! code emailed to the admin (`/admin/verify`).
use crate::accounts::forms::{error_of, CodeEntry, FormAlert};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// Where to go after the step-up: an admin page, nothing else.
pub fn safe_next(next: &str) -> &str {
    let ok = (next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?"))
        && !next.contains("//")
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if ok {
        next
    } else {
        "/admin"
    }
}

#[server(prefix = "/admin/api")]
pub async fn admin_send_code(next: String) -> Result<(), AppError> {
    use super::guard::require_admin;
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{caller, services};
    let me = require_admin().await?;
    Accounts(&services()?)
        .send_step_up_code(&caller(), &me)
        .await?;
    leptos_axum::redirect(&format!(
        "/admin/verify?next={}",
        crate::accounts::query_encode(safe_next(&next))
    ));
    Ok(())
}

#[server(prefix = "/admin/api")]
pub async fn admin_step_up(code: String, next: String) -> Result<(), AppError> {
    use super::guard::{mark_stepped_up, require_admin};
    use crate::accounts::service::Accounts;
    use crate::accounts::session::{caller, services};
    use crate::validation::EmailCode;
    let me = require_admin().await?;
    let code = EmailCode::parse(&code).map_err(AppError::invalid)?;
    let services = services()?;
    Accounts(&services)
        .check_step_up_code(&caller(), &me, &code)
        .await?;
    mark_stepped_up(&me, services.clock.now()).await?;
    leptos_axum::redirect(safe_next(&next));
    Ok(())
}

/// Shown instead of an admin page whose session needs a fresh code.
#[component]
pub fn StepUpCard() -> impl IntoView {
    let action = ServerAction::<AdminSendCode>::new();
    let error = error_of(action);
    let location = use_location();
    let here = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    view! {
        <section class="card stack" aria-labelledby="step-up-title">
            <h2 id="step-up-title">"Confirm it\u{2019}s you"</h2>
            <p>"Admin pages ask for a code from your email every 12 hours. We\u{2019}ll send it to the address you sign in with."</p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="next" value=here/>
                <FormAlert id="step-up-send-error" message=error/>
                <button type="submit" class="button primary">"Email me a code"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/verify?next=…`: the code from the admin's email.
#[component]
pub fn AdminVerifyPage() -> impl IntoView {
    let action = ServerAction::<AdminStepUp>::new();
    let error = error_of(action);
    let resend = ServerAction::<AdminSendCode>::new();
    let resend_error = error_of(resend);
    let next = use_query_map()
        .read_untracked()
        .get("next")
        .unwrap_or_else(|| "/admin".into());
    let next_again = next.clone();
    view! {
        <Title text="Confirm it's you \u{b7} Admin"/>
        <section class="page narrow" aria-labelledby="admin-verify-title">
            <h1 id="admin-verify-title">"Check your email"</h1>
            <p class="lead">"We sent a 6-digit code to your email address. It works for 10 minutes."</p>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="next" value=next.clone()/>
                <CodeEntry initial=String::new()/>
                <FormAlert id="admin-verify-error" message=error/>
                <button type="submit" class="button primary">"Continue"</button>
            </ActionForm>
            <ActionForm action=resend attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="next" value=next_again/>
                <FormAlert id="admin-resend-error" message=resend_error/>
                <button type="submit" class="button secondary">"Send a new code"</button>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_admin_pages_are_followed() {
        assert_eq!(safe_next("/admin/people?q=ann"), "/admin/people?q=ann");
        assert_eq!(safe_next("/admin"), "/admin");
        assert_eq!(safe_next("https://evil.example/admin"), "/admin");
        assert_eq!(safe_next("/admin//evil.example"), "/admin");
        assert_eq!(safe_next("/administrator"), "/admin");
        assert_eq!(safe_next("/home"), "/admin");
        assert_eq!(safe_next("/admin/people\r\nSet-Cookie: x"), "/admin");
        assert_eq!(safe_next("/admin/people?q=a b"), "/admin");
    }
}
