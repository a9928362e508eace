//! The HTML document, the app's frame and its routes.
use crate::accounts::text_size::{initial_text_size, reflect_on_page, CurrentTextSize};
use crate::checkin::pages::{HomePage, MemberPage, NotificationsPage};
use crate::error::{AppError, ErrorPage};
use crate::lazy;
use crate::welcome::WelcomePage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    Lazy, ParamSegment, SsrMode, StaticSegment,
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
    let (routing, set_routing) = signal(false);

    view! {
        // "Pruuf" alone until a page names itself: a split page's title arrives
        // with its chunk, and the document is never left without one meanwhile.
        <Title text="Pruuf" formatter=page_title/>
        <a class="skip-link" href="#main">"Skip to the main content"</a>
        <Router set_is_routing=set_routing>
            <header class="site-header">
                <a class="brand" href="/">"Pruuf"</a>
            </header>
            <crate::tabs::TabBar/>
            <Frame routing/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <ErrorPage error=AppError::NotFound/> }>
                    <Route path=StaticSegment("") view=WelcomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("signup") view={Lazy::<lazy::Signup>::new()}/>
                    <Route path=(StaticSegment("signup"), StaticSegment("pin")) view={Lazy::<lazy::CreatePin>::new()}/>
                    <Route path=(StaticSegment("signup"), StaticSegment("size")) view={Lazy::<lazy::SizeStep>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("start"), StaticSegment("reminders")) view={Lazy::<lazy::RemindersStep>::new()}/>
                    <Route path=(StaticSegment("start"), StaticSegment("invite")) view={Lazy::<lazy::InviteStep>::new()}/>
                    <Route path=StaticSegment("verify") view={Lazy::<lazy::Verify>::new()}/>
                    <Route path=StaticSegment("login") view={Lazy::<lazy::Login>::new()}/>
                    <Route path=StaticSegment("forgot") view={Lazy::<lazy::Forgot>::new()}/>
                    <Route path=(StaticSegment("forgot"), StaticSegment("pin")) view={Lazy::<lazy::NewPin>::new()}/>
                    // Pages that load data render whole on the server, so they
                    // work before (and without) the WASM.
                    <Route path=StaticSegment("home") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("schedule") view={Lazy::<lazy::Schedule>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("people"), ParamSegment("id")) view=MemberPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("people"), ParamSegment("id"), StaticSegment("order")) view={Lazy::<lazy::Order>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("people"), ParamSegment("id"), StaticSegment("plan")) view={Lazy::<lazy::Plan>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("people"), ParamSegment("id"), StaticSegment("late")) view={Lazy::<lazy::Late>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("alerts"), ParamSegment("id")) view={Lazy::<lazy::Alert>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("answer"), ParamSegment("id")) view={Lazy::<lazy::Answer>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("settings") view={Lazy::<lazy::Settings>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("alerts")) view={Lazy::<lazy::AlertSettings>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("delete")) view={Lazy::<lazy::Delete>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("settings"), StaticSegment("email")) view={Lazy::<lazy::EmailCode>::new()}/>
                    <Route path=StaticSegment("goodbye") view={Lazy::<lazy::Goodbye>::new()}/>
                    <Route path=StaticSegment("devices") view={Lazy::<lazy::Devices>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("billing") view={Lazy::<lazy::Billing>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("connections") view={Lazy::<lazy::Connections>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("join") view={Lazy::<lazy::Join>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("offline") view=crate::pwa::OfflinePage/>
                    <Route path=StaticSegment("terms") view={Lazy::<lazy::Terms>::new()}/>
                    <Route path=StaticSegment("privacy") view={Lazy::<lazy::Privacy>::new()}/>
                    <Route path=StaticSegment("admin") view={Lazy::<lazy::AdminHealth>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("verify")) view={Lazy::<lazy::AdminVerify>::new()}/>
                    <Route path=(StaticSegment("admin"), StaticSegment("people")) view={Lazy::<lazy::AdminPeople>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("people"), ParamSegment("id")) view={Lazy::<lazy::AdminPerson>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("deliveries")) view={Lazy::<lazy::AdminDeliveries>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("deliveries"), ParamSegment("id")) view={Lazy::<lazy::AdminDelivery>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks")) view={Lazy::<lazy::AdminWebhooks>::new()} ssr=SsrMode::Async/>
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
fn Frame(routing: ReadSignal<bool>) -> impl IntoView {
    crate::tabs::focus_heading_on_navigation(routing);
}

/// "Settings · Pruuf"; the app's own name stays as it is.
fn page_title(text: String) -> String {
    if text == "Pruuf" {
        text
    } else {
        format!("{text} \u{b7} Pruuf")
    }
}

#[cfg(test)]
mod tests {
    use super::page_title;

    #[test]
    fn a_page_title_ends_with_the_app_name_once() {
        assert_eq!(page_title("Settings".into()), "Settings \u{b7} Pruuf");
        assert_eq!(page_title("Pruuf".into()), "Pruuf");
    }
}
