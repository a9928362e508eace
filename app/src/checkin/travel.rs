//! Travel (issue 22): her browser reports another time zone than her
//! check-ins': she is asked once, on her home, whether to use it while she is
//! away. "Yes" moves her check-ins to that zone (the same times of day there;
//! her Contacts are told, as for any schedule change); either answer is
//! remembered for that zone, and she is asked again only from another one
//! (back home, say).
use super::rules;
use super::views::TravelPrompt;
use crate::error::AppError;
use leptos::prelude::*;

/// Her answer: `answer` is "use" (her check-ins follow `zone`) or "keep".
#[server]
pub async fn answer_travel(zone: String, answer: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::checkin::service::CheckIns;
    let me = require_sign_in().await?;
    let zone = rules::zone_shape(&zone)
        .ok()
        .and_then(|z| crate::time::parse_zone(&z))
        .ok_or_else(|| AppError::invalid(rules::ZONE_MESSAGE))?;
    let use_it = match answer.trim() {
        "use" => true,
        "keep" => false,
        _ => return Err(AppError::invalid("Please choose yes or no.")),
    };
    CheckIns(&services()?)
        .answer_travel(&caller(), &me, zone, use_it)
        .await?;
    leptos_axum::redirect(if use_it {
        "/home?travel=used"
    } else {
        "/home?travel=kept"
    });
    Ok(())
}

/// The question on her home, with its two answers (each a form of its own, so
/// both work before the page's script loads).
#[component]
pub fn TravelCard(prompt: TravelPrompt, action: ServerAction<AnswerTravel>) -> impl IntoView {
    let error = crate::accounts::forms::error_of(action);
    let answer = |value: &'static str, words: String, class: &'static str| {
        let zone = prompt.zone.clone();
        view! {
            <ActionForm action=action attr:class="travel-answer">
                <input type="hidden" name="zone" value=zone/>
                <input type="hidden" name="answer" value=value/>
                <button type="submit" class=class>{words}</button>
            </ActionForm>
        }
    };
    view! {
        <section class="card travel" aria-labelledby="travel-title">
            <h2 id="travel-title">"Away from home?"</h2>
            <p>{rules::travel_words(&prompt.place)}</p>
            {answer("use", format!("Yes, use {} time", prompt.place), "button primary")}
            {answer("keep", format!("No, keep {} time", prompt.home_place), "button secondary")}
            <crate::accounts::forms::FormAlert id="travel-error" message=error/>
        </section>
    }
}
