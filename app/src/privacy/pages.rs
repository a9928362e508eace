//! "Your data" on Settings, the delete page (`/settings/delete`) and the page
//! after it (`/goodbye`). The export itself is a plain download,
//! `GET /settings/export` (the server's route, streamed).
use super::rules::consequences;
use crate::accounts::forms::{error_of, FormAlert, PinField};
use crate::checkin::pages::{failed, load_home, loading};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// Where the export is downloaded from (the server's streamed route).
pub const EXPORT_PATH: &str = "/settings/export";

/// Deletes the signed-in account, confirmed with the PIN.
#[server]
pub async fn delete_account(pin: String, sure: Option<String>) -> Result<(), AppError> {
    use crate::accounts::session::{caller, forget, require_sign_in, services};
    use crate::validation::Pin;
    let me = require_sign_in().await?;
    if sure.is_none() {
        return Err(AppError::invalid(
            "Please tick the box to say you understand what deleting means.",
        ));
    }
    let pin = Pin::parse(&pin).map_err(AppError::invalid)?;
    super::service::Privacy(&services()?)
        .delete_account(&caller(), &me, &pin)
        .await?;
    forget().await?;
    leptos_axum::redirect("/goodbye");
    Ok(())
}

/// The Settings card: download, and the way to delete.
#[component]
pub fn YourDataCard() -> impl IntoView {
    view! {
        <section class="card actions" aria-labelledby="your-data-title">
            <h2 id="your-data-title">"Your data"</h2>
            <p>"A file with everything Pruuf holds about you: your check-ins, your people, the messages we sent you."</p>
            <a class="button secondary" href=EXPORT_PATH download="" rel="nofollow">"Download my data"</a>
            <a class="button secondary" href="/settings/delete">"Delete my account"</a>
        </section>
    }
}

/// `/settings/delete`: the consequences in plain words, then the PIN.
#[component]
pub fn DeletePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_home());
    let action = ServerAction::<DeleteAccount>::new();
    let error = error_of(action);
    view! {
        <Title text="Delete my account"/>
        <section class="page narrow" aria-labelledby="delete-title">
            <h1 id="delete-title">"Delete my account"</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(home) => {
                            let watching: Vec<String> = home.watching.iter().map(|w| w.name.clone()).collect();
                            let lines = consequences(&watching, &home.looked_out_by);
                            view! {
                                <div class="banner banner-warning">
                                    <h2>"If you delete your account"</h2>
                                    <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                                </div>
                                <p>"You may want to " <a href=EXPORT_PATH download="">"download your data"</a> " first."</p>
                                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                                    <PinField name="pin" label="Your 4-number PIN, to confirm" autocomplete="current-password"/>
                                    <div class="check">
                                        <input id="field-sure" type="checkbox" name="sure" value="yes" required/>
                                        <label for="field-sure">"I understand: delete my account"</label>
                                    </div>
                                    <FormAlert id="delete-error" message=error/>
                                    <button type="submit" class="button danger">"Delete my account"</button>
                                </ActionForm>
                                <a class="button secondary" href="/settings">"Keep my account"</a>
                            }
                            .into_any()
                        }
                        Err(error) => failed(error),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/goodbye`: after the deletion.
#[component]
pub fn GoodbyePage() -> impl IntoView {
    view! {
        <Title text="Your account is deleted"/>
        <section class="page narrow" aria-labelledby="goodbye-title">
            <h1 id="goodbye-title">"Your account is deleted"</h1>
            <p class="lead">
                "You\u{2019}re signed out everywhere and the people you were connected with have been told. "
                "Everything we held about you will be erased within 30 days."
            </p>
            <p>"If you change your mind, you\u{2019}re welcome to sign up again at any time."</p>
            <a class="button primary" href="/">"Back to the start"</a>
        </section>
    }
}
