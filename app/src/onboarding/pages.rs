//! The first-step pages. Each works before the WASM loads (links and forms), and
//! each can be left with "Skip for now" / "Continue" to Today.
use super::rules::{after_size, step_words, Standing};
use crate::accounts::text_size_control::TextSizeControl;
use crate::alerts::device::DeviceAlerts;
use crate::checkin::pages::{failed, load_home, loading};
use crate::checkin::views::HomeView;
use crate::connections::pages::{InviteFields, SendInvite};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn standing(home: &HomeView) -> Standing {
    Standing {
        checks_in: home.is_member,
        has_schedule: home.my_day.is_some(),
        looks_out: !home.watching.is_empty() || !home.pending.is_empty(),
    }
}

/// `/signup/size`: the last step of sign-up (and the first of joining): is this
/// text easy to read? Then on to the person's next step.
#[component]
pub fn SizeStepPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_home());
    let joined = use_query_map().read_untracked().get("joined").is_some();
    view! {
        <Title text="Choose your text size"/>
        <section class="page narrow" aria-labelledby="size-title">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(home) => {
                            let s = standing(&home);
                            let connected = joined.then(|| connected_words(&home.looked_out_by));
                            view! {
                                {step_words(1, s).map(|w| view! { <p class="step">{w}</p> })}
                                <h1 id="size-title">"Welcome to Pruuf!"</h1>
                                {connected.map(|w| view! { <p class="notice-text" role="status">{w}</p> })}
                                <p class="lead">"Your account is ready. Is this text easy to read? Choose the size that suits you; you can change it later in Settings."</p>
                                <TextSizeControl/>
                                <a class="button primary" href=after_size(s)>"Continue"</a>
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

/// "You're connected with Tom." (or "…with Tom and Ann.")
fn connected_words(names: &[String]) -> String {
    match names {
        [] => "You\u{2019}re connected!".to_string(),
        [one] => format!("You\u{2019}re connected with {one}."),
        [rest @ .., last] => format!(
            "You\u{2019}re connected with {} and {last}.",
            rest.join(", ")
        ),
    }
}

/// `/start/reminders`: the last of a Member's first steps.
#[component]
pub fn RemindersStepPage() -> impl IntoView {
    let query = use_query_map();
    let test_sent = move || query.read().get("test").is_some();
    view! {
        <Title text="Turn on reminders"/>
        <section class="page narrow" aria-labelledby="reminders-title">
            <p class="step">"Step 3 of 3"</p>
            <h1 id="reminders-title">"Turn on reminders on this phone"</h1>
            <p class="lead">
                "Pruuf can remind you before your check-in time. Turn reminders on here, "
                "then send yourself a test to see how one looks."
            </p>
            {move || test_sent().then(|| view! {
                <p class="notice-text" role="status">"Test alert sent. It should arrive in a moment."</p>
            })}
            <DeviceAlerts looks_out=false then="start"/>
            <p>
                "No smartphone? " <a class="standalone" href="/settings/alerts">"Add a mobile number for text reminders"</a>
            </p>
            <a class="button primary" href="/home">"Done: go to my check-in"</a>
        </section>
    }
}

/// `/start/invite`: a new Contact's first step.
#[component]
pub fn InviteStepPage() -> impl IntoView {
    let action = ServerAction::<SendInvite>::new();
    view! {
        <Title text="Add the person you look out for"/>
        <section class="page narrow" aria-labelledby="start-invite-title">
            <h1 id="start-invite-title">"Add the person you look out for"</h1>
            <p class="lead">
                "We\u{2019}ll email them an invitation. Pruuf is free for them, always. "
                "For you, the first 30 days are free, then it\u{2019}s $3.99 a month or $29 a year."
            </p>
            <InviteFields action contact_first=false then="home"/>
            <a class="button secondary" href="/home">"Skip for now"</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::connected_words;

    #[test]
    fn the_welcome_names_who_she_is_now_connected_with() {
        assert_eq!(connected_words(&[]), "You\u{2019}re connected!");
        assert_eq!(
            connected_words(&["Tom".into()]),
            "You\u{2019}re connected with Tom."
        );
        assert_eq!(
            connected_words(&["Tom".into(), "Ann".into(), "Sue".into()]),
            "You\u{2019}re connected with Tom, Ann and Sue."
        );
    }
}
