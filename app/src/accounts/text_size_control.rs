//! The text-size control: three big buttons, and the server function that keeps
//! the choice on this device and on the signed-in person's account.
use super::text_size::{CurrentTextSize, TextSize};
use crate::error::AppError;
use leptos::prelude::*;

/// Remembers the chosen text size on this device, and on the account of whoever is
/// signed in here.
#[server]
pub async fn set_text_size(size: TextSize) -> Result<TextSize, AppError> {
    super::text_size::remember_on_device(size)?;
    if let Some(member) = crate::accounts::session::signed_in().await? {
        let services = crate::accounts::session::services()?;
        crate::accounts::service::Accounts(&services)
            .set_text_size(&member, size)
            .await?;
    }
    Ok(size)
}

/// Three big buttons. Each is its own form, so it works before the WASM loads (the
/// server sets the cookie and sends the browser back) and instantly after.
#[component]
pub fn TextSizeControl() -> impl IntoView {
    let CurrentTextSize(current) = expect_context::<CurrentTextSize>();
    let action = ServerAction::<SetTextSize>::new();
    Effect::new(move |_| {
        if let Some(Ok(size)) = action.value().get() {
            current.set(size);
        }
    });
    let failed = move || matches!(action.value().get(), Some(Err(_)));
    view! {
        <section class="card text-size" aria-labelledby="text-size-title">
            <h2 id="text-size-title">"Text size"</h2>
            <p>"Pick the size that is easiest for you to read."</p>
            <div class="choices">
                {TextSize::ALL
                    .into_iter()
                    .map(|size| {
                        view! {
                            <ActionForm action=action>
                                <input type="hidden" name="size" value=size.as_str()/>
                                <button
                                    type="submit"
                                    class="button choice"
                                    data-size=size.as_str()
                                    aria-pressed=move || (current.get() == size).to_string()
                                >
                                    <span class="tick" aria-hidden="true">"\u{2713}"</span>
                                    {size.label()}
                                </button>
                            </ActionForm>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="status" role="status" aria-live="polite">
                {move || {
                    if failed() {
                        "Sorry, we couldn't change the text size. Please try again.".to_string()
                    } else {
                        format!("Text size: {}", current.get().label())
                    }
                }}
            </p>
        </section>
    }
}
