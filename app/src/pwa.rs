//! The installable, offline-tolerant side of the site, in the browser: registers
//! the service worker (public/sw.js) on every page, hears what it did with an
//! offline check-in (kept, sent, dropped) and asks it to send what it kept when
//! the network is back; keeps Chromium's install prompt for the "Put Pruuf on
//! your home screen" card; and the page shown when a page is not in the cache.
use leptos::prelude::*;
use leptos_meta::Title;

pub const QUEUED: &str =
    "You\u{2019}re offline \u{2014} we\u{2019}ll send it as soon as you\u{2019}re back.";
pub const SENT: &str =
    "You\u{2019}re back online: your check-in was sent, and your family can see you\u{2019}re OK.";
pub const DROPPED: &str = "Your check-in from more than a day ago couldn\u{2019}t be sent. Please tap \u{201c}I\u{2019}m OK\u{201d} again.";

/// What the service worker told the page, for the home page to show.
#[derive(Clone, Copy)]
pub struct PwaEvents {
    /// The latest word about an offline check-in.
    pub note: RwSignal<Option<&'static str>>,
    /// Bumped when a kept check-in reached the server: reload the day.
    pub sent: RwSignal<u32>,
    /// Chromium offered to install the app (its prompt is kept).
    pub installable: RwSignal<bool>,
    /// An iPhone or iPad browser tab (not the Home Screen app): show the steps.
    pub ios_steps: RwSignal<bool>,
}

impl PwaEvents {
    pub fn new() -> Self {
        PwaEvents {
            note: RwSignal::new(None),
            sent: RwSignal::new(0),
            installable: RwSignal::new(false),
            ios_steps: RwSignal::new(false),
        }
    }
}

impl Default for PwaEvents {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts it all, once, in the browser.
pub fn start(events: PwaEvents) {
    #[cfg(feature = "hydrate")]
    browser::start(events);
    #[cfg(not(feature = "hydrate"))]
    let _ = events;
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::wasm_bindgen;

    const KEPT_PROMPT: &str = "__pruufInstallPrompt";

    fn flush() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let container = window.navigator().service_worker();
        if let Some(worker) = container.controller() {
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"type".into(), &"pruuf-flush".into());
            let _ = worker.post_message(&message);
        }
    }

    fn listen(target: &web_sys::EventTarget, name: &str, f: impl FnMut(web_sys::Event) + 'static) {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
        let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        // Lives as long as the page.
        closure.forget();
    }

    pub fn start(events: PwaEvents) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let navigator = window.navigator();
        let has_worker = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
            .map(|v| !v.is_undefined())
            .unwrap_or(false);
        if has_worker {
            let container = navigator.service_worker();
            let _ = container.register("/sw.js");
            // Messages from the worker wait until the page says it listens
            // (`startMessages()`; web-sys lacks it, so it is called by name).
            if let Ok(start) = js_sys::Reflect::get(&container, &"startMessages".into()) {
                if let Some(f) = start.dyn_ref::<js_sys::Function>() {
                    let _ = f.call0(&container);
                }
            }
            listen(container.as_ref(), "message", move |e| {
                let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                    return;
                };
                let kind = js_sys::Reflect::get(&e.data(), &"type".into())
                    .ok()
                    .and_then(|v| v.as_string());
                match kind.as_deref() {
                    Some("pruuf-check-in-queued") => events.note.set(Some(QUEUED)),
                    Some("pruuf-check-in-sent") => {
                        events.note.set(Some(SENT));
                        events.sent.update(|n| *n += 1);
                    }
                    Some("pruuf-check-in-dropped") => events.note.set(Some(DROPPED)),
                    _ => {}
                }
            });
            // Back online: send what was kept (where Background Sync is missing,
            // this is the only way; where it is there, a second try is harmless).
            listen(window.as_ref(), "online", |_| flush());
            if navigator.on_line() {
                flush();
            }
        }
        listen(window.as_ref(), "beforeinstallprompt", move |e| {
            e.prevent_default();
            if let Some(w) = web_sys::window() {
                let _ = js_sys::Reflect::set(&w, &KEPT_PROMPT.into(), &e);
            }
            events.installable.set(true);
        });
        listen(window.as_ref(), "appinstalled", move |_| {
            events.installable.set(false)
        });
        let standalone = window
            .match_media("(display-mode: standalone)")
            .ok()
            .flatten()
            .is_some_and(|m| m.matches());
        let agent = navigator.user_agent().unwrap_or_default();
        events
            .ios_steps
            .set(!standalone && (agent.contains("iPhone") || agent.contains("iPad")));
    }

    /// Shows Chromium's own install prompt, kept from `beforeinstallprompt`.
    pub fn prompt(events: PwaEvents) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let kept = js_sys::Reflect::get(&window, &KEPT_PROMPT.into()).unwrap_or_default();
        if let Ok(prompt) = js_sys::Reflect::get(&kept, &"prompt".into()) {
            if let Some(f) = prompt.dyn_ref::<js_sys::Function>() {
                let _ = f.call0(&kept);
            }
        }
        // A kept prompt can be used once.
        let _ = js_sys::Reflect::set(
            &window,
            &KEPT_PROMPT.into(),
            &wasm_bindgen::JsValue::UNDEFINED,
        );
        events.installable.set(false);
    }
}

/// "Put Pruuf on your home screen": Chromium's prompt where it offers one, the
/// steps on an iPhone (where alerts need the app on the Home Screen); nothing
/// once installed.
#[component]
pub fn InstallCard() -> impl IntoView {
    let events = use_context::<PwaEvents>().unwrap_or_default();
    let install = move |_| {
        #[cfg(feature = "hydrate")]
        browser::prompt(events);
    };
    view! {
        <Show when=move || events.installable.get() || events.ios_steps.get()>
            <section class="card" aria-labelledby="install-title">
                <h2 id="install-title">"Put Pruuf on your home screen"</h2>
                <Show
                    when=move || events.installable.get()
                    fallback=|| view! {
                        <p>"On an iPhone or iPad: tap the Share button (a square with an arrow pointing up), then \u{201c}Add to Home Screen\u{201d}. Open Pruuf from there: on iPhone, alerts only work that way."</p>
                    }
                >
                    <p>"Open Pruuf with one tap, like any other app."</p>
                    <button type="button" class="button primary" on:click=install>"Add Pruuf to my home screen"</button>
                </Show>
            </section>
        </Show>
    }
}

/// Shown by the service worker for a page it has not kept, when offline.
#[component]
pub fn OfflinePage() -> impl IntoView {
    view! {
        <Title text="You're offline"/>
        <section class="page narrow" aria-labelledby="offline-title">
            <h1 id="offline-title">"You\u{2019}re offline"</h1>
            <p class="lead">"This page needs the internet. Pruuf will work again as soon as you\u{2019}re back online."</p>
            <p>"If you tapped \u{201c}I\u{2019}m OK\u{201d}, we kept it and will send it as soon as you\u{2019}re back."</p>
            <a class="button primary" href="/home">"Go to Today"</a>
        </section>
    }
}
