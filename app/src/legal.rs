//! The Terms and the Privacy Policy, in plain words. Their versions are set in the
//! server's configuration (PRUUF_TERMS_VERSION, PRUUF_PRIVACY_VERSION); raising one
//! asks every signed-in person to accept again.
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TermsPage() -> impl IntoView {
    view! {
        <Title text="Terms"/>
        <article class="page narrow prose" aria-labelledby="terms-title">
            <h1 id="terms-title">"Terms of use"</h1>
            <p>"Pruuf helps people who live alone let their family and friends know, once a day, that they are well."</p>
            <h2>"What Pruuf does"</h2>
            <p>"When a check-in does not arrive by its deadline, Pruuf tells that person\u{2019}s contacts by web notification, email and text message. Pruuf is not an emergency service: in an emergency, call your local emergency number."</p>
            <h2>"Paying"</h2>
            <p>"The person who checks in never pays. Contacts have a 30-day free trial, then pay $3.99 a month or $29 a year, and can cancel at any time."</p>
            <h2>"Your account"</h2>
            <p>"Keep your PIN to yourself. You can sign out any device from the \u{201c}Signed-in devices\u{201d} page, and delete your account at any time."</p>
        </article>
    }
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! {
        <Title text="Privacy Policy"/>
        <article class="page narrow prose" aria-labelledby="privacy-title">
            <h1 id="privacy-title">"Privacy Policy"</h1>
            <p>"We keep only what Pruuf needs to look after you: your email address, your phone number if you give it, your check-in times and who your contacts are."</p>
            <h2>"Who sees what"</h2>
            <p>"Your contacts see when you checked in, and nothing more: no location and no tracking. You can always see exactly who your contacts are."</p>
            <h2>"Your rights"</h2>
            <p>"You can download all your data, or delete your account. Deleted data is gone for good after 30 days."</p>
        </article>
    }
}
