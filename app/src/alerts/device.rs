//! "Alerts on this device": turns on web push for this browser (service worker,
//! Push API subscription sent to the server), and "Send me a test alert", which
//! sends one through every channel the person has, to prove the whole path.
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::alerts::service::Alerts;
use crate::error::AppError;
use leptos::prelude::*;

#[server]
pub async fn push_key() -> Result<String, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    require_sign_in().await?;
    let services = services()?;
    let sender = crate::notify::worker::Worker(&services)
        .push_sender()
        .await?;
    Ok(sender.public_key().to_string())
}

#[server]
pub async fn save_push(endpoint: String, p256dh: String, auth: String) -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    // A known push service's host only; plain http only to a stand-in on this
    // machine, and only when Pruuf itself runs there.
    let settings = &services.settings;
    if !crate::notify::push::valid_subscription(
        &endpoint,
        &p256dh,
        &auth,
        &settings.push_hosts,
        settings.is_local(),
    ) {
        return Err(AppError::invalid(
            "This browser\u{2019}s alert settings could not be read. Please try again.",
        ));
    }
    let saved = crate::notify::push::save_subscription(
        &services.pool,
        me.user_id,
        &endpoint,
        &p256dh,
        &auth,
        services.clock.now(),
    )
    .await?;
    if saved {
        Ok(())
    } else {
        Err(AppError::invalid(
            "Alerts on this browser already go to another Pruuf account, so they can\u{2019}t come to yours too. Please use your own phone or computer.",
        ))
    }
}

#[server]
pub async fn send_test_alert(then: Option<String>) -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    Alerts(&services()?).send_test_alert(me.user_id).await?;
    // From the first steps, back to them; else to Today.
    leptos_axum::redirect(if then.as_deref() == Some("start") {
        "/start/reminders?test=sent"
    } else {
        "/home?test=sent"
    });
    Ok(())
}

/// The card on every home: a Contact's alerts, or (for someone who only checks
/// in) her reminders, on this device.
#[component]
pub fn DeviceAlerts(
    /// They look out for someone (alerts); otherwise only their own reminders.
    looks_out: bool,
    /// "start": the test alert returns to the first steps instead of Today.
    #[prop(default = "")]
    then: &'static str,
) -> impl IntoView {
    let test = ServerAction::<SendTestAlert>::new();
    let test_error = error_of(test);
    let state = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let turn_on = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let words = match subscribe().await {
                Ok(()) => "Alerts are on for this device. Now send yourself a test alert to check one arrives.".to_string(),
                Err(why) => why,
            };
            state.set(Some(words));
            busy.set(false);
        });
    };
    let (title, why, turn_on_words) = if looks_out {
        (
            "Alerts on this device",
            "We always email you if someone misses a check-in. Alerts on this phone or computer reach you sooner.",
            "Turn on alerts on this device",
        )
    } else {
        (
            "Reminders on this device",
            "Turn this on and this phone or computer will remind you before your check-in time.",
            "Turn on reminders on this device",
        )
    };
    view! {
        <section class="card" aria-labelledby="device-alerts-title">
            <h2 id="device-alerts-title">{title}</h2>
            <p>{why}</p>
            <button type="button" class="button secondary" on:click=turn_on disabled=move || busy.get()>
                {turn_on_words}
            </button>
            // A live region without the status role: the home's own status line
            // (the check-in) stays the page's one `status`.
            <p class="device-status" aria-live="polite">{move || state.get()}</p>
            <ActionForm action=test attr:class="stack">
                <input type="hidden" name="then" value=then/>
                <button type="submit" class="button secondary">"Send me a test alert"</button>
            </ActionForm>
            <FormAlert id="test-alert-error" message=test_error/>
        </section>
    }
}

/// Asks for permission, registers the service worker, subscribes with the
/// server's VAPID key and hands the subscription to the server.
#[cfg(feature = "hydrate")]
async fn subscribe() -> Result<(), String> {
    use base64_url::decode;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::wasm_bindgen::JsCast;
    let unsupported =
        || "This browser can\u{2019}t show alerts. We\u{2019}ll keep emailing you.".to_string();
    let window = web_sys::window().ok_or_else(unsupported)?;
    let navigator = window.navigator();
    if js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .map(|v| v.is_undefined())
        .unwrap_or(true)
    {
        return Err(unsupported());
    }
    let permission =
        JsFuture::from(web_sys::Notification::request_permission().map_err(|_| unsupported())?)
            .await
            .map_err(|_| unsupported())?;
    if permission.as_string().as_deref() != Some("granted") {
        return Err("Alerts are blocked for this site. You can allow them in the browser\u{2019}s settings.".into());
    }
    let container = navigator.service_worker();
    JsFuture::from(container.register("/sw.js"))
        .await
        .map_err(|_| unsupported())?;
    let registration: web_sys::ServiceWorkerRegistration =
        JsFuture::from(container.ready().map_err(|_| unsupported())?)
            .await
            .map_err(|_| unsupported())?
            .unchecked_into();
    let key = push_key().await.map_err(|e| e.message())?;
    let key_bytes = decode(&key).ok_or_else(unsupported)?;
    let options = web_sys::PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key(&js_sys::Uint8Array::from(key_bytes.as_slice()));
    let manager = registration.push_manager().map_err(|_| unsupported())?;
    let subscription: web_sys::PushSubscription = JsFuture::from(
        manager
            .subscribe_with_options(&options)
            .map_err(|_| unsupported())?,
    )
    .await
    .map_err(|_| "The browser could not turn alerts on. Please try again later.".to_string())?
    .unchecked_into();
    let json = subscription.to_json().map_err(|_| unsupported())?;
    let field = |path: &[&str]| {
        let mut value: web_sys::wasm_bindgen::JsValue = json.clone().into();
        for p in path {
            value = js_sys::Reflect::get(&value, &(*p).into()).ok()?;
        }
        value.as_string()
    };
    let (endpoint, p256dh, auth) = (
        field(&["endpoint"]).ok_or_else(unsupported)?,
        field(&["keys", "p256dh"]).ok_or_else(unsupported)?,
        field(&["keys", "auth"]).ok_or_else(unsupported)?,
    );
    save_push(endpoint, p256dh, auth)
        .await
        .map_err(|e| e.message())
}

#[cfg(not(feature = "hydrate"))]
async fn subscribe() -> Result<(), String> {
    Err("Alerts on this device need JavaScript.".into())
}

/// base64url (no padding) to bytes, for the VAPID key in the browser.
#[cfg(feature = "hydrate")]
mod base64_url {
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let mut bits: u32 = 0;
        let mut count = 0;
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        for c in s.trim_end_matches('=').bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return None,
            };
            bits = (bits << 6) | u32::from(v);
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        Some(out)
    }
}
