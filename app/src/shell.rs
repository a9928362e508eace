//! The HTML document, the app's frame and its routes.
use crate::accounts::devices::DevicesPage;
use crate::accounts::login::{ForgotPage, LoginPage, NewPinPage};
use crate::accounts::signup::{CreatePinPage, SignupPage, VerifyPage};
use crate::accounts::text_size::{initial_text_size, reflect_on_page, CurrentTextSize};
use crate::alerts::pages::AlertPage;
use crate::alerts::settings::AlertSettingsPage;
use crate::billing::pages::BillingPage;
use crate::checkin::pages::{HomePage, MemberPage, NotificationsPage, SchedulePage};
use crate::connections::pages::{ConnectionsPage, JoinPage};
use crate::error::{AppError, ErrorPage};
use crate::legal::{PrivacyPage, TermsPage};
use crate::welcome::WelcomePage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// The document the server sends; the browser hydrates `<App/>` inside it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::security::use_page_nonce();
    let size = initial_text_size();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-text-size=size.as_str()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <meta name="theme-color" content="#1b5e20"/>
                <meta name="description" content="Pruuf: one tap a day tells your family you are OK. If you miss it, they hear at once."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"/>
                <meta name="apple-mobile-web-app-capable" content="yes"/>
                <meta name="apple-mobile-web-app-title" content="Pruuf"/>
                <AutoReload options/>
                <crate::bundle::BundleLinks/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let size = RwSignal::new(initial_text_size());
    provide_context(CurrentTextSize(size));
    reflect_on_page(size);
    let pwa = crate::pwa::PwaEvents::new();
    provide_context(pwa);
    Effect::new(move |_| crate::pwa::start(pwa));

    view! {
        <Title formatter=|text: String| format!("{text} \u{b7} Pruuf")/>
        <a class="skip-link" href="#main">"Skip to the main content"</a>
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Pruuf"</a>
            </header>
            <crate::tabs::TabBar/>
            <Frame/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <ErrorPage error=AppError::NotFound/> }>
                    <Route path=StaticSegment("") view=WelcomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("signup") view=SignupPage/>
                    <Route path=(StaticSegment("signup"), StaticSegment("pin")) view=CreatePinPage/>
                    <Route path=(StaticSegment("signup"), StaticSegment("size")) view=crate::onboarding::pages::SizeStepPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("start"), StaticSegment("reminders")) view=crate::onboarding::pages::RemindersStepPage/>
                    <Route path=(StaticSegment("start"), StaticSegment("invite")) view=crate::onboarding::pages::InviteStepPage/>
                    <Route path=StaticSegment("verify") view=VerifyPage/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=StaticSegment("forgot") view=ForgotPage/>
                    <Route path=(StaticSegment("forgot"), StaticSegment("pin")) view=NewPinPage/>
                    // Pages that load data render whole on the server, so they
                    // work before (and without) the WASM.
                    <Route path=StaticSegment("home") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("schedule") view=SchedulePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("people"), ParamSegment("id")) view=MemberPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("alerts"), ParamSegment("id")) view=AlertPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("settings") view=crate::settings::pages::SettingsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("alerts")) view=AlertSettingsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("delete")) view=crate::privacy::pages::DeletePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("email")) view=crate::settings::email::EmailCodePage/>
                    <Route path=StaticSegment("goodbye") view=crate::privacy::pages::GoodbyePage/>
                    <Route path=StaticSegment("devices") view=DevicesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("billing") view=BillingPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("connections") view=ConnectionsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("join") view=JoinPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("offline") view=crate::pwa::OfflinePage/>
                    <Route path=StaticSegment("terms") view=TermsPage/>
                    <Route path=StaticSegment("privacy") view=PrivacyPage/>
                    <Route path=StaticSegment("admin") view=crate::admin::pages::health::AdminHealthPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("verify")) view=crate::admin::pages::step_up::AdminVerifyPage/>
                    <Route path=(StaticSegment("admin"), StaticSegment("people")) view=crate::admin::pages::people::AdminPeoplePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("people"), ParamSegment("id")) view=crate::admin::pages::person::AdminPersonPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("deliveries")) view=crate::admin::pages::deliveries::AdminDeliveriesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("deliveries"), ParamSegment("id")) view=crate::admin::pages::deliveries::AdminDeliveryPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks")) view=crate::admin::pages::webhooks::AdminWebhooksPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"Pruuf \u{b7} a daily \u{201c}I\u{2019}m OK\u{201d} for the people you love"</p>
            </footer>
        </Router>
    }
}

/// Inside the router: moves focus to each new page's heading.
#[component]
fn Frame() -> impl IntoView {
    crate::tabs::focus_heading_on_navigation();
}
